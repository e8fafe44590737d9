package knacksim

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestRender(t *testing.T) {
	t.Parallel()
	dmy := map[string]any{"date_format": "dd/mm/yyyy", "time_format": "Ignore Time"}
	dmyTime := map[string]any{"date_format": "dd/mm/yyyy", "time_format": "HH:MM am"}
	tests := []struct {
		name          string
		field         Field
		value         any
		wantFormatted string
		wantRaw       string
	}{
		{"short text", Field{Type: "short_text"}, "hello <b>", `"hello <b>"`, `"hello <b>"`},
		{"short text from number", Field{Type: "short_text"}, 12.5, `"12.5"`, `"12.5"`},
		{"short text blank", Field{Type: "short_text"}, nil, `""`, `""`},
		{"paragraph newlines", Field{Type: "paragraph_text"}, "a\nb\r\nc", `"a<br />b<br />c"`, `"a\nb\r\nc"`},
		{"number", Field{Type: "number"}, 7, `7`, `7`},
		{"number from string", Field{Type: "number"}, " 7.0 ", `7`, `7`},
		{"number json.Number", Field{Type: "number"}, json.Number("3.25"), `3.25`, `3.25`},
		{"number precision 2", Field{Type: "number", Format: map[string]any{"precision": "2"}}, 3.14159, `"3.14"`, `3.14159`},
		{"number precision 0", Field{Type: "number", Format: map[string]any{"precision": "0"}}, 2.5, `3`, `2.5`},
		{"number thousands and pre", Field{Type: "number", Format: map[string]any{"precision": 1, "mark_thousands": "comma", "pre": "£"}}, -1234567.25, `"£-1,234,567.3"`, `-1234567.25`},
		{"number blank", Field{Type: "number"}, "", `""`, `""`},
		{"email string", Field{Type: "email"}, "Foo@School.org", `"<a href=\"mailto:Foo@School.org\">Foo@School.org</a>"`, `{"email":"Foo@School.org"}`},
		{"email object with label", Field{Type: "email"}, map[string]any{"email": "a@b.org", "label": "Ann"}, `"<a href=\"mailto:a@b.org\">Ann</a>"`, `{"email":"a@b.org","label":"Ann"}`},
		{"email blank", Field{Type: "email"}, "", `""`, `""`},
		{"name object", Field{Type: "name", Format: map[string]any{"format": "First Last"}}, map[string]any{"first": "Ann", "middle": "M", "last": "Lee"}, `"Ann Lee"`, `{"first":"Ann","middle":"M","last":"Lee","full":"Ann M Lee"}`},
		{"name last first", Field{Type: "name", Format: map[string]any{"format": "Last, First Middle"}}, map[string]any{"title": "Dr", "first": "Pizza", "middle": "Danger", "last": "the Hut"}, `"the Hut, Pizza Danger"`, `{"title":"Dr","first":"Pizza","middle":"Danger","last":"the Hut","full":"Pizza Danger the Hut"}`},
		{"name from string", Field{Type: "name"}, "Mary Jane Watson", `"Mary Jane Watson"`, `{"first":"Mary Jane","last":"Watson","full":"Mary Jane Watson"}`},
		{"name from last, first", Field{Type: "name"}, "Watson, Mary", `"Mary Watson"`, `{"first":"Mary","last":"Watson","full":"Mary Watson"}`},
		{"date only, dd/mm/yyyy", Field{Type: "date_time", Format: dmy}, "09/11/2019", `"11/09/2019"`,
			`{"date":"09/11/2019","date_formatted":"11/09/2019","hours":"12","minutes":"00","am_pm":"AM","unix_timestamp":1568160000000,"iso_timestamp":"2019-09-11T00:00:00.000Z","timestamp":"09/11/2019 12:00 am","time":720}`},
		{"date with time, recorded sample", Field{Type: "date_time", Format: map[string]any{"date_format": "mm/dd/yyyy", "time_format": "HH:MM am"}}, "09/11/2019 4:14pm", `"09/11/2019 4:14pm"`,
			`{"date":"09/11/2019","date_formatted":"09/11/2019","hours":"04","minutes":"14","am_pm":"PM","unix_timestamp":1568218440000,"iso_timestamp":"2019-09-11T16:14:00.000Z","timestamp":"09/11/2019 04:14 pm","time":974}`},
		{"date 24h time, dd/mm", Field{Type: "date_time", Format: dmyTime}, "01/31/2024 00:05", `"31/01/2024 12:05am"`,
			`{"date":"01/31/2024","date_formatted":"31/01/2024","hours":"12","minutes":"05","am_pm":"AM","unix_timestamp":1706659500000,"iso_timestamp":"2024-01-31T00:05:00.000Z","timestamp":"01/31/2024 12:05 am","time":5}`},
		{"date military", Field{Type: "date_time", Format: map[string]any{"date_format": "mm/dd/yyyy", "time_format": "HH MM (military)"}}, "07/03/2018 10:26 am", `"07/03/2018 10:26"`,
			`{"date":"07/03/2018","date_formatted":"07/03/2018","hours":"10","minutes":"26","am_pm":"AM","unix_timestamp":1530613560000,"iso_timestamp":"2018-07-03T10:26:00.000Z","timestamp":"07/03/2018 10:26 am","time":626}`},
		{"date raw-like object", Field{Type: "date_time", Format: dmyTime}, map[string]any{"date": "03/15/2024", "hours": "02", "minutes": "30", "am_pm": "PM"}, `"15/03/2024 2:30pm"`,
			`{"date":"03/15/2024","date_formatted":"15/03/2024","hours":"02","minutes":"30","am_pm":"PM","unix_timestamp":1710513000000,"iso_timestamp":"2024-03-15T14:30:00.000Z","timestamp":"03/15/2024 02:30 pm","time":870}`},
		{"date time.Time wall clock", Field{Type: "date_time", Format: dmyTime}, time.Date(2024, 3, 15, 9, 5, 0, 0, time.FixedZone("BST", 3600)), `"15/03/2024 9:05am"`,
			`{"date":"03/15/2024","date_formatted":"15/03/2024","hours":"09","minutes":"05","am_pm":"AM","unix_timestamp":1710493500000,"iso_timestamp":"2024-03-15T09:05:00.000Z","timestamp":"03/15/2024 09:05 am","time":545}`},
		{"date ISO", Field{Type: "date_time", Format: dmy}, "2024-03-15", `"15/03/2024"`,
			`{"date":"03/15/2024","date_formatted":"15/03/2024","hours":"12","minutes":"00","am_pm":"AM","unix_timestamp":1710460800000,"iso_timestamp":"2024-03-15T00:00:00.000Z","timestamp":"03/15/2024 12:00 am","time":720}`},
		{"time only", Field{Type: "date_time", Format: map[string]any{"date_format": "Ignore Date", "time_format": "HH:MM am"}}, "4:14pm", `"4:14pm"`,
			`{"date":"01/01/2012","date_formatted":"01/01/2012","hours":"04","minutes":"14","am_pm":"PM","unix_timestamp":1325434440000,"iso_timestamp":"2012-01-01T16:14:00.000Z","timestamp":"01/01/2012 04:14 pm","time":974}`},
		{"date range", Field{Type: "date_time", Format: map[string]any{"date_format": "mm/dd/yyyy", "time_format": "HH:MM am"}},
			map[string]any{"date": "09/11/2019", "hours": 16, "minutes": 14, "to": map[string]any{"date": "09/11/2019", "hours": "5", "minutes": "14", "am_pm": "PM"}},
			`"09/11/2019 4:14pm to 5:14pm"`,
			`{"date":"09/11/2019","date_formatted":"09/11/2019","hours":"04","minutes":"14","am_pm":"PM","unix_timestamp":1568218440000,"iso_timestamp":"2019-09-11T16:14:00.000Z","timestamp":"09/11/2019 04:14 pm","time":974,"to":{"date":"09/11/2019","date_formatted":"09/11/2019","hours":"05","minutes":"14","am_pm":"PM","unix_timestamp":1568222040000,"iso_timestamp":"2019-09-11T17:14:00.000Z","timestamp":"09/11/2019 05:14 pm","time":1034}}`},
		{"date blank", Field{Type: "date_time"}, "", `""`, `""`},
		{"connection id", Field{Type: "connection"}, "5EA46AD2B6CE4B0015000AE8", `"<span class=\"5ea46ad2b6ce4b0015000ae8\"></span>"`, `[{"id":"5ea46ad2b6ce4b0015000ae8","identifier":""}]`},
		{"connection objects", Field{Type: "connection"}, []any{map[string]any{"id": "5ea46ad2b6ce4b0015000ae8", "identifier": "Johnny C"}, map[string]any{"id": "5ea46ad2b6ce4b0015000ae9", "identifier": "Ann"}},
			`"<span class=\"5ea46ad2b6ce4b0015000ae8\">Johnny C</span><br /><span class=\"5ea46ad2b6ce4b0015000ae9\">Ann</span>"`,
			`[{"id":"5ea46ad2b6ce4b0015000ae8","identifier":"Johnny C"},{"id":"5ea46ad2b6ce4b0015000ae9","identifier":"Ann"}]`},
		{"connection blank", Field{Type: "connection"}, []any{}, `""`, `[]`},
		{"connection nil", Field{Type: "connection"}, nil, `""`, `[]`},
		{"boolean true", Field{Type: "boolean"}, true, `"Yes"`, `true`},
		{"boolean NO", Field{Type: "boolean"}, "NO", `"No"`, `false`},
		{"boolean on", Field{Type: "boolean"}, "On", `"Yes"`, `true`},
		{"boolean off", Field{Type: "boolean", Format: map[string]any{"format": "on_off"}}, "off", `"Off"`, `false`},
		{"boolean string true", Field{Type: "boolean", Format: map[string]any{"format": "true_false"}}, "TRUE", `"True"`, `true`},
		{"boolean blank", Field{Type: "boolean"}, nil, `""`, `""`},
		{"choice single", Field{Type: "multiple_choice"}, "Active", `"Active"`, `"Active"`},
		{"choice single from array", Field{Type: "multiple_choice", Format: map[string]any{"type": "single"}}, []any{"Active"}, `"Active"`, `"Active"`},
		{"choice multi", Field{Type: "multiple_choice", Format: map[string]any{"type": "multi"}}, []string{"A", "B"}, `"A, B"`, `["A","B"]`},
		{"choice multi from string", Field{Type: "multiple_choice", Format: map[string]any{"type": "checkboxes"}}, "A", `"A"`, `["A"]`},
		{"choice multi blank", Field{Type: "multiple_choice", Format: map[string]any{"type": "multi"}}, nil, `""`, `[]`},
		{"choice single blank", Field{Type: "multiple_choice"}, "", `""`, `""`},
		{"unknown type stored as given", Field{Type: "phone"}, map[string]any{"full": "5129743546"}, `{"full":"5129743546"}`, `{"full":"5129743546"}`},
		{"raw message input", Field{Type: "number"}, json.RawMessage(`" 8 "`), `8`, `8`},
		{"control characters escaped", Field{Type: "short_text"}, "a\"b\\c\td\x01", `"a\"b\\c\td\u0001"`, `"a\"b\\c\td\u0001"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.field.Key, tt.field.Name = "field_1", "Field One"
			formatted, raw, err := Render(tt.field, tt.value)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if string(formatted) != tt.wantFormatted {
				t.Errorf("formatted\n got %s\nwant %s", formatted, tt.wantFormatted)
			}
			if string(raw) != tt.wantRaw {
				t.Errorf("raw\n got %s\nwant %s", raw, tt.wantRaw)
			}
			if !json.Valid(formatted) || !json.Valid(raw) {
				t.Errorf("invalid JSON: %s / %s", formatted, raw)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		field Field
		value any
	}{
		{"number text", Field{Type: "number"}, "seven"},
		{"number object", Field{Type: "number"}, map[string]any{}},
		{"email number", Field{Type: "email"}, 3.0},
		{"name number", Field{Type: "name"}, 3.0},
		{"date nonsense", Field{Type: "date_time"}, "yesterday"},
		{"date month 13", Field{Type: "date_time"}, "13/01/2024"},
		{"date bad hours", Field{Type: "date_time"}, map[string]any{"date": "01/01/2024", "hours": "13", "am_pm": "PM"}},
		{"connection not an id", Field{Type: "connection"}, "Hillside"},
		{"connection number", Field{Type: "connection"}, 3.0},
		{"boolean maybe", Field{Type: "boolean"}, "maybe"},
		{"boolean 2", Field{Type: "boolean"}, 2.0},
		{"single choice with two", Field{Type: "multiple_choice"}, []any{"A", "B"}},
		{"choice object", Field{Type: "multiple_choice"}, map[string]any{}},
		{"text object", Field{Type: "short_text"}, map[string]any{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.field.Key, tt.field.Name = "field_9", "Nine"
			_, _, err := Render(tt.field, tt.value)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "field_9" || fe.Type != "invalid" {
				t.Fatalf("err = %v, want an invalid FieldError", err)
			}
		})
	}
}

func BenchmarkRenderNumber(b *testing.B) {
	f := Field{Key: "field_1", Type: "number"}
	for i := 0; b.Loop(); i++ {
		if _, _, err := Render(f, i%10); err != nil {
			b.Fatal(err)
		}
	}
}
