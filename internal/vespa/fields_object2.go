package vespa

// EstablishmentFields is object_2, the establishments (schools, colleges).
type EstablishmentFields struct {
	Object          string
	Name            Field // "EMPTY" counts as empty
	NameFallback    Field
	Status          Field // "Active", "Cancelled", ...
	PortalType      Field // "COACHING PORTAL", "RESOURCE PORTAL", empty
	IsAustralian    Field
	UseStandardYear Field // may be empty, which means the UK rule
}

// Establishments is the live app's object_2.
var Establishments = EstablishmentFields{
	Object:          "object_2",
	Name:            text("field_44"),
	NameFallback:    text("field_11"),
	Status:          choice("field_2209"),
	PortalType:      choice("field_63"),
	IsAustralian:    yesNo("field_3573"),
	UseStandardYear: yesNo("field_3752"),
}
