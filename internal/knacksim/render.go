package knacksim

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// FieldError is a validation error on one field. The server answers it with
// 400 {"errors":[{"field":..., "type":..., "message":...}]}.
type FieldError struct {
	Field   string `json:"field"`
	Type    string `json:"type"` // required, unique, invalid
	Message string `json:"message"`
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Render turns a value in Knack's write format into the two values a record
// carries for field: field_N (formatted, often HTML) and field_N_raw
// (structured), with the shapes of docs/knack-api.md §4.
//
// writeValue is what a client would put in the JSON body of a POST or PUT,
// decoded (string, float64, json.Number, bool, []any, map[string]any, nil)
// or a json.RawMessage; for convenience Go ints, []string, map[string]string
// and time.Time (its wall clock, for date_time) are accepted too. nil and ""
// render as blank: "" for both keys ([] raw for connections and
// multi-select choices).
//
// Accepted write formats by type (anything else is a *FieldError of type
// "invalid"):
//   - short_text, paragraph_text, rich_text, concatenation: string (numbers
//     and booleans are written as text). paragraph_text formats newlines as
//     <br />.
//   - number: number or numeric string; raw is a JSON number, formatted
//     follows format.precision / mark_thousands / mark_decimal / pre / post
//     (a JSON number when none is set, else a string).
//   - email: "x@y" or {"email", "label"}; formatted <a href="mailto:x">label-or-x</a>.
//   - name: {"title","first","middle","last"} or a string ("Last, First" or
//     "First ... Last"); formatted per format.format (default "First Last").
//     raw carries first, last, title and middle when set, and full.
//   - date_time: "MM/DD/YYYY", "MM/DD/YYYY h:mm am", "MM/DD/YYYY HH:mm", a
//     time alone (the date becomes the placeholder 01/01/2012), ISO 8601
//     (wall clock taken as is), time.Time, or a raw-like object
//     {"date","hours","minutes","am_pm","to":{...},"all_day"}. The date in a
//     string is always read month first, whatever the field's date_format.
//   - connection: an id, an array of ids, or objects {"id","identifier"};
//     ids must be 24-hex. Render alone knows no other records, so a bare id
//     gets an empty identifier; the server fills in the target's identifier.
//   - boolean: true/false, "yes"/"no", "on"/"off", "true"/"false" (any case),
//     1/0; formatted "Yes"/"No" (or "On"/"Off", "True"/"False" per
//     format.format).
//   - multiple_choice: a string or an array of strings; format.type "multi"
//     or "checkboxes" makes raw an array, else a string.
//
// Other types are stored as given: raw is the value's JSON, formatted the
// value itself.
func Render(field Field, writeValue any) (formatted, raw json.RawMessage, err error) {
	return render(field, writeValue, nil)
}

// identifyFunc returns the identifier of a record of object, and whether the
// record exists.
type identifyFunc func(object, id string) (string, bool)

var emptyString = json.RawMessage(`""`)

func render(f Field, v any, identify identifyFunc) (formatted, raw json.RawMessage, err error) {
	v, err = normalize(v)
	if err != nil {
		return nil, nil, invalid(f, "is not valid JSON")
	}
	switch f.Type {
	case "short_text", "paragraph_text", "rich_text", "concatenation":
		return renderText(f, v)
	case "number", "rating", "auto_increment", "equation", "sum", "count", "min", "max", "average":
		return renderNumber(f, v)
	case "email":
		return renderEmail(f, v)
	case "name":
		return renderName(f, v)
	case "date_time":
		return renderDate(f, v)
	case "connection":
		return renderConnection(f, v, identify)
	case "boolean":
		return renderBoolean(f, v)
	case "multiple_choice":
		return renderChoice(f, v)
	default:
		if isBlank(v) {
			return emptyString, emptyString, nil
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, nil, invalid(f, "is not valid")
		}
		return raw, raw, nil
	}
}

func invalid(f Field, msg string) *FieldError {
	return &FieldError{Field: f.Key, Type: "invalid", Message: fieldLabel(f) + " " + msg + "."}
}

func fieldLabel(f Field) string {
	if f.Name != "" {
		return f.Name
	}
	return f.Key
}

// normalize turns Go convenience types into the shapes json decoding gives.
func normalize(v any) (any, error) {
	switch x := v.(type) {
	case json.RawMessage:
		if len(bytes.TrimSpace(x)) == 0 {
			return nil, nil
		}
		d := json.NewDecoder(bytes.NewReader(x))
		d.UseNumber()
		var out any
		if err := d.Decode(&out); err != nil {
			return nil, err
		}
		return out, nil
	case int:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case float32:
		return float64(x), nil
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, nil
	case map[string]string:
		out := make(map[string]any, len(x))
		for k, s := range x {
			out[k] = s
		}
		return out, nil
	}
	return v, nil
}

func isBlank(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	}
	return false
}

