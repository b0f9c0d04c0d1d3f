// Package atomicfile writes files that appear whole or not at all: the
// content goes to a temporary file next to the target, is synced, and is
// renamed over the target; the directory is synced so that the rename
// survives a crash. The temporary file, the rename and the sync all happen
// in the one directory opened when the file was created (an os.Root), so
// a directory swapped for a symbolic link meanwhile cannot split them. It
// works on every platform Go renames files on.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/piiscan/piiscan/internal/itempath"
)

// File is a file being written. Commit publishes it; Abort, or a failed
// Commit, leaves nothing behind.
type File struct {
	*os.File
	dir  *os.Root
	tmp  string // the temporary name in dir
	base string // the target's name in dir
	path string
	done bool
}

// Create starts a file that will replace path, with mode perm. Its
// temporary name is .NAME.RANDOM.tmp, beside path (itempath.ReplacementName).
func Create(path string, perm os.FileMode) (*File, error) {
	dir, err := os.OpenRoot(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	base := filepath.Base(path)
	for range 100 {
		tmp := itempath.ReplacementName(base, rand.Uint32())
		f, err := dir.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			dir.Close()
			return nil, err
		}
		if err := f.Chmod(perm); err != nil {
			f.Close()
			dir.Remove(tmp)
			dir.Close()
			return nil, err
		}
		return &File{File: f, dir: dir, tmp: tmp, base: base, path: path}, nil
	}
	dir.Close()
	return nil, fmt.Errorf("writing %s: no free temporary name", path)
}

// Commit syncs the file and renames it over its target.
func (f *File) Commit() error {
	if f.done {
		return errors.New("atomicfile: already committed or aborted")
	}
	f.done = true
	defer f.dir.Close()
	err := f.Sync()
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = f.dir.Rename(f.tmp, f.base)
	}
	if err != nil {
		f.dir.Remove(f.tmp)
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	if d, err := f.dir.Open("."); err == nil {
		d.Sync() // not every platform syncs directories
		d.Close()
	}
	return nil
}

// Abort drops the file. It does nothing after Commit.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	f.dir.Remove(f.tmp)
	f.dir.Close()
}

// WriteFile replaces path with data, atomically.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Commit()
}
