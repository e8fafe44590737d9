// Package knacksim is a Knack simulator: a real HTTP server that behaves like
// the Knack REST API (docs/knack-api.md; docs/simulator.md says what it
// imitates and what it does not), with fault injection, request counters
// and an outbound change-hint emitter. It is the only fake in the project:
// tests, benchmarks and `server sim`/`server demo` stand on it.
//
// # Use
//
//	s := knacksim.Start(t, knacksim.Options{Dataset: ds, RatePerSecond: -1})
//	client := knack.New(knack.Config{BaseURL: s.URL(), AppID: s.AppID(), APIKey: s.APIKey()})
//
// Put, Delete, Get, Records and Count reach the data directly (no HTTP,
// auth, limits or change hints). The Set* methods turn the fault and limit
// knobs at run time; Requests and Counts show what clients did.
//
// # Routes
//
//	GET    /v1/applications/{app}                       schema (no auth, not counted)
//	POST   /v1/applications/{app}/session               remote login
//	GET    /v1/session/token                            token validation
//	POST   /v1/applications/{app}/assets/{file|image}/upload
//	GET    /v1/applications/{app}/download/asset/{id}/{name}   (public)
//	GET|POST        /v1/objects/{object}/records
//	GET|PUT|DELETE  /v1/objects/{object}/records/{id}
//	the same under /v1/pages/{scene}/views/{view}/records (and /v1/scenes/...)
//
// # Storage
//
// Each record is serialised once when stored; a page is a concatenation of
// those bytes. Records keep storage (insertion) order, which is the default
// order of a listing; an update keeps the record's place. See store.go.
//
// # Decisions where Knack's behaviour is unverified
//
//   - A wrong or missing X-Knack-Application-Id gives 401 text/html
//     "Invalid Application ID" (Knack gave 500 in 2015). Such requests are not
//     counted toward the limits: they cannot be tied to the app.
//   - A well-formed id that does not exist gives 404
//     {"errors":[{"message":"Record not found"}]} (Options.NotFoundStatus; 400
//     answers the text "Malformed Record Key: ID" instead).
//   - rows_per_page above 1000 is capped at 1000; page < 1 or not a number is
//     1; rows_per_page < 1 or not a number is 25.
//   - Bad filter JSON, an unknown operator for the field's type, an unknown
//     field, a non-numeric value on a number field, an unparseable date or a
//     relative date without range/type: 400 {"errors":[{"message":"Invalid filters"}]}.
//   - Nested {match, rules} groups are evaluated (AND/OR, any depth up to 16).
//   - sort_field must be "id" or a field of the object, else 400
//     {"errors":[{"message":"Invalid sort_field"}]}. One sort key. Numbers and
//     dates sort by value, text case-insensitively, blanks first ascending and
//     last descending; ties keep storage order.
//   - Filters on blank values: every operator but "is not", "does not contain"
//     and "is blank" fails on a blank value; those three match it.
//   - Multiple choice "is"/"is not" test whether one of the selected options
//     equals the value; "contains" is a substring of "A, B"; "is any" takes an
//     array (or one string) of options. Connection "is"/"is not" compare record
//     ids; "contains" matches an id or a substring of an identifier.
//   - Date filters compare app-local wall time (Schema.Timezone, Rails names
//     such as "London" mapped to IANA). A date operand "MM/DD/YYYY" means the
//     whole day; with a time ("MM/DD/YYYY HH:mm" or "h:mm am") it means that
//     minute. "is during the previous N units" runs from N units before today
//     to the end of today, "is during the next N units" from today to N units
//     after it (both include today); "is before the previous N" and "is after
//     the next N" are the outsides. Weeks start on Sunday. Units: days, weeks,
//     months, quarters, years (singular accepted).
//   - Writes ignore keys that are not the object's field keys (field_N_raw,
//     id, unknown fields), so a record read back can be written back. Fields
//     left out of a create are stored blank; a required field missing or
//     blank is a 400 {"errors":[{"field","type":"required","message"}]}; a
//     Unique field equal (case-insensitively, as text) to another record's is
//     type "unique". Several errors are listed together, in schema order.
//   - Date strings in writes are read month first (MM/DD/YYYY) whatever the
//     field's date_format; ISO 8601 is accepted and its wall clock taken as
//     is. A date written without a time gets Knack's recorded
//     12:00 AM / "time": 720 shape.
//   - Connection identifiers are taken from the target record when the
//     connection is written and are not refreshed if the target's identifier
//     field changes later (Knack shows the current one). A connection to an id
//     that does not exist is stored with an empty identifier.
//   - The raw name object carries "full" (first middle last) besides its
//     parts.
//   - Rate limiting uses one-second buckets (Knack: further requests in that
//     second are ignored); 429s count in the bucket but not toward the daily
//     quota, which resets at 00:00 UTC. Unlimited limits are reported as
//     100000000. Every answer carries both header families, computed after
//     the request was counted.
//   - Latency, 5xx and hangs apply to every route, the schema included; a
//     429 gets the fixed latency only. A hang ends when the client gives up
//     (logged as status 499), when the simulator closes (503), or after
//     TimeoutHang (504).
//   - View-based routes: a view serves all fields of its object and every
//     method; the app's API key, the literal "knack" or no key are accepted,
//     and a login-protected scene (Scene.LoginRequired) also needs a user
//     token in Authorization unless the app's API key is sent. Unknown
//     scene/view: 404 {"errors":[{"message":"View not found"}]}.
//   - User tokens are HS256 JWTs (user_id, application_id, iat, exp) valid
//     48 hours, or 14 days with "remember": true. A bad login or token is a
//     401 JSON error.
//   - Change hints are {"object","record_id","event"} posted with
//     X-Webhook-Secret, at most once, in order, by one worker behind a queue
//     of 4096; the drop decision is drawn from the seeded source when the
//     change is made.
package knacksim
