package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// signature is a parsed X-Webhook-Signature: "t=UNIX,v1=HEX[,v1=HEX...]".
type signature struct {
	timestamp int64
	v1        [][]byte // each sha256.Size bytes
}

// Why a signature header is refused. They stay in the server: the client
// gets one 401 for every authentication failure.
var (
	errSignatureSyntax   = errors.New("malformed signature header")
	errSignatureStale    = errors.New("signature timestamp outside the tolerance")
	errSignatureMismatch = errors.New("no signature matches")
)

// parseSignature parses an X-Webhook-Signature value. Entries other than
// t and v1 are ignored (a future scheme); t must appear once, canonical
// decimal; every v1 must be a hex SHA-256 HMAC.
func parseSignature(header string) (signature, error) {
	var sig signature
	if len(header) > maxSignatureHeader {
		return sig, errSignatureSyntax
	}
	seenT := false
	for part := range strings.SplitSeq(header, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || key == "" {
			return sig, errSignatureSyntax
		}
		switch key {
		case "t":
			t, err := strconv.ParseInt(value, 10, 64)
			// One canonical form: no sign, no leading zeros, so that the
			// signed "t." prefix is exactly what the sender formatted.
			if seenT || err != nil || t < 0 || strconv.FormatInt(t, 10) != value {
				return sig, errSignatureSyntax
			}
			sig.timestamp, seenT = t, true
		case "v1":
			mac, err := hex.DecodeString(value)
			if err != nil || len(mac) != sha256.Size || len(sig.v1) == maxSignatures {
				return sig, errSignatureSyntax
			}
			sig.v1 = append(sig.v1, mac)
		}
	}
	if !seenT || len(sig.v1) == 0 {
		return sig, errSignatureSyntax
	}
	return sig, nil
}

// String formats sig as a header value; parseSignature(sig.String())
// gives sig back.
func (sig signature) String() string {
	var b strings.Builder
	b.WriteString("t=")
	b.WriteString(strconv.FormatInt(sig.timestamp, 10))
	for _, mac := range sig.v1 {
		b.WriteString(",v1=")
		b.WriteString(hex.EncodeToString(mac))
	}
	return b.String()
}

// signPayload is the v1 signature: HMAC-SHA256 of "t.body" with secret.
func signPayload(secret []byte, timestamp int64, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write(strconv.AppendInt(nil, timestamp, 10))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// verifySignature checks header against body: well-formed, timestamp
// within the tolerance of now, and one v1 entry (a rotating sender sends
// one per secret) equal to the expected HMAC.
func verifySignature(secret []byte, header string, body []byte, now time.Time) error {
	sig, err := parseSignature(header)
	if err != nil {
		return err
	}
	if !freshSignature(sig, now) {
		return errSignatureStale
	}
	want := signPayload(secret, sig.timestamp, body)
	ok := false
	for _, mac := range sig.v1 {
		// No early exit: every entry costs the same.
		ok = hmac.Equal(mac, want) || ok
	}
	if !ok {
		return errSignatureMismatch
	}
	return nil
}

// freshSignature reports whether sig's timestamp is within the tolerance
// of now.
func freshSignature(sig signature, now time.Time) bool {
	d := now.Sub(time.Unix(sig.timestamp, 0))
	return d <= signatureTolerance && d >= -signatureTolerance
}
