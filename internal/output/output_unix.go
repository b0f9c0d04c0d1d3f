//go:build unix

package output

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

const (
	// openFlags open a device or pipe in place: never through a link put
	// there meanwhile, never making a terminal the controlling one.
	openFlags = unix.O_NOFOLLOW | unix.O_NOCTTY
	nonBlock  = unix.O_NONBLOCK
)

// fdPath returns the descriptor a path names: /dev/stdout, /dev/stderr,
// /dev/fd/N, /proc/self/fd/N (and thread-self, or this process's id).
func fdPath(p string) (int, bool) {
	p = filepath.Clean(p)
	switch p {
	case "/dev/stdout":
		return 1, true
	case "/dev/stderr":
		return 2, true
	}
	for _, dir := range []string{"/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/", "/proc/" + strconv.Itoa(os.Getpid()) + "/fd/"} {
		if rest, ok := strings.CutPrefix(p, dir); ok {
			n, err := strconv.Atoi(rest)
			if err != nil || n < 0 || strconv.Itoa(n) != rest {
				return 0, false
			}
			return n, true
		}
	}
	return 0, false
}

// dupFD returns a duplicate of descriptor fd, which name names, checked to
// be open for writing and not a directory.
func dupFD(fd int, name string) (*os.File, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("%s: descriptor %d is not open: %w", name, fd, err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return nil, fmt.Errorf("%s: descriptor %d is a directory", name, fd)
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if fl&unix.O_ACCMODE == unix.O_RDONLY {
		return nil, fmt.Errorf("%s: descriptor %d is not open for writing", name, fd)
	}
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return os.NewFile(uintptr(nfd), name), nil
}

// errNoReader is the error of a non-blocking open of a named pipe for
// writing while nobody has it open for reading.
var errNoReader = unix.ENXIO

// ownerOf returns the uid owning the file fi describes.
func ownerOf(fi os.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// setBlocking clears O_NONBLOCK on f's descriptor.
func setBlocking(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.SetNonblock(int(fd), false) }); err != nil {
		return err
	}
	return serr
}
