package policy

import (
	"path/filepath"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/internal/itempath"
)

// A subject is a path as policy matches it against the patterns of
// locations and holds. A file and an object match differently: an object
// meets only bucket prefixes, as they are written; a file meets only
// local paths and globs, relative ones resolved against the working
// directory, and a hold's names apply to the folders above it too.
type subject interface {
	// specificity returns how specifically the location l names the
	// path, -1 when it does not contain it (see LocationOf).
	specificity(l *config.Location) int
	// coveredBy reports whether the hold h covers the path (see Covers).
	coveredBy(h config.Hold) bool
}

// subjectOf returns path as a subject: the one place package policy tells
// an object's URL from a local path. A local path gets the working
// directory relative paths are resolved against, asked for once, here; an
// object's URL does not ask (it meets no local pattern, os.Getwd stats
// two directories, and Contains runs once per listed object).
func subjectOf(path string) subject {
	if itempath.IsObject(path) {
		return objectPath(path)
	}
	wd, err := filepath.Abs(".")
	if err != nil {
		wd = "" // relative paths and patterns are then left as they are
	}
	return localPath{path: path, wd: wd, slash: filepath.ToSlash(absIn(wd, path))}
}

// objectPath is the URL of an object (s3://bucket/key).
type objectPath string

// localPath is the path of a local file or folder, as given.
type localPath struct {
	path string
	// wd is the working directory relative paths and patterns are
	// resolved against, "" when it cannot be told.
	wd string
	// slash is path made absolute against wd (when it can be), cleaned
	// and slash-separated: the form patterns are matched against.
	slash string
}
