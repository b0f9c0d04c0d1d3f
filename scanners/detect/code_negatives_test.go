package detect

import (
	"strings"
	"testing"
)

// Source code, ids and form fill-ins that look like personal data: calls,
// references and identifiers in fields named for a person, SSNs of one
// repeated digit, card-like groups that begin a longer dashed id. Found by
// scanning real trees (the Go module cache, /usr/share).
func TestCodeIsNoPersonalData(t *testing.T) {
	e := allBuiltins(t)
	tests := []struct {
		text string
		want string // rule=span, space-separated; "" for nothing
	}{
		{`	FullName: protoreflect.FullName(x),`, ""},
		{`	fName: "repeated_nested_message",`, ""},
		{`	f.Name = decodedName`, ""},
		{`{"first_name":"alice","last_name":"McDonald"}`, "person_name_field=alice person_name_field=McDonald"},
		{`{"fullName":"Ana María López"}`, "person_name_field=Ana María López"},
		{`ssn=111-11-1111`, ""},
		{`SSN 555-55-5555`, ""},
		{`SSN 078-05-1123`, "us_ssn=078-05-1123"},
		{`tx 4748-5260-5747-9381-00 ok`, ""},
		{`id 4111-1111-1111-1111-0001`, ""},
		{`qty: 4111 1111 1111 1111 22`, "credit_card=4111 1111 1111 1111"},
	}
	for _, tt := range tests {
		if got := strings.Join(found(e, tt.text, nil), " "); got != tt.want {
			t.Errorf("%s: found %q, want %q", tt.text, got, tt.want)
		}
	}
}
