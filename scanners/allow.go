package scanners

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/dlclark/regexp2"

	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/scanners/allow"
	"github.com/piiscan/piiscan/scanners/detect"
)

type allowSet struct {
	values   map[string]bool
	patterns []*regexp2.Regexp
	base     int // budget slot of patterns[0]
	prefixes []netip.Prefix
	paths    []string
}

// Allowlist decides which findings a policy accepts.
type Allowlist struct {
	global  *allowSet
	byClass map[string]*allowSet
	region  string
	// names are the allow patterns of every set, as budget slots.
	names []string
}

// NewAllowlist compiles global rules and per-class rules. region is the
// default phone region used to normalise allowed phone numbers.
func NewAllowlist(global allow.Rules, byClass map[string]allow.Rules, region string) (*Allowlist, error) {
	g, classes, err := allow.CompileAll(global, byClass)
	if err != nil {
		return nil, err
	}
	a := &Allowlist{byClass: map[string]*allowSet{}, region: region}
	a.global = newAllowSet(global, g, "", region)
	a.addNames(a.global, global.Patterns, "allow pattern #%d")
	for _, class := range slices.Sorted(maps.Keys(byClass)) {
		r := byClass[class]
		s := newAllowSet(r, classes[class], class, region)
		a.byClass[class] = s
		a.addNames(s, r.Patterns, "allow pattern #%d of class "+class)
	}
	return a, nil
}

// addNames gives the patterns of s their budget slots, named by their
// place in the list: a pattern may spell out an allowed value, which
// reports and logs must not repeat.
func (a *Allowlist) addNames(s *allowSet, patterns []string, format string) {
	s.base = len(a.names)
	for i := range patterns {
		a.names = append(a.names, fmt.Sprintf(format, i+1))
	}
}

// NewBudget returns the budget of the allow patterns for one input (see
// detect.Budget), or nil when there are none.
func (a *Allowlist) NewBudget(limits detect.PatternLimits) *detect.Budget {
	if a == nil || len(a.names) == 0 {
		return nil
	}
	return detect.NewBudget(limits, a.names)
}

// newAllowSet is the set of r, compiled to c, for class ("" for the
// global set).
func newAllowSet(r allow.Rules, c allow.Compiled, class, region string) *allowSet {
	s := &allowSet{values: map[string]bool{}, patterns: c.Patterns, prefixes: c.Prefixes, paths: r.Paths}
	for _, v := range r.Values {
		s.values[v] = true
		s.values[strings.ToLower(v)] = true
		if class != "" {
			s.values[string(detect.Normalize(class, []byte(v), region))] = true
		}
	}
	for _, re := range s.patterns {
		re.MatchTimeout = detect.DefaultPatternTimeout
	}
	return s
}

// allowPath is a finding path as allow globs see it: whole, with its
// names unescaped, and the base name of its last name.
type allowPath struct{ full, base string }

func newAllowPath(p string) allowPath {
	last, members := itempath.Split(p)
	if len(members) > 0 {
		last = members[len(members)-1]
	}
	return allowPath{full: itempath.Unescape(p), base: last[strings.LastIndexByte(last, '/')+1:]}
}

func (s *allowSet) path(p allowPath) bool { return itempath.Match(s.paths, p.full, p.base) }

// value reports whether s allows the value. Its patterns are charged to b
// (nil: only the match timeout bounds them); those that did not decide
// are added to errs.
func (s *allowSet) value(class string, raw, norm []byte, b *detect.Budget, errs []*detect.PatternError) (bool, []*detect.PatternError) {
	if s.values[string(raw)] || s.values[string(norm)] {
		return true, errs
	}
	if len(s.prefixes) > 0 && class == "ip_address" {
		if addr, err := netip.ParseAddr(string(raw)); err == nil {
			addr = addr.Unmap()
			for _, p := range s.prefixes {
				if p.Contains(addr) {
					return true, errs
				}
			}
		}
	}
	if len(s.patterns) > 0 {
		str := string(raw)
		for k, re := range s.patterns {
			if b.Stopped(s.base + k) {
				continue
			}
			t0 := time.Now()
			ok, err := re.MatchString(str)
			if b != nil {
				perr, _ := b.Charge(s.base+k, time.Since(t0), err)
				if perr != nil {
					errs = append(errs, perr)
				}
			}
			if ok && err == nil {
				return true, errs
			}
		}
	}
	return false, errs
}

// Path reports whether every finding of class in path (a finding path)
// is allowed. class "" asks whether the whole path is allowed.
func (a *Allowlist) Path(path, class string) bool {
	if a == nil {
		return false
	}
	var s *allowSet
	if class != "" {
		s = a.byClass[class]
	}
	if len(a.global.paths) == 0 && (s == nil || len(s.paths) == 0) {
		return false // no globs: no need to split and unescape the path
	}
	p := newAllowPath(path)
	return a.global.path(p) || s != nil && s.path(p)
}

// PathClasses returns the classes whose every finding in path (a finding
// path) the per-class rules allow, nil for none: Path(path, class) for
// each class whose rules have globs, with the path split once. The
// global rules are Path(path, "")'s.
func (a *Allowlist) PathClasses(path string) map[string]bool {
	if a == nil {
		return nil
	}
	var p *allowPath
	var out map[string]bool
	for class, s := range a.byClass {
		if len(s.paths) == 0 {
			continue
		}
		if p == nil {
			np := newAllowPath(path)
			p = &np
		}
		if s.path(*p) {
			if out == nil {
				out = map[string]bool{}
			}
			out[class] = true
		}
	}
	return out
}

// Value reports whether a value of class is allowed. norm is its normalised
// form. A pattern that times out on the value does not allow it.
func (a *Allowlist) Value(class string, raw, norm []byte) bool {
	ok, _ := a.ValueIn(nil, class, raw, norm)
	return ok
}

// ValueIn is Value for a value found in a stream: the allow patterns are
// charged to b, the stream's budget (see NewBudget), and those that did not
// decide (a match timed out, or the pattern used up its budget in the
// stream) are returned, for the caller to report: the value is not allowed
// by them.
func (a *Allowlist) ValueIn(b *detect.Budget, class string, raw, norm []byte) (bool, []*detect.PatternError) {
	if a == nil {
		return false, nil
	}
	ok, errs := a.global.value(class, raw, norm, b, nil)
	if ok {
		return true, errs
	}
	if s := a.byClass[class]; s != nil {
		return s.value(class, raw, norm, b, errs)
	}
	return false, errs
}
