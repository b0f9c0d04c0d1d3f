// Package allow checks and compiles the entries of an allowlist of
// rules.yaml: values, patterns, IP ranges and path globs. It holds no
// matching logic (see scanners.Allowlist), only what both loading a policy
// and building a scan need, so that both reject the same entries with the
// same words.
package allow

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/dlclark/regexp2"

	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

// Rules are values and places a policy accepts: the company's own
// support address, its load balancers, a test fixture directory.
type Rules struct {
	// Values are exact values, compared after normalisation (so an email
	// matches in any case and a phone number in any written form).
	Values []string
	// Patterns are regexp2 expressions; a value they match in full is
	// allowed. A match times out after detect.DefaultPatternTimeout, and a
	// value a pattern could not decide is not allowed by it (see
	// scanners.Allowlist.ValueIn).
	Patterns []string
	// CIDRs allow IP addresses inside these ranges.
	CIDRs []string
	// Paths are globs; findings in matching paths are allowed. Archive
	// members are matched by their full ARCHIVE!MEMBER path, with names
	// as they are (unescaped: a file report!1.log is matched as
	// report!1.log). A glob without '/' also matches the base name of
	// the file or innermost member.
	Paths []string
}

// Compiled are the patterns and ranges of Rules, compiled. The patterns
// have no match timeout yet: the caller sets it.
type Compiled struct {
	// Patterns match a whole value.
	Patterns []*regexp2.Regexp
	// Prefixes are the CIDRs, masked; a single address is a full-length
	// prefix.
	Prefixes []netip.Prefix
}

// Compile compiles r, or returns the error of its first bad entry.
func Compile(r Rules) (Compiled, error) {
	var c Compiled
	for _, p := range r.Patterns {
		re, err := catalog.CompilePattern(`\A(?:` + p + `)\z`)
		if err != nil {
			return Compiled{}, fmt.Errorf("allow pattern %q: %w", p, err)
		}
		c.Patterns = append(c.Patterns, re)
	}
	for _, s := range r.CIDRs {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return Compiled{}, fmt.Errorf("allow cidr %q: %w", s, err)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		c.Prefixes = append(c.Prefixes, p.Masked())
	}
	for _, g := range r.Paths {
		if !doublestar.ValidatePattern(g) {
			return Compiled{}, fmt.Errorf("allow path: invalid glob %q", g)
		}
	}
	return c, nil
}

// CompileAll compiles the global rules, then those of each class in the
// order of their names, and returns the first error, naming its class.
func CompileAll(global Rules, byClass map[string]Rules) (Compiled, map[string]Compiled, error) {
	g, err := Compile(global)
	if err != nil {
		return Compiled{}, nil, err
	}
	classes := map[string]Compiled{}
	for _, class := range slices.Sorted(maps.Keys(byClass)) {
		c, err := Compile(byClass[class])
		if err != nil {
			return Compiled{}, nil, fmt.Errorf("class %s: %w", class, err)
		}
		classes[class] = c
	}
	return g, classes, nil
}
