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

// isEINVAL reports errors of file systems that cannot sync a directory.
func isEINVAL(err error) bool { return errors.Is(err, syscall.EINVAL) }
