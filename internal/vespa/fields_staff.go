package vespa

// StaffFields is object_5, staff admin accounts.
type StaffFields struct {
	Object        string
	Email         Field
	Name          Field
	Establishment Field
}

// Staff is the live app's object_5.
var Staff = StaffFields{
	Object:        "object_5",
	Email:         email("field_86"),
	Name:          name("field_85"),
	Establishment: conn("field_110", "object_2"),
}

// SuperUserFields is object_21, super users.
type SuperUserFields struct {
	Object string
	Email  Field
	Name   Field
}

// SuperUsers is the live app's object_21.
var SuperUsers = SuperUserFields{
	Object: "object_21",
	Email:  email("field_473"),
	Name:   name("field_472"),
}

// AccountFields is object_3, all user accounts; only id → email is used.
type AccountFields struct {
	Object string
	Email  Field
}

// Accounts is the live app's object_3.
var Accounts = AccountFields{
	Object: "object_3",
	Email:  email("field_70"),
}
