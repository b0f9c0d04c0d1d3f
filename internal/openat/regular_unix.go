//go:build unix

package openat

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// OpenFile opens path for reading without ever blocking in open: with
// O_NONBLOCK (a named pipe with no writer would otherwise hang the open
// forever), then fstat, and only a regular file is kept, its reads made
// blocking again. Unless follow is set, a symbolic link at path itself is
// refused (O_NOFOLLOW); links in the folders above it are followed, as
// path is not confined to a root (see Dir for that).
func OpenFile(path string, follow bool) (*os.File, error) {
	flags := unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NONBLOCK | unix.O_NOCTTY
	if !follow {
		flags |= unix.O_NOFOLLOW
	}
	var fd int
	var err error
	for {
		if fd, err = unix.Open(path, flags, 0); err != unix.EINTR {
			break
		}
	}
	if err != nil {
		if !follow && errors.Is(err, unix.ELOOP) {
			err = fmt.Errorf("%w: a symbolic link is in its place", ErrNotRegular)
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return regularFile(fd, path)
}

// regularFile turns fd, opened with O_NONBLOCK, into a blocking *os.File
// named name if it is a regular file; otherwise it closes fd and returns
// an error wrapping ErrNotRegular that says what it is.
func regularFile(fd int, name string) (*os.File, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "fstat", Path: name, Err: err}
	}
	if typ := st.Mode & unix.S_IFMT; typ != unix.S_IFREG {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w: %s", ErrNotRegular, typeName(uint32(typ)))}
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "fcntl", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

// typeName names the file type bits of a stat mode.
func typeName(typ uint32) string {
	switch typ {
	case unix.S_IFIFO:
		return "named pipe"
	case unix.S_IFCHR:
		return "character device"
	case unix.S_IFBLK:
		return "block device"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFDIR:
		return "directory"
	case unix.S_IFLNK:
		return "symbolic link"
	}
	return fmt.Sprintf("file type %#o", typ)
}
