package retention

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/policy"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/bucket"
	"github.com/piiscan/piiscan/scanners/source"
	"github.com/piiscan/piiscan/scansetup"
)

// locationScanner returns a scanner that places findings in c's
// locations, as the command line sets it up for redact and erase.
func locationScanner(t *testing.T, c *config.Config, fp *finding.Fingerprinter) *scanners.Scanner {
	t.Helper()
	return placedScanner(t, c, fp, nil)
}

// objectScanner is locationScanner that also reads s3:// targets through
// objects.
func objectScanner(t *testing.T, c *config.Config, objects *bucket.Client) *scanners.Scanner {
	t.Helper()
	return placedScanner(t, c, finding.NewFingerprinter([]byte("k")), objects)
}

func placedScanner(t *testing.T, c *config.Config, fp *finding.Fingerprinter, objects *bucket.Client) *scanners.Scanner {
	t.Helper()
	e, err := scansetup.Engine(c)
	if err != nil {
		t.Fatal(err)
	}
	allow, err := scansetup.Allowlist(c)
	if err != nil {
		t.Fatal(err)
	}
	opts := scanners.Options{Engine: e, Workers: 1, Fingerprints: fp, Allow: allow,
		Place: func(path string) *policy.Placement {
			if l := policy.LocationOf(c, path); l != nil {
				return &policy.Placement{Location: l.Name, Allowed: l.Allowed}
			}
			return nil
		}}
	if objects != nil {
		opts.Sources = []source.Source{bucket.Source{Client: objects}}
	}
	sc, err := scanners.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// A killed run can leave the temporary file of a gzip rewrite cut short.
// The next redact or erase must not count it as an input it could not
// examine (which fails the run with exit 3): it is piiscan's own, and the
// enforcing run removes it. A cut gzip file of the user's is still one.
func TestPlanIgnoresProblemsInTempFiles(t *testing.T) {
	fp := finding.NewFingerprinter([]byte("k"))
	cut := gz(t, strings.Repeat("login alice@example.com ok\n", 100))[:20]
	commands := []struct {
		name string
		plan func(context.Context, *config.Config, *scanners.Scanner) (*Plan, error)
	}{
		{"redact", func(ctx context.Context, c *config.Config, sc *scanners.Scanner) (*Plan, error) {
			return PlanRedact(ctx, c, sc, PlanOptions{Now: now})
		}},
		{"erase", func(ctx context.Context, c *config.Config, sc *scanners.Scanner) (*Plan, error) {
			sub, err := ParseSubject("email=alice@example.com", c.Region(), fp)
			if err != nil {
				return nil, err
			}
			return PlanErase(ctx, c, sc, []Subject{sub}, EraseOptions{PlanOptions: PlanOptions{Now: now}})
		}},
	}
	tests := []struct {
		name     string
		cutName  string
		problems int
	}{
		{"temp file of a rewrite", TempPrefix + "0123456789ab-app.log.gz", 0},
		{"user's file", "broken.log.gz", 1},
	}
	for _, cmd := range commands {
		for _, tt := range tests {
			t.Run(cmd.name+"/"+tt.name, func(t *testing.T) {
				dir := t.TempDir()
				mkfile(t, filepath.Join(dir, "logs", "app.log.gz"), string(gz(t, "login alice@example.com ok\n")), 0o644, ago(2*day))
				mkfile(t, filepath.Join(dir, "logs", tt.cutName), string(cut), 0o600, ago(2*day))
				c := loadPolicy(t, dir, "locations:\n  - name: logs\n    paths: [$DIR/logs]\n    disallowed: redact\n")
				p, err := cmd.plan(context.Background(), c, locationScanner(t, c, fp))
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Problems) != tt.problems {
					t.Errorf("problems %+v, want %d", p.Problems, tt.problems)
				}
				if got := actions(p); len(got) != 1 || got["app.log.gz"] == "" {
					t.Errorf("planned %v, want app.log.gz only", got)
				}
			})
		}
	}
}
