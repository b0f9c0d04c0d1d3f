package policy

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/internal/itempath"
)

// Covers reports whether the hold h covers path: a pattern matches the path
// itself or a folder above it (a hold on "backups/2024-*" keeps
// backups/2024-03/db.sql.gz), or a bucket prefix the key is under.
//
// The working directory relative paths are resolved against is asked for
// once (see subjectOf), not per folder and pattern.
func Covers(h config.Hold, path string) bool { return subjectOf(path).coveredBy(h) }

// coveredBy reports whether the hold h covers the object o: one of its
// bucket prefixes is a prefix of the URL (as S3 lists keys, not a
// folder: s3://b/app holds s3://b/app-archive/x too), one of its globs
// matches the URL or a folder above it (with or without its trailing
// '/'), or one of its names matches the key's last name.
func (o objectPath) coveredBy(h config.Hold) bool {
	path := string(o)
	if matchObjects(h.ObjectPaths(), path) || coversName(h, path) {
		return true
	}
	for p := path; ; {
		i := strings.LastIndexByte(strings.TrimSuffix(p, "/"), '/')
		if i < len(itempath.Scheme) {
			return false
		}
		p = p[:i]
		if matchObjects(h.ObjectPaths(), p) || matchObjects(h.ObjectPaths(), p+"/") {
			return true
		}
	}
}

// coveredBy reports whether the hold h covers the file f: one of its
// local paths or globs matches f or a folder above it, or one of its
// names matches the last name of f or of a folder above it. When the
// working directory cannot be told, only the path itself of a relative f
// is matched.
func (f localPath) coveredBy(h config.Hold) bool {
	if matchLocal(h.LocalPaths(), f.path, f.wd) || coversName(h, f.path) {
		return true
	}
	if f.wd == "" && !filepath.IsAbs(f.path) {
		return false
	}
	for dir := filepath.Dir(absIn(f.wd, f.path)); ; dir = filepath.Dir(dir) {
		if matchLocal(h.LocalPaths(), dir, f.wd) || coversName(h, dir) {
			return true
		}
		if dir == filepath.Dir(dir) {
			return false
		}
	}
}

// coversName matches the hold's names and globs without '/' against the
// last name of path, as scan's --include and --exclude do.
func coversName(h config.Hold, path string) bool {
	base := path
	if i := strings.LastIndexByte(strings.TrimSuffix(path, "/"), '/'); i >= 0 {
		base = strings.TrimSuffix(path, "/")[i+1:]
	}
	for _, p := range h.Paths {
		if strings.ContainsRune(filepath.ToSlash(p), '/') {
			continue
		}
		if ok, _ := doublestar.Match(p, base); ok {
			return true
		}
	}
	return false
}

// matchObjects matches the URL of an object (or of a folder above it)
// against bucket prefixes and globs of them.
func matchObjects(patterns []string, path string) bool {
	for _, pat := range patterns {
		if itempath.HasMeta(pat) {
			if ok, _ := doublestar.Match(pat, path); ok {
				return true
			}
		} else if strings.HasPrefix(path, pat) {
			return true
		}
	}
	return false
}

// matchLocal matches a local path against directories (prefix) and
// globs. Relative paths and patterns are resolved against wd (see
// subjectOf; "" when it cannot be told, and they are then left as they
// are).
func matchLocal(patterns []string, path, wd string) bool {
	p := filepath.ToSlash(absIn(wd, path))
	for _, pat := range patterns {
		pat = filepath.ToSlash(pat)
		if !itempath.HasMeta(pat) && (wd != "" || filepath.IsAbs(pat)) {
			pat = filepath.ToSlash(absIn(wd, pat))
		} else if !strings.HasPrefix(pat, "/") && wd != "" {
			pat = filepath.ToSlash(wd) + "/" + pat
		}
		if !itempath.HasMeta(pat) {
			if p == pat || strings.HasPrefix(p, strings.TrimSuffix(pat, "/")+"/") {
				return true
			}
			continue
		}
		if ok, _ := doublestar.Match(pat, p); ok {
			return true
		}
	}
	return false
}

// ScanRoots returns the roots a scan of the location l reads, in the
// order of Roots: its bucket prefixes and the directories (or files) that
// exist.
func ScanRoots(l *config.Location) []string {
	var absent []string
	for _, r := range l.LocalRoots() {
		if _, err := os.Stat(r); err != nil {
			absent = append(absent, r)
		}
	}
	// absent holds local roots only, and no bucket prefix is equal to
	// one: a local root is cleaned, so it holds no "//".
	var out []string
	for _, r := range l.Roots() {
		if !slices.Contains(absent, r) {
			out = append(out, r)
		}
	}
	return out
}

// MissingRoots returns the local roots of the location l that do not exist
// (ScanRoots leaves them out): a path of the policy that is not on this
// host, or a volume that is not mounted.
func MissingRoots(l *config.Location) []string {
	var out []string
	for _, r := range l.LocalRoots() {
		if _, err := os.Stat(r); errors.Is(err, fs.ErrNotExist) {
			out = append(out, r)
		}
	}
	return out
}
