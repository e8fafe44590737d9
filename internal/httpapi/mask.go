package httpapi

import (
	"regexp"
	"strings"
	"unicode"

	"knacksync/internal/vespa"
)

// The status page shows data issues, whose values are what Knack held:
// for an e-mail field, someone's address in whatever shape a builder or a
// student typed it ("jane.doe @x", "\"jane.doe\"@x", "jane.doe(at)x",
// "Jane Doe <jane@x>"). A pattern cannot know every shape, so the value of
// an e-mail field is masked whole, whatever it looks like (maskEmailValue);
// the pattern (maskEmails) is only for free text that may quote one.

// emailFields are the e-mail fields of the VESPA map, by object and field
// key, read from the map itself (the walk `server doctor` uses), so that an
// e-mail field added to the map is masked without anyone listing it here.
var emailFields = func() map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, o := range vespa.Objects {
		for _, f := range o.Fields() {
			if f.Type == vespa.TypeEmail {
				if out[o.Key] == nil {
					out[o.Key] = map[string]bool{}
				}
				out[o.Key][f.Key] = true
			}
		}
	}
	return out
}()

// maskIssue masks a data issue's field and value for the status page. The
// value of an e-mail field is masked whole; so is a duplicate's, whose
// field is the claim key "YYYY/YYYY|address" and whose value the address.
// Anything else has the addresses it quotes masked.
func maskIssue(object, rule, field, value string) (string, string) {
	switch {
	case rule == vespa.RuleDuplicate:
		year, key, ok := strings.Cut(field, "|")
		if ok {
			field = year + "|" + maskEmailValue(key)
		} else {
			field = maskEmailValue(field)
		}
		return field, maskEmailValue(value)
	case emailFields[object][field]:
		return field, maskEmailValue(value)
	}
	return maskEmails(field), maskEmails(value)
}

// maskEmailValue masks a whole e-mail field value: the first letter or
// digit of its text, "***", and the domain when one follows the last "@"
// (also written %40 or &#64;): "Jane Doe <jane@school.example>" and
// `<a href="mailto:jane@school.example">jane@school.example</a>` become
// "J***@school.example" and "j***@school.example". Nothing else of the
// value is kept, whatever its shape.
func maskEmailValue(v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	// The first letter of the text, not of markup around it (Knack gives
	// e-mail fields as <a href="mailto:...">...</a>); failing that, of
	// the value ("<jane@x>" is all markup to tagRE).
	first := ""
	for _, text := range []string{tagRE.ReplaceAllString(v, " "), v} {
		for _, r := range text {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				first = string(r)
				break
			}
		}
		if first != "" {
			break
		}
	}
	masked := first + "***"
	v = atRE.ReplaceAllString(v, "@")
	if i := strings.LastIndex(v, "@"); i >= 0 {
		domain := strings.TrimLeftFunc(v[i+1:], unicode.IsSpace)
		end := strings.IndexFunc(domain, func(r rune) bool {
			return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-')
		})
		if end >= 0 {
			domain = domain[:end]
		}
		if domain != "" {
			masked += "@" + domain
		}
	}
	return masked
}

var (
	// tagRE is an HTML tag.
	tagRE = regexp.MustCompile(`<[^<>]*>`)
	// atRE is "@" URL-encoded or as an HTML entity.
	atRE = regexp.MustCompile(`(?i)%40|&#0*64;|&#x0*40;`)
)

// emailRE finds e-mail addresses, also URL-encoded (%40) and written as
// HTML entities, and anything else shaped like one (a bad_email value such
// as "jo@school" is still someone's address).
var emailRE = regexp.MustCompile(`(?i)([^\s<>"'@:;,()\[\]=/&%|]+)(?:@|%40|&#0*64;|&#x0*40;)([^\s<>"'@:;,()\[\]=/&]*)`)

// maskEmails keeps the first character of an address's local part and its
// domain: "Jane.Doe@school.example" becomes "J***@school.example".
func maskEmails(s string) string {
	return emailRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := emailRE.FindStringSubmatch(m)
		local := sub[1]
		first := local
		for i := range local {
			if i > 0 {
				first = local[:i]
				break
			}
		}
		return first + "***@" + sub[2]
	})
}
