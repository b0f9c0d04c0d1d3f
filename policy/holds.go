package policy

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
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
// once (see workDir), not per folder and pattern.
func Covers(h config.Hold, path string) bool {
	wd := workDir(path)
	if matchPaths(h.Paths, path, wd) || coversName(h, path) {
		return true
	}
	if itempath.IsObject(path) {
		for p := path; ; {
			i := strings.LastIndexByte(strings.TrimSuffix(p, "/"), '/')
			if i < len(itempath.Scheme) {
				return false
			}
			p = p[:i]
			if matchPaths(h.Paths, p, wd) || matchPaths(h.Paths, p+"/", wd) {
				return true
			}
		}
	}
	if wd == "" && !filepath.IsAbs(path) {
		return false
	}
	for dir := filepath.Dir(absIn(wd, path)); ; dir = filepath.Dir(dir) {
		if matchPaths(h.Paths, dir, wd) || coversName(h, dir) {
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

// matchPaths matches path against directories (prefix) and globs; an
// s3:// path matches s3:// prefixes and globs. Relative local paths and
// patterns are resolved against wd (see workDir; "" when it cannot be
// told, and they are then left as they are).
func matchPaths(patterns []string, path, wd string) bool {
	if itempath.IsObject(path) {
		for _, pat := range patterns {
			if !itempath.IsObject(pat) {
				continue
			}
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
	p := filepath.ToSlash(absIn(wd, path))
	for _, pat := range patterns {
		if itempath.IsObject(pat) {
			continue
		}
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

// ScanRoots returns the roots a scan of the location l reads: its bucket
// prefixes and the directories (or files) that exist.
func ScanRoots(l *config.Location) []string {
	var out []string
	for _, r := range l.Roots() {
		if itempath.IsObject(r) {
			out = append(out, r)
		} else if _, err := os.Stat(r); err == nil {
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
	for _, r := range l.Roots() {
		if itempath.IsObject(r) {
			continue
		}
		if _, err := os.Stat(r); errors.Is(err, fs.ErrNotExist) {
			out = append(out, r)
		}
	}
	return out
}
