package scanners

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/scanners/detect"
)

// writeZip writes a zip archive of members named m000.log... with the
// given contents.
func writeZip(t *testing.T, path string, members []string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i, m := range members {
		w, err := zw.Create(fmt.Sprintf("m%03d.log", i))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, buf.Bytes())
}

// A pattern's budget is the input's, not each member's: 50 members of
// three timing-out lines each cost a pattern three timeouts, not 150 (the
// attacker's 2.4 KB zip of 20 members took 24.5 s, a 200-member tar 53 s).
func TestScanPatternBudgetPerInput(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "evil.zip")
	members := make([]string, 50)
	for i := range members {
		members[i] = strings.Repeat(strings.Repeat("a", 40)+"\n", 3)
	}
	members[49] += "bob@example.com\n"
	writeZip(t, archive, members)
	opts := testOptions(t)
	opts.Engine = patternEngine(t, evilRule("b"))
	got, stats, took := scanWithin(t, context.Background(), 120*time.Second, opts, archive)
	if took > 10*time.Second {
		t.Errorf("scan took %v (about 1 s expected): the budget restarts for each member", took)
	}
	if len(got) != 1 {
		t.Errorf("findings %v, want the email of the last member", keys(got))
	}
	ps := stats.Problems
	if len(ps) == 0 || len(ps) > detect.DefaultPatternMaxTimeouts {
		t.Fatalf("%d problems, want 1 to %d timeouts for the whole archive: %+v", len(ps), detect.DefaultPatternMaxTimeouts, ps)
	}
	for _, p := range ps {
		if top, _ := itempath.Outer(p.Path); top != archive || !strings.Contains(p.Error, `rule "b": pattern timed out`) {
			t.Errorf("problem %+v, want a timeout of rule b in a member of %s", p, archive)
		}
	}
	stopped := false
	for _, p := range ps {
		stopped = stopped || strings.Contains(p.Error, "(3 times in this input): not run on the rest of it")
	}
	if len(ps) == detect.DefaultPatternMaxTimeouts && !stopped {
		t.Errorf("problems %+v: none says the pattern stopped for the input", ps)
	}
}

// The findings cap is the input's: a zip of many members each under the
// cap is capped as a whole (the attacker's 101 KB zip wrote 5.14 GB).
func TestScanCapsFindingsAcrossMembers(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "flood.zip")
	members := make([]string, 20)
	for i := range members {
		members[i] = strings.Repeat("mail a@b.io\n", 100)
	}
	writeZip(t, archive, members)
	opts := testOptions(t)
	opts.MaxFindings = 500
	got, stats := collect(t, opts, archive)
	if len(got) != 500 || stats.Findings != 500 || stats.Unreported != 1500 {
		t.Errorf("%d findings, stats %+v; want 500 reported and 1500 counted", len(got), stats)
	}
	want := itempath.Join(archive, "m005.log") + ": line 1: the report stops at 500 findings for one input: 1500 more from this line on are not reported"
	if len(stats.Problems) != 1 || stats.Problems[0].Path+": "+stats.Problems[0].Error != want {
		t.Errorf("problems %+v, want one: %s", stats.Problems, want)
	}
}

// Past the cap the first finding of each rule not yet reported is still
// reported: 150 e-mails then an SSN with a cap of 100 used to hide the SSN
// for good.
func TestScanCapKeepsOneFindingPerRule(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	archive := filepath.Join(dir, "more.zip")
	data := strings.Repeat("mail a@b.io\n", 150) + "ssn 536-22-8451\nssn 536-22-8452\n"
	writeFile(t, log, []byte(data))
	// In an archive, the SSN of a later member is kept too.
	writeZip(t, archive, []string{strings.Repeat("mail a@b.io\n", 150), "ssn 536-22-8451\nmail c@d.io\n"})
	for _, path := range []string{log, archive} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			opts := testOptions(t)
			opts.ChunkSize = 32 << 10
			opts.MaxFindings = 100
			got, stats := collect(t, opts, path)
			var classes []string
			for _, f := range got[100:] {
				classes = append(classes, f.Class)
			}
			if len(got) != 101 || got[100].Class != "us_ssn" || stats.Findings != 101 || stats.Unreported != 51 {
				t.Errorf("%d findings, past the cap %q, stats %+v; want 100 e-mails, the first SSN, 51 counted", len(got), classes, stats)
			}
			if len(stats.Problems) != 1 || !strings.Contains(stats.Problems[0].Error, "line 101: the report stops at 100 findings for one input: 51 more") {
				t.Errorf("problems %+v", stats.Problems)
			}
		})
	}
}

// An input that was not wholly examined does not move its incremental
// position: the next run reads it again and reports the problem again,
// instead of skipping it as unchanged with no problem.
func TestIncrementalKeepsPartialInputs(t *testing.T) {
	dir := t.TempDir()
	capped := filepath.Join(dir, "capped.log")
	evil := filepath.Join(dir, "evil.log")
	writeFile(t, capped, []byte(strings.Repeat("mail a@b.io\n", 10)))
	writeFile(t, evil, []byte(strings.Repeat("a", 40)+"\nmail c@d.io\n"))
	opts := testOptions(t)
	opts.Engine = patternEngine(t, evilRule("b"))
	opts.MaxFindings = 5
	inc := &memIncremental{pos: map[string]Position{}}
	opts.Incremental = inc
	for run := range 2 {
		got, stats := collect(t, opts, dir)
		var problems []string
		for _, p := range stats.Problems {
			problems = append(problems, filepath.Base(p.Path)+": "+p.Error)
		}
		if len(got) != 6 || stats.Unchanged != 0 || len(problems) != 2 ||
			!strings.HasPrefix(problems[0], "capped.log: line 6: the report stops at 5") ||
			!strings.HasPrefix(problems[1], `evil.log: line 1: rule "b": pattern timed out`) {
			t.Errorf("run %d: %d findings, %d unchanged, problems %q; want 6, none, the cap and the timeout", run+1, len(got), stats.Unchanged, problems)
		}
		if len(inc.pos) != 0 {
			t.Errorf("run %d: positions %+v, want none", run+1, inc.pos)
		}
	}
}
