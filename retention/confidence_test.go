package retention

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/retention/audit"
	"github.com/piiscan/piiscan/scansetup"
)

// Redaction rewrites only findings of at least
// enforcement.min_confidence (default high): a doubtful match is
// reported by scans and left as it is, and a file holding nothing else
// is not acted on (the plan says how many such files there are).
func TestRedactHonoursMinConfidence(t *testing.T) {
	const rules = `version: 1
rules:
  - {id: mail, detector: email, severity: high}
  - id: ticket-holder
    class: person_name
    pattern: 'holder=(?<value>[a-z]+)'
    keywords: [holder]
    severity: high
    confidence: medium
`
	for _, tc := range []struct {
		name, min string
		// want is each file's content after an enforcing redact.
		want map[string]string
		// warned is whether the plan warns of files left alone.
		warned bool
	}{
		{"default high", "", map[string]string{
			"mixed.log":    "to=[email:…@example.com] holder=alice\n",
			"doubtful.log": "holder=bob\n",
		}, true},
		{"high", "high", map[string]string{
			"mixed.log":    "to=[email:…@example.com] holder=alice\n",
			"doubtful.log": "holder=bob\n",
		}, true},
		{"medium", "medium", map[string]string{
			"mixed.log":    "to=[email:…@example.com] holder=[person_name]\n",
			"doubtful.log": "holder=[person_name]\n",
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			mkfile(t, filepath.Join(dir, "app", "mixed.log"), "to=carol@example.com holder=alice\n", 0o640, time.Now().Add(-2*day))
			mkfile(t, filepath.Join(dir, "app", "doubtful.log"), "holder=bob\n", 0o640, time.Now().Add(-2*day))
			yaml := rules + "locations:\n  - {name: app, paths: [" + filepath.Join(dir, "app") + "], allowed: [], disallowed: redact}\n"
			if tc.min != "" {
				yaml += "enforcement: {min_confidence: " + tc.min + "}\n"
			}
			c, err := config.Parse("test.yaml", []byte(yaml))
			if err != nil {
				t.Fatal(err)
			}
			fp := finding.NewFingerprinter([]byte("k"))
			p, err := PlanRedact(ctx, c, locationScanner(t, c, fp), PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			warned := false
			for _, w := range p.Warnings {
				warned = warned || strings.Contains(w, "min_confidence")
			}
			if warned != tc.warned {
				t.Errorf("warnings %q: want a min_confidence warning: %v", p.Warnings, tc.warned)
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
			for name, want := range tc.want {
				got, err := os.ReadFile(filepath.Join(dir, "app", name))
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestMinConfidenceIsValidated(t *testing.T) {
	_, err := config.Parse("test.yaml", []byte("version: 1\nrules:\n  - {id: mail, detector: email, severity: high}\nenforcement: {min_confidence: certain}\n"))
	if err == nil || !strings.Contains(err.Error(), "min_confidence") {
		t.Errorf("min_confidence: certain: err = %v", err)
	}
}

// A log that starts with a run of NULs (logrotate's copytruncate with a
// writer that does not append) is read by the scanner, but redaction
// keeps it and says why: its writer still writes at its own offset.
func TestRedactKeepsLogAfterNULs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "app", "app.log")
	holes := strings.Repeat("\x00", 4096)
	mkfile(t, path, holes+"to=carol@example.com\n", 0o640, time.Now().Add(-2*day))
	c, err := config.Parse("test.yaml", []byte("version: 1\nrules:\n  - {id: mail, detector: email, severity: high}\nlocations:\n  - {name: app, paths: ["+filepath.Join(dir, "app")+"], allowed: [], disallowed: redact}\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := PlanRedact(ctx, c, locationScanner(t, c, finding.NewFingerprinter([]byte("k"))), PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if it := itemFor(p, path); it == nil || it.Action == RedactFile {
		t.Fatalf("plan %v, want %s found and not rewritten", actions(p), path)
	}
}

// The values a redaction leaves in the files it rewrites because their
// confidence is below enforcement.min_confidence are not left silently:
// the plan says how many per file (in the item's reason) and for the run
// (a warning), and so does the result of carrying it out.
func TestRedactSaysWhatMinConfidenceLeaves(t *testing.T) {
	const rules = `version: 1
rules:
  - {id: mail, detector: email, severity: high}
  - id: ticket-holder
    class: person_name
    pattern: 'holder=(?<value>[a-z]+)'
    keywords: [holder]
    severity: high
    confidence: medium
`
	for _, enforce := range []bool{false, true} {
		t.Run(map[bool]string{false: "dry run", true: "enforced"}[enforce], func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			files := map[string]string{
				"a.log":        "to=carol@example.com holder=alice\nholder=dan\n",
				"b.log":        "to=erin@example.com holder=bob\n",
				"clean.log":    "to=frank@example.com\n",
				"doubtful.log": "holder=gus\n",
			}
			for name, text := range files {
				mkfile(t, filepath.Join(dir, "app", name), text, 0o640, time.Now().Add(-2*day))
			}
			c, err := config.Parse("test.yaml", []byte(rules+"locations:\n  - {name: app, paths: ["+filepath.Join(dir, "app")+"], allowed: [], disallowed: redact}\n"))
			if err != nil {
				t.Fatal(err)
			}
			fp := finding.NewFingerprinter([]byte("k"))
			p, err := PlanRedact(ctx, c, locationScanner(t, c, fp), PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range map[string]string{
				"a.log":     "; 2 values below min_confidence high left",
				"b.log":     "; 1 value below min_confidence high left",
				"clean.log": "",
			} {
				it := itemFor(p, filepath.Join(dir, "app", name))
				if it == nil || it.Action != RedactFile {
					t.Fatalf("plan %v, want %s redacted", actions(p), name)
				}
				if got := strings.TrimPrefix(it.Reason, "holds data not allowed here: "); !strings.HasSuffix(got, want) || want == "" && strings.Contains(got, "min_confidence") {
					t.Errorf("%s: reason %q, want it to end in %q", name, it.Reason, want)
				}
			}
			const planned = "3 values below min_confidence high left in 2 files to rewrite (see enforcement.min_confidence; piiscan scan lists them)"
			if !slices.Contains(p.Warnings, planned) {
				t.Errorf("plan warnings %q, want %q", p.Warnings, planned)
			}
			e, err := scansetup.Engine(c)
			if err != nil {
				t.Fatal(err)
			}
			x := &Executor{Config: c, Enforce: enforce, Engine: e, Fingerprints: fp,
				Audit: audit.Open(filepath.Join(t.TempDir(), "audit.jsonl"), []byte("k"))}
			defer x.Close()
			if err := x.Apply(ctx, p); err != nil {
				t.Fatal(err)
			}
			want := planned
			if enforce {
				want = "3 values below min_confidence high left in 2 rewritten files (see enforcement.min_confidence; piiscan scan lists them)"
			}
			n := 0
			for _, w := range p.Warnings {
				if strings.Contains(w, "values below min_confidence") {
					n++
					if w != want {
						t.Errorf("result warning %q, want %q", w, want)
					}
				}
			}
			if n != 1 {
				t.Errorf("result warnings %q, want one %q", p.Warnings, want)
			}
			if enforce {
				got, err := os.ReadFile(filepath.Join(dir, "app", "a.log"))
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != "to=[email:…@example.com] holder=alice\nholder=dan\n" {
					t.Errorf("a.log = %q", got)
				}
			}
		})
	}
}

// A location whose paths share a root (two globs under one folder) has the
// folder scanned once: a file that cannot be examined is one problem, and
// a file's values are counted once in the plan's reason.
func TestRedactScansASharedRootOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	loc := filepath.Join(dir, "loc")
	mkfile(t, filepath.Join(loc, "corrupt.gz"), "\x1f\x8b\x08\x00garbage", 0o640, time.Now().Add(-2*time.Hour))
	mkfile(t, filepath.Join(loc, "a.log"), "to=carol@example.com\n", 0o640, time.Now().Add(-2*time.Hour))
	c, err := config.Parse("test.yaml", []byte("version: 1\nrules:\n  - {id: mail, detector: email, severity: high}\nlocations:\n  - {name: l, paths: [\""+
		loc+"/**/*.gz\", \""+loc+"/*.log\"], allowed: [], disallowed: redact}\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := PlanRedact(ctx, c, locationScanner(t, c, finding.NewFingerprinter([]byte("k"))), PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Problems) != 1 {
		t.Errorf("problems %+v, want the corrupt file once", p.Problems)
	}
	it := itemFor(p, filepath.Join(loc, "a.log"))
	if it == nil || !strings.Contains(it.Reason, "email×1") {
		t.Errorf("plan %v, want a.log with email×1", actions(p))
	}
}
