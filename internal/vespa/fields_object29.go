package vespa

// QuestionnaireFields is object_29, the psychometric questionnaire: one
// record per student enrolment, one answer field per question per cycle.
type QuestionnaireFields struct {
	Object         string
	Email          Field
	Result         Field // connection to the object_10 record; often empty through the API
	CompletionDate Field
	Questions      []Question
}

// Question is one questionnaire item and its answer field for cycles 1..3.
type Question struct {
	ID     string
	Cycles [3]Field
}

func q(id, c1, c2, c3 string) Question {
	return Question{ID: id, Cycles: [3]Field{number(c1), number(c2), number(c3)}}
}

// Questionnaires is the live app's object_29 (docs/mapping.md, "Field map"). The ids follow
// no pattern: keep the table as data.
var Questionnaires = QuestionnaireFields{
	Object:         "object_29",
	Email:          email("field_2732"),
	Result:         conn("field_792", "object_10"),
	CompletionDate: date("field_856"),
	Questions: []Question{
		q("q1", "field_1953", "field_1955", "field_1956"),
		q("q2", "field_1954", "field_1957", "field_1958"),
		q("q3", "field_1959", "field_1960", "field_1961"),
		q("q4", "field_1962", "field_1963", "field_1964"),
		q("q5", "field_1965", "field_1966", "field_1967"),
		q("q6", "field_1968", "field_1969", "field_1970"),
		q("q7", "field_1971", "field_1972", "field_1973"),
		q("q8", "field_1974", "field_1975", "field_1976"),
		q("q9", "field_1977", "field_1978", "field_1979"),
		q("q10", "field_1980", "field_1981", "field_1982"),
		q("q11", "field_1983", "field_1984", "field_1985"),
		q("q12", "field_1986", "field_1987", "field_1988"),
		q("q13", "field_1989", "field_1990", "field_1991"),
		q("q14", "field_1992", "field_1993", "field_1994"),
		q("q15", "field_1995", "field_1996", "field_1997"),
		q("q16", "field_1998", "field_1999", "field_2000"),
		q("q17", "field_2001", "field_2002", "field_2003"),
		q("q18", "field_2004", "field_2005", "field_2006"),
		q("q19", "field_2007", "field_2008", "field_2009"),
		q("q20", "field_2010", "field_2011", "field_2012"),
		q("q21", "field_2013", "field_2014", "field_2015"),
		q("q22", "field_2016", "field_2017", "field_2018"),
		q("q23", "field_2019", "field_2020", "field_2021"),
		q("q24", "field_2022", "field_2023", "field_2024"),
		q("q25", "field_2025", "field_2026", "field_2027"),
		q("q26", "field_2028", "field_2029", "field_2030"),
		q("q27", "field_2031", "field_2032", "field_2033"),
		q("q28", "field_2034", "field_2035", "field_2036"),
		q("q29_vision_grades", "field_2927", "field_2928", "field_2929"),
		q("outcome_q_support", "field_2037", "field_2038", "field_2039"),
		q("outcome_q_equipped", "field_2040", "field_2041", "field_2042"),
		q("outcome_q_confident", "field_2043", "field_2044", "field_2045"),
	},
}
