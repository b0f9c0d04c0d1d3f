package policy

import "testing"

func TestVerdict(t *testing.T) {
	web := &Placement{Location: "web", Allowed: map[string]bool{"ip_address": true}, Policy: "acme §3"}
	bare := &Placement{Location: "tmp", Allowed: map[string]bool{}}
	for _, tt := range []struct {
		name       string
		pl         *Placement
		class, ref string
		disallowed bool
		violates   string
	}{
		{"allowed", web, "ip_address", "gdpr art. 5", false, ""},
		{"disallowed", web, "email", "gdpr art. 5", true, "acme §3; gdpr art. 5"},
		{"rule cites nothing", web, "email", "", true, "acme §3"},
		{"location cites nothing", bare, "email", "gdpr art. 5", true, "gdpr art. 5"},
		{"nobody cites anything", bare, "email", "", true, ""},
		{"outside the locations", nil, "ip_address", "gdpr art. 5", true, "gdpr art. 5"},
	} {
		d := Disallowed(tt.pl, tt.class)
		if d != tt.disallowed {
			t.Errorf("%s: Disallowed = %v, want %v", tt.name, d, tt.disallowed)
		}
		if !d {
			continue
		}
		if got := Violates(tt.pl, tt.ref); got != tt.violates {
			t.Errorf("%s: Violates = %q, want %q", tt.name, got, tt.violates)
		}
	}
}
