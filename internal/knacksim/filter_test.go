package knacksim

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"knacksync/internal/knack"
)

// filterFixture: five object_10 records around the fixed clock (Friday
// 15 March 2024, 10:30 London) and two schools.
func filterFixture(t *testing.T, mutate ...func(*Options)) (*client, []string, []string) {
	t.Helper()
	schema := testSchema()
	schools := []string{hexID(1), hexID(2)}
	r := func(n int) string { return hexID(10 + n) }
	ds := &Dataset{Schema: schema, Records: map[string][]knack.Record{
		"object_2": {
			makeRecord(t, schema, "object_2", schools[0], map[string]any{"field_44": "Hillside Academy", "field_2209": "Active", "field_3573": false}),
			makeRecord(t, schema, "object_2", schools[1], map[string]any{"field_44": "Riverside College", "field_2209": "Cancelled", "field_3573": true}),
		},
		"object_10": {
			makeRecord(t, schema, "object_10", r(1), map[string]any{
				"field_197": "Ann@School.org", "field_187": map[string]any{"first": "Ann", "last": "Lee"},
				"field_133": []any{map[string]any{"id": schools[0], "identifier": "Hillside Academy"}},
				"field_855": "03/14/2024", "field_146": 1, "field_155": 7, "field_223": "12A", "field_143": "Female",
				"field_900": []any{"Sport", "Music"}, "field_901": "03/15/2024 9:15am", "field_902": true}),
			makeRecord(t, schema, "object_10", r(2), map[string]any{
				"field_197": "bob@school.org", "field_187": map[string]any{"first": "Bob", "last": "Smith"},
				"field_133": []any{map[string]any{"id": schools[1], "identifier": "Riverside College"}},
				"field_855": "2024-03-15", "field_155": 3, "field_223": "12B", "field_143": "Male",
				"field_900": []any{"Music"}, "field_901": "03/15/2024 11:45am", "field_902": false}),
			makeRecord(t, schema, "object_10", r(3), map[string]any{
				"field_197": "cara@other.net", "field_155": "", "field_223": "", "field_900": []any{}, "field_902": ""}),
			makeRecord(t, schema, "object_10", r(4), map[string]any{
				"field_197": "dan@school.org", "field_187": "Dan Brown",
				"field_133": []any{map[string]any{"id": schools[0], "identifier": "Hillside Academy"}, map[string]any{"id": schools[1], "identifier": "Riverside College"}},
				"field_855": "02/01/2024", "field_155": 10, "field_223": "13a", "field_143": "male",
				"field_900": "Art", "field_901": "12/31/2023 11:59pm", "field_902": "yes"}),
			makeRecord(t, schema, "object_10", r(5), map[string]any{
				"field_197": "eve@school.org", "field_855": "03/20/2024", "field_155": 0, "field_223": "12a"}),
		},
	}}
	opts := testOptions(ds)
	for _, m := range mutate {
		m(&opts)
	}
	s := Start(t, opts)
	return newClient(t, s), []string{r(1), r(2), r(3), r(4), r(5)}, schools
}

