// Package openat acts on files by names relative to an opened directory,
// never following a symbolic link in any component of a name, so that a
// directory swapped for a link (or a file for a link, a FIFO or a device)
// between a check and an action cannot send the action elsewhere.
//
// On Linux every step is an openat(2)-family call on a directory
// descriptor: directories are opened one component at a time with
// O_NOFOLLOW|O_DIRECTORY, files are opened with O_NOFOLLOW|O_NONBLOCK and
// checked with fstat(2), and removals and renames are unlinkat(2) and
// renameat(2) in the directory that was opened. Elsewhere the package falls
// back on os.Root, which confines names to the root, and refuses a name
// whose components are symbolic links when it is checked (a check that a
// concurrent swap can race, unlike the Linux one).
//
// A file's identity is its device and inode (ID): callers record it when
// they plan and compare it on the handle right before acting.
package openat

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/piiscan/piiscan/internal/itempath"
)

// ErrSymlink means a component of a name is a symbolic link.
var ErrSymlink = errors.New("a symbolic link is in the way")

// ErrNotRegular means a name is not a regular file (a directory, a FIFO,
// a device, a socket or a symbolic link).
var ErrNotRegular = errors.New("not a regular file")

// ErrNotDir means a component of a name is not a directory.
var ErrNotDir = errors.New("not a directory")

// ErrChanged is returned when the file at a name changed between the check
// of an action and the action: the action was undone or not done.
var ErrChanged = errors.New("the file changed during the action")

// ID identifies a file: its device and inode number. The zero ID means
// the system does not tell.
type ID struct{ Dev, Ino uint64 }

// IsZero reports whether the ID is unknown.
func (id ID) IsZero() bool { return id == ID{} }

// String renders the ID as DEV:INODE.
func (id ID) String() string { return fmt.Sprintf("%d:%d", id.Dev, id.Ino) }

// split checks that rel is a relative, clean name without ".." and returns
// its components ("." has none).
func split(rel string) ([]string, error) {
	if rel == "" || rel == "." {
		return nil, nil
	}
	if filepath.IsAbs(rel) || filepath.VolumeName(rel) != "" {
		return nil, fmt.Errorf("%s: not a relative name", rel)
	}
	if filepath.Clean(rel) != rel {
		return nil, fmt.Errorf("%s: not a clean name", rel)
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	for _, p := range parts {
		if p == ".." || p == "." || p == "" {
			return nil, fmt.Errorf("%s: %q is not allowed in a name", rel, p)
		}
	}
	return parts, nil
}

// checkName refuses names of more than one component.
func checkName(name string) error {
	parts, err := split(name)
	if err != nil {
		return err
	}
	if len(parts) != 1 {
		return fmt.Errorf("%s: a single name is needed, not a path", name)
	}
	return nil
}

// regular refuses anything but a regular file.
func regular(name string, mode fs.FileMode) error {
	if mode.Type()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s: %w", name, ErrSymlink)
	}
	if !mode.IsRegular() {
		return fmt.Errorf("%s: %w (%v)", name, ErrNotRegular, mode.Type())
	}
	return nil
}

// ParkPrefix starts the name under which Unlink and Replace hold a file
// for the instant between moving it and removing it. It is a name of
// piiscan's temporary files (itempath.TempPrefix), which a later run
// removes if a process was killed in that instant.
const ParkPrefix = itempath.TempPrefix

// ParkName returns a new name to park a file under: a temporary name
// (itempath.TempName: ParkPrefix and 12 random hexadecimal digits) whose
// tail is the inodes (hexadecimal, each after a "~") of the files that
// may rightly be found under it after a kill. A clean-up removes a parked
// file only if it is one of them (see ParkedInodes): anything else was
// moved there by someone else in the last instant. inodes is not empty.
func ParkName(inodes ...uint64) string {
	var tail strings.Builder
	for _, ino := range inodes {
		tail.WriteString("~" + strconv.FormatUint(ino, 16))
	}
	return itempath.TempName(tail.String())
}

// ParkedInodes returns the inodes a name made by ParkName names, and false
// for any other name.
func ParkedInodes(name string) ([]uint64, bool) {
	rest, ok := strings.CutPrefix(name, ParkPrefix)
	if !ok || len(rest) < 14 || rest[12:14] != "-~" {
		return nil, false
	}
	var inos []uint64
	for _, f := range strings.Split(rest[14:], "~") {
		ino, err := strconv.ParseUint(f, 16, 64)
		if err != nil {
			return nil, false
		}
		inos = append(inos, ino)
	}
	return inos, true
}

// stillAt checks that the file named from in d is still src, the file the
// caller wrote, and returns what src is.
func (d *Dir) stillAt(src *os.File, from string) (fs.FileInfo, error) {
	sfi, err := src.Stat()
	if err != nil {
		return nil, err
	}
	cur, err := d.Lstat(from)
	if err != nil {
		return nil, err
	}
	if !os.SameFile(sfi, cur) {
		return nil, &fs.PathError{Op: "rename", Path: filepath.Join(d.name, from), Err: errors.New("replaced by another file")}
	}
	return sfi, nil
}
