package vespa

// Field is one Knack field the sync reads: its key and the type the app's
// schema gives it (checked by `server doctor`). Object is the target object
// of a connection field.
type Field struct {
	Key    string
	Type   string
	Object string
}

// Knack field types used by VESPA.
const (
	TypeShortText      = "short_text"
	TypeParagraphText  = "paragraph_text"
	TypeNumber         = "number"
	TypeEmail          = "email"
	TypeName           = "name"
	TypeDateTime       = "date_time"
	TypeConnection     = "connection"
	TypeBoolean        = "boolean"
	TypeMultipleChoice = "multiple_choice"
)

func text(key string) Field         { return Field{Key: key, Type: TypeShortText} }
func paragraph(key string) Field    { return Field{Key: key, Type: TypeParagraphText} }
func number(key string) Field       { return Field{Key: key, Type: TypeNumber} }
func email(key string) Field        { return Field{Key: key, Type: TypeEmail} }
func name(key string) Field         { return Field{Key: key, Type: TypeName} }
func date(key string) Field         { return Field{Key: key, Type: TypeDateTime} }
func yesNo(key string) Field        { return Field{Key: key, Type: TypeBoolean} }
func choice(key string) Field       { return Field{Key: key, Type: TypeMultipleChoice} }
func conn(key, object string) Field { return Field{Key: key, Type: TypeConnection, Object: object} }
