//go:build unix

package source

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// openRegular opens path for reading without ever blocking in open: it
// opens with O_NONBLOCK (a named pipe with no writer would otherwise hang
// the open, and with it the scan, forever), checks with fstat that the
// handle is a regular file, then makes reads blocking again. Unless
// follow is set, a symbolic link at path is refused (O_NOFOLLOW).
func openRegular(path string, follow bool) (*os.File, error) {
	flags := syscall.O_RDONLY | syscall.O_CLOEXEC | syscall.O_NONBLOCK
	if !follow {
		flags |= syscall.O_NOFOLLOW
	}
	fd, err := retryEINTR(func() (int, error) { return syscall.Open(path, flags, 0) })
	if err != nil {
		if !follow && errors.Is(err, syscall.ELOOP) {
			err = fmt.Errorf("%w: a symbolic link is in its place", ErrNotRegular)
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	var st syscall.Stat_t
	if _, err := retryEINTR(func() (int, error) { return 0, syscall.Fstat(fd, &st) }); err != nil {
		syscall.Close(fd)
		return nil, &fs.PathError{Op: "fstat", Path: path, Err: err}
	}
	if typ := uint32(st.Mode) & syscall.S_IFMT; typ != syscall.S_IFREG {
		syscall.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w: %s", ErrNotRegular, fileType(typ))}
	}
	if err := syscall.SetNonblock(fd, false); err != nil {
		syscall.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// retryEINTR calls fn until it is not interrupted by a signal.
func retryEINTR(fn func() (int, error)) (int, error) {
	for {
		n, err := fn()
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// fileType names the type bits of a stat mode.
func fileType(typ uint32) string {
	switch typ {
	case syscall.S_IFIFO:
		return "named pipe"
	case syscall.S_IFCHR:
		return "character device"
	case syscall.S_IFBLK:
		return "block device"
	case syscall.S_IFSOCK:
		return "socket"
	case syscall.S_IFDIR:
		return "directory"
	case syscall.S_IFLNK:
		return "symbolic link"
	}
	return fmt.Sprintf("file type %#o", typ)
}
