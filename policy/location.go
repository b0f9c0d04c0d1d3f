package policy

import (
	"path/filepath"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/internal/itempath"
)

// LocationOf returns the location of c that path belongs to, or nil: of
// the locations that contain it, the most specific (see Contains and
// specificity), the first declared on a tie. Files and objects are placed
// alike.
func LocationOf(c *config.Config, path string) *config.Location {
	wd := workDir(path)
	var best *config.Location
	bestScore := -1
	for _, l := range c.Locations {
		if s := specificity(l, path, wd); s > bestScore {
			best, bestScore = l, s
		}
	}
	return best
}

// Contains reports whether path is inside the location l: a path that is
// not a glob is a directory (or a file) and contains itself and what is
// below it, never a sibling whose name merely starts the same
// (/var/log/app holds /var/log/app/x, not /var/log/app-old/x; s3://b/app
// holds s3://b/app/x, not s3://b/app-archive/x); a glob contains what it
// matches. Several locations may contain a path: LocationOf says which
// one it belongs to.
func Contains(l *config.Location, path string) bool { return specificity(l, path, workDir(path)) >= 0 }

// workDir is the working directory relative paths are resolved against
// when matching path ("" when it cannot be told). An s3:// URL meets no
// local pattern, so it gets "" without asking the system (os.Getwd
// stats two directories; Contains runs once per listed object).
func workDir(path string) string {
	if itempath.IsObject(path) {
		return ""
	}
	wd, err := filepath.Abs(".")
	if err != nil {
		return ""
	}
	return wd
}

// specificity returns how specifically the location l names path, -1
// when it does not contain it: the length of the literal part of its most
// specific matching path, a directory counting with its trailing slash
// (/var/log/app as "/var/log/app/", 13) and a glob up to its first
// metacharacter (/var/log/app/*.log as "/var/log/app/", 13). A glob wins
// a tie with a directory (it is the narrower of the two): the score is
// doubled and a glob adds one. Relative paths are resolved against wd.
func specificity(l *config.Location, path, wd string) int {
	best := -1
	if itempath.IsObject(path) {
		for _, pat := range l.Paths {
			if !itempath.IsObject(pat) {
				continue
			}
			if s := matchScore(pat, path); s > best {
				best = s
			}
		}
		return best
	}
	p := filepath.ToSlash(absIn(wd, path))
	for _, pat := range l.Paths {
		if itempath.IsObject(pat) {
			continue
		}
		pat = filepath.ToSlash(pat)
		if !strings.HasPrefix(pat, "/") && !filepath.IsAbs(pat) {
			if itempath.HasMeta(pat) {
				pat = filepath.ToSlash(wd) + "/" + pat
			} else {
				pat = filepath.ToSlash(absIn(wd, filepath.FromSlash(pat)))
			}
		} else if !itempath.HasMeta(pat) {
			pat = filepath.ToSlash(filepath.Clean(filepath.FromSlash(pat)))
		}
		if s := matchScore(pat, p); s > best {
			best = s
		}
	}
	return best
}

// matchScore matches path against one pattern of a location, both
// absolute and slash-separated (or both s3:// URLs), and returns the
// pattern's specificity, or -1.
func matchScore(pat, path string) int {
	if itempath.HasMeta(pat) {
		if ok, _ := doublestar.Match(pat, path); ok {
			return 2*strings.IndexAny(pat, "*?[{") + 1
		}
		return -1
	}
	dir := strings.TrimSuffix(pat, "/")
	if path == dir || path == dir+"/" || strings.HasPrefix(path, dir+"/") {
		return 2 * (len(dir) + 1)
	}
	return -1
}

// absIn returns path made absolute against wd, cleaned.
func absIn(wd, path string) string {
	if filepath.IsAbs(path) || wd == "" {
		return filepath.Clean(path)
	}
	return filepath.Join(wd, path)
}