// scalarText is the text of a string, number or boolean.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

func toFloat(v any) (float64, bool) {
	var f float64
	var err error
	switch x := v.(type) {
	case float64:
		f = x
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case json.Number:
		f, err = strconv.ParseFloat(x.String(), 64)
	case string:
		f, err = strconv.ParseFloat(strings.TrimSpace(x), 64)
	default:
		return 0, false
	}
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func renderText(f Field, v any) (json.RawMessage, json.RawMessage, error) {
	if isBlank(v) {
		return emptyString, emptyString, nil
	}
	s, ok := scalarText(v)
	if !ok {
		return nil, nil, invalid(f, "must be text")
	}
	raw := jsonString(s)
	if f.Type == "paragraph_text" && strings.Contains(s, "\n") {
		return jsonString(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "<br />")), raw, nil
	}
	return raw, raw, nil
}

func renderNumber(f Field, v any) (json.RawMessage, json.RawMessage, error) {
	if s, ok := v.(string); ok && strings.TrimSpace(s) == "" {
		return emptyString, emptyString, nil
	}
	if v == nil {
		return emptyString, emptyString, nil
	}
	n, ok := toFloat(v)
	if !ok {
		return nil, nil, invalid(f, "must be a number")
	}
	raw := strconv.AppendFloat(nil, n, 'f', -1, 64)
	return formatNumber(f.Format, n, raw), raw, nil
}

