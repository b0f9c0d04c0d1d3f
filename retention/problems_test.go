package retention

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners"
)

// A plan names each path it could not examine with its reason, and a
// location root that does not exist as Missing, apart from inputs that
// could not be read.
func TestPlanProblemsSayWhy(t *testing.T) {
	fp := finding.NewFingerprinter([]byte("k"))
	// The root of a glob is the directory before its first pattern.
	policy := "locations:\n" +
		"  - name: logs\n    paths: [$DIR/logs]\n    retention: {max_age: 1d}\n    disallowed: redact\n" +
		"  - name: archive\n    paths: [\"$DIR/not-mounted/archive/**/*.log\"]\n    retention: {max_age: 1d}\n    disallowed: redact\n"
	plans := []struct {
		name string
		plan func(context.Context, *config.Config) (*Plan, error)
		// unreadable: the plan reads the files (a cut gzip file is a
		// problem); purge only looks at their metadata.
		unreadable bool
	}{
		{"purge", func(ctx context.Context, c *config.Config) (*Plan, error) {
			return PlanPurge(ctx, c, PlanOptions{Now: now})
		}, false},
		{"redact", func(ctx context.Context, c *config.Config) (*Plan, error) {
			return PlanRedact(ctx, c, locationScanner(t, c, fp), PlanOptions{Now: now})
		}, true},
		{"erase", func(ctx context.Context, c *config.Config) (*Plan, error) {
			sub, err := ParseSubject("email=alice@example.com", c.Region(), fp)
			if err != nil {
				return nil, err
			}
			return PlanErase(ctx, c, locationScanner(t, c, fp), []Subject{sub}, EraseOptions{PlanOptions: PlanOptions{Now: now}})
		}, true},
	}
	for _, tt := range plans {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			mkfile(t, filepath.Join(dir, "logs", "app.log"), "login alice@example.com ok\n", 0o644, ago(2*day))
			broken := filepath.Join(dir, "logs", "broken.log.gz")
			mkfile(t, broken, string(gz(t, strings.Repeat("login alice@example.com ok\n", 100))[:20]), 0o644, ago(2*day))
			c := loadPolicy(t, dir, policy)
			p, err := tt.plan(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			root := filepath.Join(dir, "not-mounted", "archive")
			var missing, other []scanners.Problem
			for _, pr := range p.Problems {
				if pr.Missing {
					missing = append(missing, pr)
				} else {
					other = append(other, pr)
				}
			}
			if len(missing) != 1 || missing[0].Path != root || !strings.Contains(missing[0].Error, "location archive: does not exist") {
				t.Errorf("missing roots %+v, want %s of location archive", missing, root)
			}
			switch {
			case tt.unreadable && (len(other) != 1 || other[0].Path != broken || other[0].Error == ""):
				t.Errorf("other problems %+v, want %s with its reason", other, broken)
			case !tt.unreadable && len(other) != 0:
				t.Errorf("other problems %+v, want none", other)
			}
			if got := actions(p); got["app.log"] == "" {
				t.Errorf("planned %v: the location that exists was not examined", got)
			}
		})
	}
}