func TestFilters(t *testing.T) {
	t.Parallel()
	c, r, schools := filterFixture(t)
	pick := func(n ...int) []string {
		var out []string
		for _, i := range n {
			out = append(out, r[i-1])
		}
		return out
	}
	tests := []struct {
		name    string
		filters string
		want    []string
	}{
		// Text-like (short_text, email, name).
		{"text is, case-insensitive", `[{"field":"field_223","operator":"is","value":"12a"}]`, pick(1, 5)},
		{"text is not", `[{"field":"field_223","operator":"is not","value":"12A"}]`, pick(2, 3, 4)},
		{"text contains", `[{"field":"field_223","operator":"contains","value":"2"}]`, pick(1, 2, 5)},
		{"text does not contain", `[{"field":"field_223","operator":"does not contain","value":"2"}]`, pick(3, 4)},
		{"text starts with", `[{"field":"field_223","operator":"starts with","value":"13"}]`, pick(4)},
		{"text ends with", `[{"field":"field_223","operator":"ends with","value":"B"}]`, pick(2)},
		{"text is blank", `[{"field":"field_223","operator":"is blank"}]`, pick(3)},
		{"text is not blank", `[{"field":"field_223","operator":"is not blank"}]`, pick(1, 2, 4, 5)},
		{"email is, by address", `[{"field":"field_197","operator":"is","value":"ann@school.org"}]`, pick(1)},
		{"email ends with", `[{"field":"field_197","operator":"ends with","value":"@school.org"}]`, pick(1, 2, 4, 5)},
		{"name contains", `[{"field":"field_187","operator":"contains","value":"smith"}]`, pick(2)},
		{"name is blank", `[{"field":"field_187","operator":"is blank"}]`, pick(3, 5)},
		// Number.
		{"number is", `[{"field":"field_155","operator":"is","value":"7"}]`, pick(1)},
		{"number is, numeric value", `[{"field":"field_155","operator":"is","value":0}]`, pick(5)},
		{"number is not", `[{"field":"field_155","operator":"is not","value":7}]`, pick(2, 3, 4, 5)},
		{"number higher than", `[{"field":"field_155","operator":"higher than","value":"3"}]`, pick(1, 4)},
		{"number lower than", `[{"field":"field_155","operator":"lower than","value":"7.5"}]`, pick(1, 2, 5)},
		{"number is blank", `[{"field":"field_155","operator":"is blank"}]`, pick(3)},
		{"number is not blank", `[{"field":"field_146","operator":"is not blank"}]`, pick(1)},
		// Boolean.
		{"boolean is true", `[{"field":"field_902","operator":"is","value":true}]`, pick(1, 4)},
		{"boolean is No", `[{"field":"field_902","operator":"is","value":"No"}]`, pick(2)},
		{"boolean is not yes", `[{"field":"field_902","operator":"is not","value":"yes"}]`, pick(2, 3, 5)},
		{"boolean is blank", `[{"field":"field_902","operator":"is blank"}]`, pick(3, 5)},
		// Multiple choice.
		{"choice is, case-insensitive", `[{"field":"field_143","operator":"is","value":"MALE"}]`, pick(2, 4)},
		{"choice is not", `[{"field":"field_143","operator":"is not","value":"male"}]`, pick(1, 3, 5)},
		{"choice contains", `[{"field":"field_143","operator":"contains","value":"fem"}]`, pick(1)},
		{"choice is any", `[{"field":"field_900","operator":"is any","value":["Art","Sport"]}]`, pick(1, 4)},
		{"multi choice is one of", `[{"field":"field_900","operator":"is","value":"music"}]`, pick(1, 2)},
		{"multi choice does not contain", `[{"field":"field_900","operator":"does not contain","value":"Music"}]`, pick(3, 4, 5)},
		{"multi choice is blank", `[{"field":"field_900","operator":"is blank"}]`, pick(3, 5)},
		// Connection.
		{"connection is id", `[{"field":"field_133","operator":"is","value":"` + schools[0] + `"}]`, pick(1, 4)},
		{"connection is not id", `[{"field":"field_133","operator":"is not","value":"` + schools[0] + `"}]`, pick(2, 3, 5)},
		{"connection contains identifier", `[{"field":"field_133","operator":"contains","value":"riverside"}]`, pick(2, 4)},
		{"connection is blank", `[{"field":"field_133","operator":"is blank"}]`, pick(3, 5)},
		{"connection is not blank", `[{"field":"field_133","operator":"is not blank"}]`, pick(1, 2, 4)},
		// id.
		{"id is", `[{"field":"id","operator":"is","value":"` + r[3] + `"}]`, pick(4)},
		{"id is not", `[{"field":"id","operator":"is not","value":"` + r[3] + `"}]`, pick(1, 2, 3, 5)},
		// Date (the fixed clock is 15/03/2024 10:30 London).
		{"date is", `[{"field":"field_855","operator":"is","value":"03/14/2024"}]`, pick(1)},
		{"date is not", `[{"field":"field_855","operator":"is not","value":"03/14/2024"}]`, pick(2, 3, 4, 5)},
		{"date is before", `[{"field":"field_855","operator":"is before","value":"03/14/2024"}]`, pick(4)},
		{"date is after", `[{"field":"field_855","operator":"is after","value":"03/14/2024"}]`, pick(2, 5)},
		{"on or after, the OR idiom", `{"match":"or","rules":[{"field":"field_855","operator":"is","value":"03/14/2024"},{"field":"field_855","operator":"is after","value":"03/14/2024"}]}`, pick(1, 2, 5)},
		{"date time is after, minute precise", `[{"field":"field_901","operator":"is after","value":"03/15/2024 09:15"}]`, pick(2)},
		{"date time is before, minute precise", `[{"field":"field_901","operator":"is before","value":"03/15/2024 09:16"}]`, pick(1, 4)},
		{"date time is at minute", `[{"field":"field_901","operator":"is","value":"03/15/2024 11:45"}]`, pick(2)},
		{"date time is, whole day", `[{"field":"field_901","operator":"is","value":"03/15/2024"}]`, pick(1, 2)},
		{"is today", `[{"field":"field_855","operator":"is today"}]`, pick(2)},
		{"is today or before", `[{"field":"field_855","operator":"is today or before"}]`, pick(1, 2, 4)},
		{"is today or after", `[{"field":"field_855","operator":"is today or after"}]`, pick(2, 5)},
		{"is before today", `[{"field":"field_855","operator":"is before today"}]`, pick(1, 4)},
		{"is after today", `[{"field":"field_855","operator":"is after today"}]`, pick(5)},
		{"is before current time", `[{"field":"field_901","operator":"is before current time"}]`, pick(1, 4)},
		{"is after current time", `[{"field":"field_901","operator":"is after current time"}]`, pick(2)},
		{"is during the current week", `[{"field":"field_855","operator":"is during the current","type":"week"}]`, pick(1, 2)},
		{"is during the current month", `[{"field":"field_855","operator":"is during the current","type":"month"}]`, pick(1, 2, 5)},
		{"is during the current year", `[{"field":"field_855","operator":"is during the current","type":"year"}]`, pick(1, 2, 4, 5)},
		{"is during the previous 1 days", `[{"field":"field_855","operator":"is during the previous","range":1,"type":"days"}]`, pick(1, 2)},
		{"is during the previous 2 months", `[{"field":"field_855","operator":"is during the previous","range":"2","type":"months"}]`, pick(1, 2, 4)},
		{"is during the next 1 weeks", `[{"field":"field_855","operator":"is during the next","range":1,"type":"weeks"}]`, pick(2, 5)},
		{"is before the previous 7 days", `[{"field":"field_855","operator":"is before the previous","range":7,"type":"days"}]`, pick(4)},
		{"is after the next 2 days", `[{"field":"field_855","operator":"is after the next","range":2,"type":"days"}]`, pick(5)},
		{"date is blank", `[{"field":"field_855","operator":"is blank"}]`, pick(3)},
		{"date is not blank", `[{"field":"field_901","operator":"is not blank"}]`, pick(1, 2, 4)},
		// Groups.
		{"object form, and", `{"match":"and","rules":[{"field":"field_223","operator":"contains","value":"12"},{"field":"field_155","operator":"higher than","value":1}]}`, pick(1, 2)},
		{"object form, match omitted", `{"rules":[{"field":"field_223","operator":"contains","value":"12"},{"field":"field_155","operator":"higher than","value":1}]}`, pick(1, 2)},
		{"or", `{"match":"or","rules":[{"field":"field_155","operator":"is","value":10},{"field":"field_223","operator":"is blank"}]}`, pick(3, 4)},
		{"nested group", `{"match":"and","rules":[{"field":"field_197","operator":"ends with","value":"school.org"},{"match":"or","rules":[{"field":"field_143","operator":"is","value":"female"},{"field":"field_155","operator":"is","value":10}]}]}`, pick(1, 4)},
		{"empty rules match all", `{"match":"and","rules":[]}`, pick(1, 2, 3, 4, 5)},
		{"operator case and spaces", `[{"field":"field_223","operator":" IS ","value":"12b"}]`, pick(2)},
		{"field_name is informational", `[{"field":"field_223","field_name":"Group","operator":"is","value":"12b"}]`, pick(2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := c.get("/objects/object_10/records?filters=" + url.QueryEscape(tt.filters))
			if resp.status != 200 {
				t.Fatalf("status %d: %s", resp.status, resp.body)
			}
			var env envelope
			resp.json(t, &env)
			if diff := cmp.Diff(tt.want, ids(env.Records), cmpEmpty); diff != "" {
				t.Errorf("ids mismatch (-want +got):\n%s", diff)
			}
			if env.TotalRecords != len(tt.want) {
				t.Errorf("total_records %d, want %d", env.TotalRecords, len(tt.want))
			}
		})
	}
}

