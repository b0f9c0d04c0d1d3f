package scanners

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners/allow"
	"github.com/piiscan/piiscan/scanners/detect"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

// scanWithin scans targets like collect, but fails the test when the scan
// has not returned within limit (a hang must fail, not block the suite).
func scanWithin(t *testing.T, ctx context.Context, limit time.Duration, opts Options, targets ...string) ([]finding.Finding, *Stats, time.Duration) {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	type ret struct {
		fs    []finding.Finding
		stats *Stats
		err   error
	}
	done := make(chan ret, 1)
	start := time.Now()
	go func() {
		var fs []finding.Finding
		stats, err := s.Scan(ctx, targets, SinkFunc(func(f *finding.Finding) error {
			fs = append(fs, *f)
			return nil
		}))
		done <- ret{fs, stats, err}
	}()
	select {
	case r := <-done:
		if r.err != nil && ctx.Err() == nil {
			t.Fatal(r.err)
		}
		return r.fs, r.stats, time.Since(start)
	case <-time.After(limit):
		t.Fatalf("the scan did not return within %v", limit)
	}
	return nil, nil, 0
}

// patternEngine is the test engine plus pattern rules.
func patternEngine(t *testing.T, patterns ...detect.Rule) *detect.Engine {
	t.Helper()
	rules := []detect.Rule{{ID: "email", Detector: catalog.Email, Severity: finding.SeverityMedium}}
	e, err := detect.New(append(rules, patterns...), detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// evilRule is a pattern rule that backtracks exponentially on a line of
// a's: 100 such lines of 41 bytes (4.1 KB) took 41 s, and their timeouts
// were dropped without a word.
func evilRule(id string) detect.Rule {
	return detect.Rule{ID: id, Class: "secret", Pattern: `(a+)+` + id, Severity: finding.SeverityHigh}
}

var evilLines = strings.Repeat(strings.Repeat("a", 40)+"\n", 100)

// checkPatternProblems checks that the problems are timeouts of what, on
// the lines of path, a few and the last one saying the pattern stopped.
func checkPatternProblems(t *testing.T, stats *Stats, path, what string) {
	t.Helper()
	ps := stats.Problems
	if len(ps) == 0 || len(ps) > detect.DefaultPatternMaxTimeouts {
		t.Fatalf("problems %+v, want 1 to %d timeouts", ps, detect.DefaultPatternMaxTimeouts)
	}
	for _, p := range ps {
		if p.Path != path || !strings.HasPrefix(p.Error, "line ") || !strings.Contains(p.Error, ": "+what+": pattern timed out after 250ms") {
			t.Errorf("problem %+v, want %s: line N: %s: pattern timed out", p, path, what)
		}
		if strings.Contains(p.Error, "aaaa") || strings.Contains(p.Error, "@example.org") {
			t.Errorf("problem quotes the input: %q", p.Error)
		}
	}
	if last := ps[len(ps)-1]; len(ps) == detect.DefaultPatternMaxTimeouts && !strings.Contains(last.Error, "not run on the rest of it") {
		t.Errorf("last problem %q does not say the pattern stopped", last.Error)
	}
}

func TestScanReportsPatternRuleTimeouts(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "evil.log")
	writeFile(t, log, []byte("bob@example.com\n"+evilLines+"carol@example.com\n"))
	opts := testOptions(t)
	opts.Engine = patternEngine(t, evilRule("b"))
	got, stats, took := scanWithin(t, context.Background(), 60*time.Second, opts, log)
	if took > 15*time.Second {
		t.Errorf("scan took %v (about 1 s expected)", took)
	}
	if len(got) != 2 {
		t.Errorf("findings %v, want both emails: the rest of the scan goes on", keys(got))
	}
	checkPatternProblems(t, stats, log, `rule "b"`)
}

func TestScanReportsAllowPatternTimeouts(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "auth.log")
	// A local part of 34 characters hung scan and rules test forever.
	line := "login " + strings.Repeat("a", 34) + "@example.org\n"
	writeFile(t, log, []byte(strings.Repeat(line, 100)))
	list, err := NewAllowlist(allow.Rules{Patterns: []string{`([a-z0-9]+[._-]?)+@example\.com`}}, nil, "US")
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions(t)
	opts.Allow = list
	got, stats, took := scanWithin(t, context.Background(), 60*time.Second, opts, log)
	if took > 15*time.Second {
		t.Errorf("scan took %v (about 1 s expected)", took)
	}
	if len(got) != 100 {
		t.Errorf("%d findings, want 100: a value the pattern could not decide is not allowed", len(got))
	}
	checkPatternProblems(t, stats, log, `allow pattern #1`)
}

func TestScanCancelStopsPatterns(t *testing.T) {
	dir := t.TempDir()
	// Ten rules that time out three times each on each of ten files: some
	// 100 s of regular expressions without cancellation.
	var rules []detect.Rule
	for _, id := range strings.Split("bcdefghijk", "") {
		rules = append(rules, evilRule(id))
	}
	for i := range 10 {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("%d.log", i)), []byte(evilLines))
	}
	opts := testOptions(t)
	opts.Engine = patternEngine(t, rules...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(500*time.Millisecond, cancel)
	_, _, took := scanWithin(t, ctx, 10*time.Second, opts, dir)
	if took > 5*time.Second {
		t.Errorf("scan returned %v after it started, cancelled at 0.5 s", took)
	}
}

