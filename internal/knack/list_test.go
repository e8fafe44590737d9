package knack

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestListQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    ListOptions
		want    url.Values
		wantErr bool
	}{
		{
			name: "defaults",
			want: url.Values{"rows_per_page": {"1000"}},
		},
		{
			name: "everything",
			opts: ListOptions{
				Filters:     And(Rule{Field: "field_2", Operator: OpIsNotBlank}),
				SortField:   "field_7",
				SortOrder:   SortDesc,
				RowsPerPage: 250,
				Format:      FormatRaw,
				StartPage:   4, // not part of the base query
			},
			want: url.Values{
				"rows_per_page": {"250"},
				"filters":       {`{"match":"and","rules":[{"field":"field_2","operator":"is not blank"}]}`},
				"sort_field":    {"field_7"},
				"sort_order":    {"desc"},
				"format":        {"raw"},
			},
		},
		{name: "rows per page capped", opts: ListOptions{RowsPerPage: 5000}, want: url.Values{"rows_per_page": {"1000"}}},
		{name: "negative rows per page", opts: ListOptions{RowsPerPage: -1}, want: url.Values{"rows_per_page": {"1000"}}},
		{name: "bad sort order", opts: ListOptions{SortOrder: "up"}, wantErr: true},
		{name: "bad format", opts: ListOptions{Format: "xml"}, wantErr: true},
		{name: "bad filter", opts: ListOptions{Filters: And(Rule{Operator: OpIs})}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := listQuery(tt.opts)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("listQuery = %v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeEnvelope(t *testing.T) {
	t.Parallel()
	// JSON keeps the record as the page had it, for the mirror's hash.
	rec := func(id string) Record {
		return Record{ID: id, Fields: map[string]json.RawMessage{"field_1": json.RawMessage(`"a"`)},
			JSON: json.RawMessage(`{"id":"` + id + `","field_1":"a"}`)}
	}
	tests := []struct {
		name    string
		body    string
		want    envelope
		wantErr bool
	}{
		{
			name: "numbers",
			body: `{"total_pages":7,"current_page":1,"total_records":6693,"records":[{"id":"a1","field_1":"a"}]}`,
			want: envelope{TotalPages: 7, CurrentPage: 1, TotalRecords: 6693, Records: []Record{rec("a1")}},
		},
		{
			name: "page echoed as a string (2015 recordings)",
			body: `{"total_pages":"2","current_page":"999","total_records":" 1500","records":[]}`,
			want: envelope{TotalPages: 2, CurrentPage: 999, TotalRecords: 1500, Records: []Record{}},
		},
		{
			name: "empty result",
			body: `{"total_pages":0,"current_page":1,"total_records":0,"records":[]}`,
			want: envelope{CurrentPage: 1, Records: []Record{}},
		},
		{
			name: "nulls, empty strings and integral floats",
			body: `{"total_pages":null,"current_page":"","total_records":12.0,"records":[]}`,
			want: envelope{TotalRecords: 12, Records: []Record{}},
		},
		{name: "no records", body: `{"total_pages":1}`, wantErr: true},
		{name: "records null", body: `{"total_pages":1,"records":null}`, wantErr: true},
		{name: "fractional count", body: `{"total_pages":1.5,"records":[]}`, wantErr: true},
		{name: "non-numeric count", body: `{"total_pages":"many","records":[]}`, wantErr: true},
		{name: "record without id", body: `{"records":[{"field_1":"a"}]}`, wantErr: true},
		{name: "HTML page", body: `<html>maintenance</html>`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeEnvelope([]byte(tt.body))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("decodeEnvelope = %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
