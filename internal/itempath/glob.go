package itempath

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Match reports whether any of globs matches a name. Globs are matched
// with doublestar ("**" crosses directories) against rel, the path
// relative to what was walked, with '/' separators. A glob without '/'
// also matches base, the last name alone, so "*.log" selects log files at
// any depth.
func Match(globs []string, rel, base string) bool {
	for _, g := range globs {
		if ok, _ := doublestar.Match(g, rel); ok {
			return true
		}
		if !strings.Contains(g, "/") {
			if ok, _ := doublestar.Match(g, base); ok {
				return true
			}
		}
	}
	return false
}

// HasMeta reports whether p holds a glob metacharacter.
func HasMeta(p string) bool { return strings.ContainsAny(p, "*?[{") }

// FixedDir returns the folder part of the local path p before its first
// glob metacharacter, cleaned: what a walk for the glob starts from. A
// path without one is returned whole, cleaned.
func FixedDir(p string) string {
	i := strings.IndexAny(p, "*?[{")
	if i < 0 {
		return filepath.Clean(p)
	}
	return filepath.Clean(filepath.Dir(p[:i] + "x"))
}

// CheckGlob returns an error if g is not a well-formed glob.
func CheckGlob(g string) error {
	if !doublestar.ValidatePattern(g) {
		return fmt.Errorf("invalid glob %q", g)
	}
	return nil
}

// CheckGlobs returns an error for the first malformed glob.
func CheckGlobs(globs []string) error {
	for _, g := range globs {
		if err := CheckGlob(g); err != nil {
			return err
		}
	}
	return nil
}
