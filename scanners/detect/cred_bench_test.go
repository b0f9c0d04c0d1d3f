package detect

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

// sampleConfig builds about size bytes of the text a backup of a server's
// configuration holds: properties, .env, YAML, pretty-printed JSON, XML,
// PHP and Go source and API log lines, with a secret on about one line in
// ten and many keys that only look like secrets.
func sampleConfig(size int) []byte {
	r := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	secret := func() string { return fmt.Sprintf("Zq%08xVt%04d", r.Uint32(), r.IntN(10000)) }
	for b.Len() < size {
		switch k := r.IntN(20); k {
		case 0:
			fmt.Fprintf(&b, "spring.datasource.password=%s\n", secret())
		case 1:
			fmt.Fprintf(&b, "  \"client_secret\" : \"%s\",\n", secret())
		case 2:
			fmt.Fprintf(&b, "    <password>%s</password>\n", secret())
		case 3:
			fmt.Fprintf(&b, "    'password' => '%s',\n", secret())
		case 4:
			fmt.Fprintf(&b, "server.port=%d\nspring.jpa.hibernate.ddl-auto=update\nlogging.level.root=INFO\n", 8000+r.IntN(1000))
		case 5:
			fmt.Fprintf(&b, "  \"timeout_ms\" : %d,\n  \"retries\" : %d,\n  \"endpoint\" : \"https://api.example.com/v%d\",\n", r.IntN(9000), r.IntN(9), r.IntN(4))
		case 6:
			fmt.Fprintf(&b, "token_expiry=%d\nmax_tokens=%d\npassword_min_length=%d\n", r.IntN(9000), r.IntN(9000), 8+r.IntN(8))
		case 7:
			fmt.Fprintf(&b, "\tctx, cancel := context.WithTimeout(ctx, %d*time.Second)\n\tdefer cancel()\n", r.IntN(60))
		case 8:
			fmt.Fprintf(&b, "    <timeout>%d</timeout>\n    <maxActive>%d</maxActive>\n", r.IntN(9000), r.IntN(100))
		case 9:
			fmt.Fprintf(&b, "2026-11-30T08:14:%02dZ INFO http \"POST /v1/orders HTTP/1.1\" 201 authorization=\"Bearer [REDACTED]\" latency=%dms\n", r.IntN(60), r.IntN(900))
		case 10:
			fmt.Fprintf(&b, "  password = var.db_password\n  engine   = \"postgres\"\n  port     = %d\n", 5432+r.IntN(3))
		default:
			fmt.Fprintf(&b, "{\"ts\":\"2026-11-30T10:%02d:%02dZ\",\"level\":\"info\",\"svc\":\"api\",\"req_id\":\"%016x\",\"msg\":\"ok\",\"latency_ms\":%d}\n",
				r.IntN(60), r.IntN(60), r.Uint64(), r.IntN(5000))
		}
	}
	return []byte(b.String())
}

// BenchmarkCredentials measures the credential detectors on configuration
// text, where their field parsers run on most lines.
func BenchmarkCredentials(b *testing.B) {
	text := sampleConfig(4 << 20)
	for _, tc := range []struct {
		name  string
		rules []Rule
	}{
		{"credential_detectors", []Rule{
			{ID: "f", Detector: catalog.CredentialField, Severity: finding.SeverityHigh},
			{ID: "a", Detector: catalog.Authorization, Severity: finding.SeverityHigh},
			{ID: "u", Detector: catalog.URLCredential, Severity: finding.SeverityHigh},
			{ID: "k", Detector: catalog.AWSAccessKeyID, Severity: finding.SeverityHigh},
		}},
		{"all_detectors", nil},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var e *Engine
			if tc.rules == nil {
				e = allBuiltins(b)
			} else {
				var err error
				if e, err = New(tc.rules, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			benchScanText(b, e, text)
		})
	}
}
