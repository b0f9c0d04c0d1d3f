package policy

import "testing"

func TestPlacer(t *testing.T) {
	if Placer(parse(t, "")) != nil {
		t.Error("Placer of a policy without locations is not nil")
	}
	place := Placer(parse(t, `locations:
  - name: web
    paths: [/var/log/nginx]
    allowed: [ip_address]
    policy: [acme §3]
  - name: all
    paths: [/var/log, "s3://b/logs"]
`))
	for _, tt := range []struct {
		path, location, policy string
		allowsIP               bool
	}{
		{"/var/log/nginx/access.log", "web", "acme §3", true},
		{"/var/log/nginx/access.log", "web", "acme §3", true}, // the last answer, again
		{"/var/log/syslog", "all", "", false},
		{"s3://b/logs/x.log", "all", "", false},
		{"/srv/x.log", "", "", false},
		{"", "", "", false},
	} {
		p := place(tt.path)
		if tt.location == "" {
			if p != nil {
				t.Errorf("%q: placed in %q, want none", tt.path, p.Location)
			}
			continue
		}
		if p == nil || p.Location != tt.location || p.Policy != tt.policy || p.Allowed["ip_address"] != tt.allowsIP {
			t.Errorf("%q: placement %+v, want location %q, policy %q, ip_address allowed %v", tt.path, p, tt.location, tt.policy, tt.allowsIP)
		}
	}
	if a, b := place("/var/log/syslog"), place("/var/log/messages"); a != b {
		t.Error("two paths of one location have two placements")
	}
}
