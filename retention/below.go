package retention

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/internal/openat"
)

// rootOf returns the directory under which path, a local file of loc, is
// looked at and acted on: the longest of the location's roots that holds
// it (the folder of a root that names a single file). Bucket roots are
// not candidates, whatever a local folder is named.
func rootOf(loc *config.Location, path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	best := ""
	for _, r := range loc.LocalRoots() {
		ar, err := filepath.Abs(r)
		if err != nil {
			continue
		}
		if fi, err := os.Stat(ar); err == nil && !fi.IsDir() {
			ar = filepath.Dir(ar) // a location that names a single file
		}
		if strings.HasPrefix(abs, ar+string(filepath.Separator)) && len(ar) > len(best) {
			best = ar
		}
	}
	if best == "" {
		return "", fmt.Errorf("%s: %w", path, ErrOutside)
	}
	return best, nil
}

// below looks at the files under a root without following a symbolic
// link below it (see package openat). It keeps the last directory it
// opened: a walk lists a directory's files one after the other.
type below struct {
	root   string
	top    *openat.Dir
	dirRel string
	dir    *openat.Dir
}

// openBelow opens root, a directory or, for a location that names a
// single file, that file (its folder is opened).
func openBelow(root string) (*below, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		abs = filepath.Dir(abs)
	}
	top, err := openat.Open(abs)
	if err != nil {
		return nil, err
	}
	return &below{root: abs, top: top}, nil
}

// Close releases the directories.
func (b *below) Close() {
	if b.dir != nil {
		b.dir.Close()
	}
	b.top.Close()
}

// dirOf opens the directory of path and returns it with the file's name.
func (b *below) dirOf(path string) (*openat.Dir, string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, "", err
	}
	rel, err := filepath.Rel(b.root, abs)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, "", fmt.Errorf("%s: %w", path, ErrOutside)
	}
	dir, name := filepath.Dir(rel), filepath.Base(rel)
	if b.dir != nil && b.dirRel == dir {
		return b.dir, name, nil
	}
	if b.dir != nil {
		b.dir.Close()
		b.dir = nil
	}
	d, err := b.top.OpenDir(dir)
	if err != nil {
		return nil, "", refused(err)
	}
	b.dir, b.dirRel = d, dir
	return d, name, nil
}

// lstat returns what the regular file path is; a symbolic link anywhere
// below the root, or anything but a regular file, is refused.
func (b *below) lstat(path string) (fs.FileInfo, error) {
	d, name, err := b.dirOf(path)
	if err != nil {
		return nil, err
	}
	fi, err := d.Lstat(name)
	if err != nil {
		return nil, refused(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%v): %w", path, fi.Mode().Type(), ErrRedirected)
	}
	return fi, nil
}

// open opens the regular file path for reading (never blocking on a FIFO
// or a device).
func (b *below) open(path string) (*os.File, fs.FileInfo, error) {
	d, name, err := b.dirOf(path)
	if err != nil {
		return nil, nil, err
	}
	f, fi, err := d.OpenRegular(name)
	if err != nil {
		return nil, nil, refused(err)
	}
	return f, fi, nil
}

// lstatIn is below.lstat for one file of loc.
func lstatIn(loc *config.Location, path string) (fi fs.FileInfo, err error) {
	err = inRoot(loc, path, func(b *below) error {
		fi, err = b.lstat(path)
		return err
	})
	return fi, err
}

// openIn is below.open for one file of loc.
func openIn(loc *config.Location, path string) (f *os.File, err error) {
	err = inRoot(loc, path, func(b *below) error {
		f, _, err = b.open(path)
		return err
	})
	return f, err
}

// inRoot runs fn on the root of loc that holds path, opened for it.
func inRoot(loc *config.Location, path string, fn func(*below) error) error {
	root, err := rootOf(loc, path)
	if err != nil {
		return err
	}
	b, err := openBelow(root)
	if err != nil {
		return err
	}
	defer b.Close()
	return fn(b)
}
