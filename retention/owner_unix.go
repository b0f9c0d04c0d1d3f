//go:build unix

package retention

import (
	"errors"
	"io/fs"
	"syscall"
)

// owner returns the uid and gid of a file.
func owner(fi fs.FileInfo) (uid, gid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int(st.Uid), int(st.Gid), true
}

// links returns the number of names (hard links) of a file.
func links(fi fs.FileInfo) uint64 {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 1
	}
	return uint64(st.Nlink)
}

// isEINVAL reports errors of file systems that cannot sync a directory.
func isEINVAL(err error) bool { return errors.Is(err, syscall.EINVAL) }
