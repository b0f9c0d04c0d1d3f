package detect

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// Regular expressions (the patterns of custom rules and of allow lists) are
// regexp2 expressions, which backtrack: a pattern such as ([a-z]+[._-]?)+@x
// takes exponential time on a line an attacker can write into a log. Three
// limits keep such a pattern from stalling a scan, each reported rather than
// silently dropping what the pattern would have found:
//
//   - one match (a pattern rule on one line, an allow pattern on one value)
//     times out after PatternLimits.Timeout;
//   - a pattern that timed out PatternLimits.MaxTimeouts times in one input
//     is not run on the rest of that input;
//   - nor is a pattern that spent more than PatternLimits.Time plus
//     PatternLimits.TimePerMiB for each MiB of the input scanned so far,
//     which catches lines crafted to stay just under the timeout.
//
// An input is what a Budget is shared by: for the scanner, a top-level
// input (a file, an object, stdin) with all its archive members, nested or
// not, so that an archive of many small hostile members costs no more than
// one file of the same lines. With the defaults a hostile input costs a
// pattern at most about a second (three timeouts), or 2 s plus 2 s per MiB
// of crafted lines that stay just under the timeout, instead of hanging the
// scan. Ordinary patterns run at
// 2 to 80 MB/s (a keyword-less e-mail expression is among the slowest), far
// inside the 0.5 MiB/s the time limit asks of them.
const (
	// DefaultPatternTimeout is the default PatternLimits.Timeout.
	DefaultPatternTimeout = 250 * time.Millisecond
	// DefaultPatternMaxTimeouts is the default PatternLimits.MaxTimeouts.
	DefaultPatternMaxTimeouts = 3
	// DefaultPatternTime is the default PatternLimits.Time.
	DefaultPatternTime = 2 * time.Second
	// DefaultPatternTimePerMiB is the default PatternLimits.TimePerMiB.
	DefaultPatternTimePerMiB = 2 * time.Second
)

// PatternLimits bound the time regular expressions may take on hostile
// input. Zero fields take the defaults above.
type PatternLimits struct {
	// Timeout bounds one match. The check runs on a clock that ticks every
	// 100 ms, so a match may run up to 100 ms longer.
	Timeout time.Duration
	// MaxTimeouts is how many times a pattern may time out in one input
	// before it is stopped for the rest of the input.
	MaxTimeouts int
	// Time and TimePerMiB bound the time a pattern may spend on one input:
	// Time, plus TimePerMiB for each MiB of the input scanned so far.
	Time, TimePerMiB time.Duration
}

// withDefaults returns l with its zero fields set to the defaults.
func (l PatternLimits) withDefaults() PatternLimits {
	if l.Timeout <= 0 {
		l.Timeout = DefaultPatternTimeout
	}
	if l.MaxTimeouts <= 0 {
		l.MaxTimeouts = DefaultPatternMaxTimeouts
	}
	if l.Time <= 0 {
		l.Time = DefaultPatternTime
	}
	if l.TimePerMiB <= 0 {
		l.TimePerMiB = DefaultPatternTimePerMiB
	}
	return l
}

// PatternError is a pattern that did not finish: one match timed out, or
// the pattern used up its budget in an input and is stopped for the rest
// of it. It never holds the text the pattern ran on.
type PatternError struct {
	// Pattern names the pattern: `rule "id"` or `allow pattern "expr"`.
	Pattern string
	// Timeout is set when a match timed out.
	Timeout time.Duration
	// Timeouts is the number of timeouts in the input so far.
	Timeouts int
	// Stopped reports that the pattern is not run on the rest of the input.
	Stopped bool
	// Spent is the time the pattern spent in the input, and Limit what it
	// was allowed, when it was stopped for its time.
	Spent, Limit time.Duration
}

func (e *PatternError) Error() string {
	var b strings.Builder
	b.WriteString(e.Pattern)
	b.WriteString(": ")
	if e.Timeout > 0 {
		fmt.Fprintf(&b, "pattern timed out after %v", e.Timeout)
		if e.Stopped {
			fmt.Fprintf(&b, " (%d times in this input): not run on the rest of it", e.Timeouts)
		}
	} else {
		fmt.Fprintf(&b, "pattern spent %v in this input (limit %v): not run on the rest of it",
			e.Spent.Round(time.Millisecond), e.Limit.Round(time.Millisecond))
	}
	return b.String()
}

// Budget is the time a set of patterns spent on one input, pattern by
// pattern. The chunks and archive members of an input are scanned by
// several goroutines: a Budget is safe for concurrent use.
type Budget struct {
	limits PatternLimits
	names  []string
	bytes  atomic.Int64
	slots  []budgetSlot
}

type budgetSlot struct {
	spent    atomic.Int64 // nanoseconds
	timeouts atomic.Int32
	stopped  atomic.Bool
}

// NewBudget returns the budget of one input for the patterns named names
// (`rule "id"`, as PatternError.Pattern reports them).
func NewBudget(limits PatternLimits, names []string) *Budget {
	return &Budget{limits: limits.withDefaults(), names: names, slots: make([]budgetSlot, len(names))}
}

// Scanned adds n bytes to the part of the input scanned, which raises the
// time the patterns may spend on it.
func (b *Budget) Scanned(n int) {
	if b != nil {
		b.bytes.Add(int64(n))
	}
}

// Stopped reports whether pattern i is stopped for the rest of the input.
func (b *Budget) Stopped(i int) bool {
	return b != nil && b.slots[i].stopped.Load()
}

// Charge records that one match of pattern i took d, failing with err (a
// regexp2 timeout, or nil). It returns the PatternError to report, if any,
// and whether the pattern may go on in this input. The text of err, which
// quotes the input, is never passed on.
func (b *Budget) Charge(i int, d time.Duration, err error) (perr *PatternError, goOn bool) {
	s := &b.slots[i]
	spent := time.Duration(s.spent.Add(int64(d)))
	if err != nil {
		n := int(s.timeouts.Add(1))
		switch {
		case n < b.limits.MaxTimeouts:
			return &PatternError{Pattern: b.names[i], Timeout: b.limits.Timeout, Timeouts: n}, true
		case n == b.limits.MaxTimeouts && s.stopped.CompareAndSwap(false, true):
			return &PatternError{Pattern: b.names[i], Timeout: b.limits.Timeout, Timeouts: n, Stopped: true}, false
		}
		return nil, false // stopped and reported by another match
	}
	limit := b.limits.Time + time.Duration(float64(b.limits.TimePerMiB)*float64(b.bytes.Load())/(1<<20))
	if spent <= limit {
		return nil, true
	}
	if s.stopped.CompareAndSwap(false, true) {
		return &PatternError{Pattern: b.names[i], Stopped: true, Spent: spent, Limit: limit}, false
	}
	return nil, false
}