// TestScanPEMMarkersAreLinear scans 2.7 MB of private-key BEGIN markers:
// it took 11 s (plain text: 0.08 s) and reported every marker, with
// fingerprints of 16 KiB of the lines after each.
func TestScanPEMMarkersAreLinear(t *testing.T) {
	dir := t.TempDir()
	const size = 2700 << 10
	markers := filepath.Join(dir, "markers.log")
	plain := filepath.Join(dir, "plain.log")
	writeFile(t, markers, []byte(strings.Repeat("-----BEGIN PRIVATE KEY-----\n", size/28)))
	writeFile(t, plain, accessLog(size, 3000))
	opts := testOptions(t)
	opts.Workers = 2
	best := func(path string) (time.Duration, int) {
		var min time.Duration
		var n int
		for i := range 3 {
			got, _, took := scanWithin(t, context.Background(), 60*time.Second, opts, path)
			if i == 0 || took < min {
				min = took
			}
			n = len(got)
		}
		return min, n
	}
	tp, _ := best(plain)
	tm, n := best(markers)
	// Generous, for a loaded machine: before, markers took 120 times as long.
	if tm > 10*tp+2*time.Second {
		t.Errorf("markers scanned in %v, plain text in %v", tm, tp)
	}
	// A marker without a body is no key; one alone at the end of a chunk
	// may have its body in the next chunk.
	if chunks := size/(512<<10) + 1; n > chunks {
		t.Errorf("%d findings, want at most one per chunk (%d)", n, chunks)
	}
}

func TestScanPrivateKeyFingerprintIsTheBlocks(t *testing.T) {
	const key = "-----BEGIN PRIVATE KEY-----\n" +
		"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n" +
		"MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n"
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.log"), []byte(key+"-----END PRIVATE KEY-----\nuser alice logged in\n"))
	writeFile(t, filepath.Join(dir, "b.log"), []byte(key+"\nuser bob logged in\n"))
	got, _ := collect(t, testOptions(t), dir)
	if len(got) != 2 || got[0].Fingerprint != got[1].Fingerprint {
		t.Errorf("findings %v: the same key, with and without its END line, wants one fingerprint", got)
	}
}

func TestScanCapsFindingsPerInput(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&b, "%05d user%d@example.com\n", i, i)
	}
	big := filepath.Join(dir, "big.log")
	small := filepath.Join(dir, "small.log")
	writeFile(t, big, []byte(b.String())) // about 4 chunks of 32 KiB
	writeFile(t, small, []byte("carol@example.com\n"))
	tests := []struct {
		max, want int
		problem   string
	}{
		{1500, 1500, "line 1501: the report stops at 1500 findings for one input: 3500 more from this line on are not reported"},
		{5000, 5000, ""},
		{-1, 5000, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.max), func(t *testing.T) {
			opts := testOptions(t)
			opts.ChunkSize = 32 << 10
			opts.MaxFindings = tt.max
			inc := &memIncremental{pos: map[string]Position{}}
			opts.Incremental = inc
			got, stats := collect(t, opts, dir)
			var n int
			for i, f := range got {
				if f.Path == big {
					if f.Line != i+1 {
						t.Fatalf("finding %d on line %d: the report keeps the first findings", i, f.Line)
					}
					n++
				}
			}
			if n != tt.want || len(got) != n+1 || stats.Findings != int64(n+1) || stats.Unreported != int64(5000-n) {
				t.Errorf("%d findings in big.log, %d in all, stats %+v; want %d", n, len(got), stats, tt.want)
			}
			var problems []string
			for _, p := range stats.Problems {
				problems = append(problems, p.Path+": "+p.Error)
			}
			if want := big + ": " + tt.problem; tt.problem != "" && (len(problems) != 1 || problems[0] != want) || tt.problem == "" && len(problems) > 0 {
				t.Errorf("problems %q, want %q", problems, tt.problem)
			}
			// The file was not wholly reported: the next scan reads it
			// again (and says so again) from the end of the last chunk
			// wholly reported, never past a finding left out.
			pos, ok := inc.pos[big]
			if tt.problem != "" && ok && (pos.Line >= tt.want || pos.Offset != int64(len(lineStart(b.String(), pos.Line+1)))) {
				t.Errorf("incremental position %+v, want one on a line boundary before line %d, the first left out", pos, tt.want+1)
			}
			if tt.problem == "" && pos.Offset != int64(b.Len()) {
				t.Errorf("incremental position %+v, want the end of the file", pos)
			}
		})
	}
}

func TestScanCapsFindingsByDefault(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "flood.log")
	writeFile(t, log, []byte(strings.Repeat("x@example.com\n", DefaultMaxFindings+10)))
	opts := testOptions(t)
	opts.Engine = patternEngine(t)
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	stats, err := s.Scan(context.Background(), []string{log}, SinkFunc(func(*finding.Finding) error { n++; return nil }))
	if err != nil {
		t.Fatal(err)
	}
	if n != DefaultMaxFindings || len(stats.Problems) != 1 || !strings.Contains(stats.Problems[0].Error, "10 more") {
		t.Errorf("%d findings, problems %+v; want %d and the 10 left out", n, stats.Problems, DefaultMaxFindings)
	}
}

// lineStart returns the part of text before line n (1-based).
func lineStart(text string, n int) string {
	off := 0
	for range n - 1 {
		i := strings.IndexByte(text[off:], '\n')
		if i < 0 {
			return text
		}
		off += i + 1
	}
	return text[:off]
}
