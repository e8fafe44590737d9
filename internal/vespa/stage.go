package vespa

import "time"

// Stager is what an object's Stage needs of the sync engine, which
// implements it (internal/syncer): it collects one batch's records, the
// rows of its staging tables and its data issues, for the store to merge
// with the object's SQL (sql/objectN.sql). One Stager stages one record.
type Stager interface {
	// Record adds the record being staged to the batch. replace: its
	// claims are replaced by what it produced now (false keeps what it
	// had, when it produced nothing). currentYear is the academic year of
	// the rows it produced, "" when none.
	Record(replace bool, currentYear string)
	// Row appends a row to a staging table. The columns are the same for
	// every row of a table: those of the "stage" section of the object's
	// SQL file.
	Row(table string, columns []string, values ...any)
	// Issue stages one data issue of the record.
	Issue(Issue)
	// Fit cuts a text to the characters its column holds (the dashboard's
	// varchar limits) and reports the cut (RuleTooLong), so that an
	// over-long value from Knack never fails its batch.
	Fit(recordID, column, value string, limit int) string
}

// stageIssues stages a projection's issues.
func stageIssues(s Stager, list []Issue) {
	for _, is := range list {
		s.Issue(is)
	}
}

// dateValue turns a civil date into a value COPY writes as a date (or
// NULL).
func dateValue(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}
