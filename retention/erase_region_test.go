package retention

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/retention/audit"
	"github.com/piiscan/piiscan/scansetup"
)

// A national number found through its record's country (a country column,
// a country field) is normalised in that country's region, so an erase
// subject written in E.164 finds it and erases it, and only in the record
// of that country.
func TestEraseSubjectMatchesNationalNumberOfRecordCountry(t *testing.T) {
	ctx := context.Background()
	tests := []struct{ name, file, text, want string }{
		{"csv country column", "contacts.csv",
			"name,phone,country\nAna,090-1234-5678,JP\nBen,090-1234-5678,GB\n",
			"name,phone,country\nAna,[phone_number:erased],JP\nBen,090-1234-5678,GB\n"},
		{"json country field", "contacts.jsonl",
			`{"name":"Ana","country":"JP","mobile":"090-1234-5678"}` + "\n",
			`{"name":"Ana","country":"JP","mobile":"[phone_number:erased]"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			mkfile(t, filepath.Join(dir, "app", tt.file), tt.text, 0o644, ago(2*day))
			c, err := config.Parse("test.yaml", []byte("version: 1\nrules:\n  - {id: tel, detector: phone_number, severity: high}\n"+
				"locations:\n  - name: app\n    paths: ["+filepath.Join(dir, "app")+"]\n    disallowed: redact\n"))
			if err != nil {
				t.Fatal(err)
			}
			fp := finding.NewFingerprinter([]byte("k"))
			sub, err := ParseSubject("phone=+81 90-1234-5678", c.Region(), fp)
			if err != nil {
				t.Fatal(err)
			}
			p, err := PlanErase(ctx, c, locationScanner(t, c, fp), []Subject{sub}, EraseOptions{PlanOptions: PlanOptions{Now: now}})
			if err != nil {
				t.Fatal(err)
			}
			if got := actions(p); got[tt.file] == "" {
				t.Fatalf("planned %v: the subject's number in %s was not found", got, tt.file)
			}
			e, err := scansetup.Engine(c)
			if err != nil {
				t.Fatal(err)
			}
			x := &Executor{Config: c, Enforce: true, Engine: e, Fingerprints: fp,
				Audit: audit.Open(filepath.Join(t.TempDir(), "audit.jsonl"), []byte("k"))}
			defer x.Close()
			if err := x.Apply(ctx, p); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(dir, "app", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("%s = %q, want %q", tt.file, got, tt.want)
			}
		})
	}
}
