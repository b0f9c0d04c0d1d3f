package detect

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/piiscan/piiscan/finding"
)

func TestBudgetCharge(t *testing.T) {
	lim := PatternLimits{Timeout: time.Second, MaxTimeouts: 2, Time: 10 * time.Second, TimePerMiB: 4 * time.Second}
	timeout := errors.New("match timeout after 1s on input `alice@example.com`")
	type charge struct {
		d       time.Duration
		err     error
		want    string // substring of the PatternError, "" for none
		goOn    bool
		scanned int // bytes scanned before the charge
	}
	tests := []struct {
		name    string
		charges []charge
	}{
		{"fast matches go on", []charge{{d: time.Millisecond, goOn: true}, {d: time.Millisecond, goOn: true}}},
		{"timeouts then stop", []charge{
			{d: time.Second, err: timeout, want: `rule "x": pattern timed out after 1s`, goOn: true},
			{d: time.Second, err: timeout, want: "pattern timed out after 1s (2 times in this input): not run on the rest of it"},
			{d: time.Second, err: timeout}, // stopped already: not reported again
		}},
		{"time limit", []charge{
			{d: 6 * time.Second, goOn: true},
			{d: 6 * time.Second, want: "pattern spent 12s in this input (limit 10s): not run on the rest of it"},
			{d: time.Millisecond},
		}},
		{"the limit grows with the stream", []charge{
			{d: 6 * time.Second, goOn: true},
			{d: 6 * time.Second, goOn: true, scanned: 1 << 20},
			{d: 3 * time.Second, want: "pattern spent 15s in this input (limit 14s)"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBudget(lim, []string{`rule "x"`})
			for i, c := range tt.charges {
				b.Scanned(c.scanned)
				perr, goOn := b.Charge(0, c.d, c.err)
				got := ""
				if perr != nil {
					got = perr.Error()
				}
				if goOn != c.goOn || c.want == "" && got != "" || !strings.Contains(got, c.want) {
					t.Errorf("charge %d: error %q, go on %v; want %q, %v", i, got, goOn, c.want, c.goOn)
				}
				if strings.Contains(got, "alice") {
					t.Errorf("charge %d: the error quotes the input: %q", i, got)
				}
				if b.Stopped(0) == c.goOn {
					t.Errorf("charge %d: stopped %v after go on %v", i, b.Stopped(0), c.goOn)
				}
			}
		})
	}
}

// catastrophic is a pattern rule that backtracks exponentially on a line of
// a's without a b.
func catastrophic(id string) Rule {
	return Rule{ID: id, Class: "secret", Pattern: `(a+)+` + id, Severity: finding.SeverityHigh}
}

// craftedLines returns n lines that make catastrophic rules time out.
func craftedLines(n int) string {
	return strings.Repeat(strings.Repeat("a", 40)+"\n", n)
}

func TestPatternRuleTimeoutsAreReportedAndBounded(t *testing.T) {
	e, err := New([]Rule{catastrophic("b"), {ID: "emp", Class: "employee_id", Pattern: `EMP-\d{6}`, Severity: finding.SeverityLow}},
		Options{Patterns: PatternLimits{Timeout: 20 * time.Millisecond, MaxTimeouts: 2}})
	if err != nil {
		t.Fatal(err)
	}
	text := []byte("EMP-123456\n" + craftedLines(100) + "EMP-654321\n")
	s := e.NewMatcher()
	b := e.NewBudget()
	b.Scanned(len(text))
	start := time.Now()
	ms := s.ScanStream(context.Background(), b, text, nil)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("scan took %v", d) // 100 timeouts: about 15 s
	}
	if len(ms) != 2 {
		t.Errorf("matches %v, want the two EMP ids: a rule's timeouts do not stop the others", ms)
	}
	var got []string
	for _, p := range s.PatternProblems() {
		got = append(got, p.Err.Error())
		if p.Offset != 11 && p.Offset != 11+41 {
			t.Errorf("problem at %d, want the start of line 2 or 3", p.Offset)
		}
	}
	want := []string{`rule "b": pattern timed out after 20ms`,
		`rule "b": pattern timed out after 20ms (2 times in this input): not run on the rest of it`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("problems %q\nwant %q", got, want)
	}
	// The next block of the stream does not run the stopped rule.
	start = time.Now()
	s.ScanStream(context.Background(), b, text, nil)
	if len(s.PatternProblems()) != 0 || time.Since(start) > 5*time.Second {
		t.Errorf("stopped rule ran again: %v in %v", s.PatternProblems(), time.Since(start))
	}
}

func TestScanStreamStopsWhenContextEnds(t *testing.T) {
	var rules []Rule
	for _, id := range []string{"b", "c", "d", "e", "f"} {
		rules = append(rules, catastrophic(id))
	}
	// Without the context, five rules time out on 100 lines each.
	e, err := New(rules, Options{Patterns: PatternLimits{MaxTimeouts: 1000, Time: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	e.NewMatcher().ScanStream(ctx, e.NewBudget(), []byte(craftedLines(100)), nil)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("scan returned %v after it started, cancelled at 300ms", d)
	}
}
