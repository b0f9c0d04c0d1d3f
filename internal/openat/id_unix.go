//go:build unix

package openat

import (
	"io/fs"
	"syscall"
)

// IDOf returns the identity of the file fi describes (zero when fi does
// not come from the system).
func IDOf(fi fs.FileInfo) ID {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return ID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}
	}
	return ID{}
}

// Links returns the number of names (hard links) of the file fi describes
// (1 when fi does not tell).
func Links(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}
