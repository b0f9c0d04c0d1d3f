package detect

import (
	"bytes"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dlclark/regexp2"

	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

// customRule is a compiled rule from rules.yaml with a regexp2 pattern.
type customRule struct {
	rule     int
	re       *regexp2.Regexp
	keywords [][]byte // lower case
	// keywordForms are the keywords in lower, Title and UPPER case.
	keywordForms [][]byte
	valueGrp     int // number of the group named "value", or 0
	validate     func([]byte) bool
}

func compileCustom(idx int, r Rule, limits PatternLimits) (*customRule, error) {
	re, err := catalog.CompileRule(r.Pattern, r.Keywords)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = limits.withDefaults().Timeout
	c := &customRule{rule: idx, re: re}
	for _, name := range re.GetGroupNames() {
		if name == "value" {
			c.valueGrp = re.GroupNumberFromName(name)
		}
	}
	for _, k := range r.Keywords {
		k = strings.TrimSpace(k)
		low := strings.ToLower(k)
		c.keywords = append(c.keywords, []byte(low))
		if prefixKeyword(low) {
			continue // found by the prefilter's keyword table
		}
		for _, form := range []string{low, strings.ToUpper(low[:1]) + low[1:], strings.ToUpper(low)} {
			if !slices.ContainsFunc(c.keywordForms, func(f []byte) bool { return string(f) == form }) {
				c.keywordForms = append(c.keywordForms, []byte(form))
			}
		}
	}
	if r.Validator != "" {
		v, ok := Validators[r.Validator]
		if !ok {
			return nil, catalog.CheckValidator(r.Validator)
		}
		c.validate = v
	}
	return c, nil
}

// customRules runs the pattern rules. A rule with keywords only looks at
// lines that contain one of them, which keeps slow regular expressions off
// most of the input. A keyword that starts with two letters matches, in any
// case, at the start of a word (after a space, punctuation, '_' or '-');
// others match anywhere, written in lower, Title or UPPER case. A rule that
// used up its budget in the stream is skipped, and the rules stop when the
// scan's context ends.
func (s *Matcher) customRules() {
	b := s.b
	for ci, c := range s.e.custom {
		if s.budget.Stopped(ci) {
			continue
		}
		if len(c.keywords) == 0 {
			for p := 0; p < len(b); {
				end := lineEnd(b, p)
				if !s.customLine(ci, c, p, end) {
					break
				}
				p = end + 1
			}
			continue
		}
		s.lines = s.lines[:0]
		for _, h := range s.hits {
			if h.kind == kwCustom && int(h.id) == ci {
				s.lines = append(s.lines, lineStart(b, h.start))
			}
		}
		for _, kw := range c.keywordForms {
			for off := 0; off < len(b); {
				k := bytes.Index(b[off:], kw)
				if k < 0 {
					break
				}
				k += off
				ls := lineStart(b, k)
				s.lines = append(s.lines, ls)
				off = lineEnd(b, k) + 1
			}
		}
		slices.Sort(s.lines)
		for _, ls := range slices.Compact(s.lines) {
			if !s.customLine(ci, c, ls, lineEnd(b, ls)) {
				break
			}
		}
	}
}

func lineEnd(b []byte, p int) int {
	if k := bytes.IndexByte(b[p:], '\n'); k >= 0 {
		return p + k
	}
	return len(b)
}

// customLine runs rule c (the ci-th pattern rule) on the line b[ls:le]. It
// reports false when the rule is not to run on the rest of the text: it
// used up its budget in the stream, or the scan's context ended.
func (s *Matcher) customLine(ci int, c *customRule, ls, le int) bool {
	line := s.b[ls:le]
	if len(line) == 0 {
		return true
	}
	if s.ctx.Err() != nil {
		return false
	}
	t0 := time.Now()
	m, err := c.re.FindStringMatch(string(line))
	if !s.charge(ci, ls, t0, err) {
		return false
	}
	for err == nil && m != nil {
		g := m.Group.Capture
		if c.valueGrp > 0 {
			if vg := m.GroupByNumber(c.valueGrp); vg != nil && len(vg.Captures) > 0 {
				g = vg.Capture
			}
		}
		if g.Length > 0 {
			start := ls + runeOffset(line, g.Index)
			end := ls + runeOffset(line, g.Index+g.Length)
			if c.validate == nil || c.validate(s.b[start:end]) {
				s.matches = append(s.matches, Match{Start: start, End: end, Rule: c.rule,
					Confidence: s.e.rules[c.rule].Confidence})
			}
		}
		if s.ctx.Err() != nil {
			return false
		}
		t0 = time.Now()
		m, err = c.re.FindNextMatch(m)
		if !s.charge(ci, ls, t0, err) {
			return false
		}
	}
	return true
}

// charge charges a match of the ci-th pattern rule on the line at ls,
// started at t0 and failed with err, to the budget, and records a problem
// when the match timed out or the rule used up its budget. It reports
// whether the rule may go on.
func (s *Matcher) charge(ci, ls int, t0 time.Time, err error) bool {
	perr, goOn := s.budget.Charge(ci, time.Since(t0), err)
	if perr != nil {
		s.problems = append(s.problems, PatternProblem{Offset: ls, Err: perr})
	}
	return goOn
}

// runeOffset converts an index in runes (as regexp2 reports them; every
// invalid byte counts as one rune) to a byte offset in line.
func runeOffset(line []byte, runes int) int {
	off := 0
	for r := 0; r < runes && off < len(line); r++ {
		if line[off] < utf8.RuneSelf {
			off++
			continue
		}
		_, size := utf8.DecodeRune(line[off:])
		off += size
	}
	return off
}
