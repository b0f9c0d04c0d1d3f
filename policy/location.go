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
	s := subjectOf(path)
	var best *config.Location
	bestScore := -1
	for _, l := range c.Locations {
		if score := s.specificity(l); score > bestScore {
			best, bestScore = l, score
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
func Contains(l *config.Location, path string) bool { return subjectOf(path).specificity(l) >= 0 }

// specificity returns how specifically the location l names the object
// o, -1 when it does not contain it: the most specific of its bucket
// prefixes (see matchScore).
func (o objectPath) specificity(l *config.Location) int {
	best := -1
	for _, pat := range l.ObjectPaths() {
		if s := matchScore(pat, string(o)); s > best {
			best = s
		}
	}
	return best
}

// specificity returns how specifically the location l names the file f,
// -1 when it does not contain it: the most specific of its local paths
// and globs (see matchScore), relative ones resolved against f's working
// directory.
func (f localPath) specificity(l *config.Location) int {
	best := -1
	for _, pat := range l.LocalPaths() {
		pat = filepath.ToSlash(pat)
		if !strings.HasPrefix(pat, "/") && !filepath.IsAbs(pat) {
			if itempath.HasMeta(pat) {
				pat = filepath.ToSlash(f.wd) + "/" + pat
			} else {
				pat = filepath.ToSlash(absIn(f.wd, filepath.FromSlash(pat)))
			}
		} else if !itempath.HasMeta(pat) {
			pat = filepath.ToSlash(filepath.Clean(filepath.FromSlash(pat)))
		}
		if s := matchScore(pat, f.slash); s > best {
			best = s
		}
	}
	return best
}

// matchScore matches path against one pattern of a location, both
// absolute and slash-separated (or both s3:// URLs), and returns the
// pattern's specificity, or -1: the length of the literal part of the
// pattern, a directory counting with its trailing slash (/var/log/app as
// "/var/log/app/", 13) and a glob up to its first metacharacter
// (/var/log/app/*.log as "/var/log/app/", 13). A glob wins a tie with a
// directory (it is the narrower of the two): the score is doubled and a
// glob adds one.
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
