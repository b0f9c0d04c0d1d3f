//go:build !linux

package openat

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Dir is an opened directory: here a name inside an os.Root, whose
// components are checked for symbolic links before every step. os.Root
// keeps every step inside the root; a link swapped in between the check
// and the step can still redirect it inside the root, which the Linux
// implementation rules out.
type Dir struct {
	root *os.Root
	rel  string // "." for the root itself
	name string
	own  bool // Close closes root
}

// Open opens the directory path (see the Linux Open).
func Open(path string) (*Dir, error) {
	r, err := os.OpenRoot(path)
	if err != nil {
		return nil, err
	}
	return &Dir{root: r, rel: ".", name: path, own: true}, nil
}

// Name returns the path the directory was opened as.
func (d *Dir) Name() string { return d.name }

// Close closes the directory.
func (d *Dir) Close() error {
	if d.own {
		d.own = false
		return d.root.Close()
	}
	return nil
}

func (d *Dir) join(name string) string { return filepath.Join(d.rel, name) }

// check refuses rel (below the root) when a component is a symbolic link
// or not a directory.
func (d *Dir) check(rel string) error {
	parts, err := split(rel)
	if err != nil {
		return &fs.PathError{Op: "open", Path: filepath.Join(d.name, rel), Err: err}
	}
	cur := "."
	for _, p := range parts {
		cur = filepath.Join(cur, p)
		fi, err := d.root.Lstat(cur)
		if err != nil {
			return err
		}
		switch {
		case fi.Mode().Type()&fs.ModeSymlink != 0:
			return &fs.PathError{Op: "open", Path: cur, Err: ErrSymlink}
		case !fi.IsDir():
			return &fs.PathError{Op: "open", Path: cur, Err: ErrNotDir}
		}
	}
	return nil
}

// OpenDir opens the directory rel below d (see the Linux OpenDir).
func (d *Dir) OpenDir(rel string) (*Dir, error) {
	if _, err := split(rel); err != nil {
		return nil, &fs.PathError{Op: "open", Path: filepath.Join(d.name, rel), Err: err}
	}
	full := filepath.Join(d.rel, rel)
	if err := d.check(full); err != nil {
		return nil, err
	}
	return &Dir{root: d.root, rel: full, name: filepath.Join(d.name, rel)}, nil
}

// ID returns the identity of the directory itself.
func (d *Dir) ID() (ID, error) {
	fi, err := d.root.Stat(d.rel)
	if err != nil {
		return ID{}, err
	}
	return IDOf(fi), nil
}

// Entries opens the directory for listing its entries (see the Linux
// Entries).
func (d *Dir) Entries() (*os.File, error) {
	if err := d.check(d.rel); err != nil {
		return nil, err
	}
	return d.root.Open(d.rel)
}

// Sync commits the directory's entries to disk where the system can.
func (d *Dir) Sync() error {
	f, err := d.root.Open(d.rel)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Lstat returns what name is, without following a symbolic link.
func (d *Dir) Lstat(name string) (fs.FileInfo, error) {
	if err := checkName(name); err != nil {
		return nil, &fs.PathError{Op: "lstat", Path: filepath.Join(d.name, name), Err: err}
	}
	if err := d.check(d.rel); err != nil {
		return nil, err
	}
	return d.root.Lstat(d.join(name))
}

// lstatRegular is Lstat refusing anything but a regular file.
func (d *Dir) lstatRegular(name string) (fs.FileInfo, error) {
	fi, err := d.Lstat(name)
	if err != nil {
		return nil, err
	}
	if err := regular(filepath.Join(d.name, name), fi.Mode()); err != nil {
		return nil, err
	}
	return fi, nil
}

// OpenRegular opens name for reading if it is a regular file.
func (d *Dir) OpenRegular(name string) (*os.File, fs.FileInfo, error) {
	before, err := d.lstatRegular(name)
	if err != nil {
		return nil, nil, err
	}
	f, err := d.root.OpenFile(d.join(name), os.O_RDONLY|nonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && (!fi.Mode().IsRegular() || !os.SameFile(fi, before)) {
		err = &fs.PathError{Op: "open", Path: filepath.Join(d.name, name), Err: errors.New("replaced while it was opened")}
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// Create creates name, which must not exist, with mode perm.
func (d *Dir) Create(name string, perm fs.FileMode) (*os.File, error) {
	if err := checkName(name); err != nil {
		return nil, &fs.PathError{Op: "create", Path: filepath.Join(d.name, name), Err: err}
	}
	if err := d.check(d.rel); err != nil {
		return nil, err
	}
	return d.root.OpenFile(d.join(name), os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
}

// Unlink removes the regular file name if verify accepts it. The number of
// names left is not known here: 0.
func (d *Dir) Unlink(name string, verify func(fs.FileInfo) error) (uint64, error) {
	fi, err := d.lstatRegular(name)
	if err != nil {
		return 0, err
	}
	if err := verify(fi); err != nil {
		return 0, err
	}
	return 0, d.root.Remove(d.join(name))
}

// Replace renames from over to if from is still src and verify accepts
// to. The number of names left is not known here: 0.
func (d *Dir) Replace(src *os.File, from, to string, verify func(fs.FileInfo) error) (uint64, error) {
	fi, err := d.lstatRegular(to)
	if err != nil {
		return 0, err
	}
	if err := verify(fi); err != nil {
		return 0, err
	}
	if _, err := d.stillAt(src, from); err != nil {
		return 0, err
	}
	return 0, d.root.Rename(d.join(from), d.join(to))
}

// Chtimes sets the times of f, which d holds as name.
func (d *Dir) Chtimes(f *os.File, name string, atime, mtime time.Time) error {
	return d.root.Chtimes(d.join(name), atime, mtime)
}