// formatNumber applies a number format: precision, rounding, decimal and
// thousands marks, prefix and suffix.
func formatNumber(format map[string]any, n float64, raw json.RawMessage) json.RawMessage {
	precision := -1
	if p, ok := format["precision"]; ok {
		if s, ok := scalarText(p); ok {
			if i, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && i >= 0 && i <= 10 {
				precision = i
			}
		}
	}
	pre, _ := format["pre"].(string)
	post, _ := format["post"].(string)
	thousands := markOf(format["mark_thousands"])
	decimal := markOf(format["mark_decimal"])
	if precision < 0 && pre == "" && post == "" && thousands == "" && decimal == "" {
		return raw
	}
	if precision >= 0 {
		scale := math.Pow(10, float64(precision))
		switch format["rounding"] {
		case "up":
			n = math.Ceil(n*scale) / scale
		case "down":
			n = math.Floor(n*scale) / scale
		default:
			n = math.Round(n*scale) / scale
		}
	}
	text := strconv.FormatFloat(n, 'f', precision, 64)
	if precision == 0 && pre == "" && post == "" && thousands == "" {
		return json.RawMessage(text)
	}
	intPart, frac, _ := strings.Cut(text, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	if thousands != "" && len(intPart) > 3 {
		var b strings.Builder
		for i, c := range intPart {
			if i > 0 && (len(intPart)-i)%3 == 0 {
				b.WriteString(thousands)
			}
			b.WriteRune(c)
		}
		intPart = b.String()
	}
	if neg {
		intPart = "-" + intPart
	}
	if frac != "" {
		if decimal == "" {
			decimal = "."
		}
		intPart += decimal + frac
	}
	return jsonString(pre + intPart + post)
}

func markOf(v any) string {
	switch v {
	case "comma":
		return ","
	case "period":
		return "."
	case "space":
		return " "
	}
	return ""
}

func renderEmail(f Field, v any) (json.RawMessage, json.RawMessage, error) {
	if isBlank(v) {
		return emptyString, emptyString, nil
	}
	var email, label string
	switch x := v.(type) {
	case string:
		email = x
	case map[string]any:
		var ok bool
		if email, ok = x["email"].(string); !ok {
			return nil, nil, invalid(f, "must be an email address")
		}
		label, _ = x["label"].(string)
	default:
		return nil, nil, invalid(f, "must be an email address")
	}
	email = strings.TrimSpace(email)
	if email == "" {
		return emptyString, emptyString, nil
	}
	var raw []byte
	raw = append(raw, `{"email":`...)
	raw = AppendJSONString(raw, email)
	if label != "" {
		raw = append(raw, `,"label":`...)
		raw = AppendJSONString(raw, label)
	}
	raw = append(raw, '}')
	shown := email
	if label != "" {
		shown = label
	}
	return jsonString(`<a href="mailto:` + email + `">` + shown + `</a>`), raw, nil
}

func renderName(f Field, v any) (json.RawMessage, json.RawMessage, error) {
	if isBlank(v) {
		return emptyString, emptyString, nil
	}
	var title, first, middle, last string
	switch x := v.(type) {
	case string:
		s := strings.TrimSpace(x)
		if l, fm, ok := strings.Cut(s, ","); ok {
			last = strings.TrimSpace(l)
			first, middle, _ = strings.Cut(strings.TrimSpace(fm), " ")
		} else if i := strings.LastIndexByte(s, ' '); i >= 0 {
			first, last = s[:i], s[i+1:]
		} else {
			first = s
		}
	case map[string]any:
		get := func(k string) string { s, _ := scalarText(x[k]); return strings.TrimSpace(s) }
		title, first, middle, last = get("title"), get("first"), get("middle"), get("last")
	default:
		return nil, nil, invalid(f, "must be a name")
	}
	if title == "" && first == "" && middle == "" && last == "" {
		return emptyString, emptyString, nil
	}
	join := func(parts ...string) string {
		var out []string
		for _, p := range parts {
			if p != "" {
				out = append(out, p)
			}
		}
		return strings.Join(out, " ")
	}
	lastFirst := func(rest string) string {
		if last == "" {
			return rest
		}
		if rest == "" {
			return last
		}
		return last + ", " + rest
	}
	var shown string
	format, _ := f.Format["format"].(string)
	switch format {
	case "Last, First":
		shown = lastFirst(first)
	case "Last, First Middle":
		shown = lastFirst(join(first, middle))
	case "First Middle Last":
		shown = join(first, middle, last)
	case "Title First Last":
		shown = join(title, first, last)
	case "Title Last":
		shown = join(title, last)
	default: // "First Last"
		shown = join(first, last)
	}
	var raw []byte
	raw = append(raw, '{')
	if title != "" {
		raw = append(raw, `"title":`...)
		raw = AppendJSONString(raw, title)
		raw = append(raw, ',')
	}
	raw = append(raw, `"first":`...)
	raw = AppendJSONString(raw, first)
	if middle != "" {
		raw = append(raw, `,"middle":`...)
		raw = AppendJSONString(raw, middle)
	}
	raw = append(raw, `,"last":`...)
	raw = AppendJSONString(raw, last)
	raw = append(raw, `,"full":`...)
	raw = AppendJSONString(raw, join(first, middle, last))
	raw = append(raw, '}')
	return jsonString(shown), raw, nil
}

var objectIDRe = regexp.MustCompile(`^[0-9a-fA-F]{24}$`)

func isObjectID(s string) bool { return len(s) == 24 && objectIDRe.MatchString(s) }

func renderConnection(f Field, v any, identify identifyFunc) (json.RawMessage, json.RawMessage, error) {
	var items []any
	switch x := v.(type) {
	case nil:
	case string:
		if x != "" {
			items = []any{x}
		}
	case map[string]any:
		items = []any{x}
	case []any:
		items = x
	default:
		return nil, nil, invalid(f, "must be a record id or a list of record ids")
	}
	target := ""
	if f.Relationship != nil {
		target = f.Relationship.Object
	}
	raw := []byte{'['}
	var shown []byte
	for i, it := range items {
		var id, ident string
		switch x := it.(type) {
		case string:
			id = strings.TrimSpace(x)
		case map[string]any:
			id, _ = x["id"].(string)
			ident, _ = scalarText(x["identifier"])
		}
		if !isObjectID(id) {
			return nil, nil, invalid(f, "must be a record id or a list of record ids")
		}
		id = strings.ToLower(id)
		if identify != nil {
			if s, ok := identify(target, id); ok {
				ident = s
			}
		}
		if i > 0 {
			raw = append(raw, ',')
			shown = append(shown, "<br />"...)
		}
		raw = append(raw, `{"id":"`...)
		raw = append(raw, id...)
		raw = append(raw, `","identifier":`...)
		raw = AppendJSONString(raw, ident)
		raw = append(raw, '}')
		shown = append(shown, `<span class="`...)
		shown = append(shown, id...)
		shown = append(shown, `">`...)
		shown = append(shown, ident...)
		shown = append(shown, `</span>`...)
	}
	raw = append(raw, ']')
	if len(items) == 0 {
		return emptyString, raw, nil
	}
	return jsonString(string(shown)), raw, nil
}

func renderBoolean(f Field, v any) (json.RawMessage, json.RawMessage, error) {
	if isBlank(v) {
		return emptyString, emptyString, nil
	}
	b, ok := parseBool(v)
	if !ok {
		return nil, nil, invalid(f, "must be yes or no")
	}
	yes, no := "Yes", "No"
	switch f.Format["format"] {
	case "on_off":
		yes, no = "On", "Off"
	case "true_false":
		yes, no = "True", "False"
	}
	if b {
		return jsonString(yes), json.RawMessage("true"), nil
	}
	return jsonString(no), json.RawMessage("false"), nil
}

// parseBool reads Knack's boolean write values.
func parseBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case float64:
		return x != 0, x == 0 || x == 1
	case json.Number:
		switch x.String() {
		case "1":
			return true, true
		case "0":
			return false, true
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "yes", "on", "true", "1":
			return true, true
		case "no", "off", "false", "0":
			return false, true
		}
	}
	return false, false
}

// multiChoice reports whether a multiple_choice field holds several values.
func multiChoice(f Field) bool {
	switch f.Format["type"] {
	case "multi", "checkboxes":
		return true
	}
	return false
}

func renderChoice(f Field, v any) (json.RawMessage, json.RawMessage, error) {
	var values []string
	switch x := v.(type) {
	case nil:
	case []any:
		for _, it := range x {
			s, ok := scalarText(it)
			if !ok {
				return nil, nil, invalid(f, "must be one of the field's options")
			}
			if s != "" {
				values = append(values, s)
			}
		}
	default:
		s, ok := scalarText(x)
		if !ok {
			return nil, nil, invalid(f, "must be one of the field's options")
		}
		if s != "" {
			values = []string{s}
		}
	}
	if multiChoice(f) {
		raw := []byte{'['}
		for i, s := range values {
			if i > 0 {
				raw = append(raw, ',')
			}
			raw = AppendJSONString(raw, s)
		}
		raw = append(raw, ']')
		return jsonString(strings.Join(values, ", ")), raw, nil
	}
	switch len(values) {
	case 0:
		return emptyString, emptyString, nil
	case 1:
		s := jsonString(values[0])
		return s, s, nil
	}
	return nil, nil, invalid(f, "takes a single option")
}