func TestFiltersCaseSensitive(t *testing.T) {
	t.Parallel()
	c, r, _ := filterFixture(t, func(o *Options) { o.CaseSensitive = true })
	var env envelope
	c.get("/objects/object_10/records?filters="+url.QueryEscape(`[{"field":"field_223","operator":"is","value":"12a"}]`)).json(t, &env)
	if diff := cmp.Diff([]string{r[4]}, ids(env.Records)); diff != "" {
		t.Errorf("ids mismatch (-want +got):\n%s", diff)
	}
}

func TestInvalidFilters(t *testing.T) {
	t.Parallel()
	c, _, _ := filterFixture(t)
	for name, f := range map[string]string{
		"not JSON":                    `{"match":`,
		"a string":                    `"field_1"`,
		"unknown operator":            `[{"field":"field_223","operator":"equals","value":"x"}]`,
		"operator of another type":    `[{"field":"field_155","operator":"contains","value":"1"}]`,
		"date operator on text":       `[{"field":"field_223","operator":"is today"}]`,
		"unknown field":               `[{"field":"field_1","operator":"is","value":"x"}]`,
		"no operator":                 `[{"field":"field_223","value":"x"}]`,
		"bad match":                   `{"match":"xor","rules":[]}`,
		"rules not an array":          `{"match":"and","rules":{}}`,
		"number value not numeric":    `[{"field":"field_155","operator":"is","value":"seven"}]`,
		"boolean value not yes or no": `[{"field":"field_902","operator":"is","value":"maybe"}]`,
		"bad date":                    `[{"field":"field_855","operator":"is","value":"31/31/2024"}]`,
		"relative date without range": `[{"field":"field_855","operator":"is during the previous","type":"days"}]`,
		"relative date bad type":      `[{"field":"field_855","operator":"is during the previous","range":1,"type":"fortnights"}]`,
		"id contains":                 `[{"field":"id","operator":"contains","value":"a"}]`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			resp := c.get("/objects/object_10/records?filters=" + url.QueryEscape(f))
			if resp.status != 400 || string(resp.body) != `{"errors":[{"message":"Invalid filters"}]}` {
				t.Errorf("got %d %s", resp.status, resp.body)
			}
		})
	}
}
