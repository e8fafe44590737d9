package syncer

import "knacksync/internal/knack"

// mirrorSafe makes a record's JSON storable as jsonb, which rejects invalid
// UTF-8, \u0000 and unpaired surrogate escapes (\ud800 or \udc00 alone):
// knack.CleanJSON drops them, as the decoders drop them from every text
// they return (docs/mapping.md, rule 14). It only removes bytes, so a
// result as long as its input is the input (apply.go relies on that).
func mirrorSafe(b []byte) []byte { return knack.CleanJSON(b) }
