package source

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// createUnnamed creates a file in dir that never has a name (O_TMPFILE),
// so that no instant exists at which a SIGKILL leaves it behind. It
// reports false where the file system cannot do that (then a named file
// is created and its name removed at once).
func createUnnamed(dir string) (*os.File, bool) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, false
	}
	return os.NewFile(uintptr(fd), filepath.Join(dir, spoolPrefix+"unnamed")), true
}
