//go:build unix

package source

import (
	"io/fs"
	"syscall"
)

type fileID struct{ dev, ino uint64 }

func idOf(fi fs.FileInfo) fileID {
	dev, ino := DevIno(fi)
	return fileID{dev, ino}
}

// DevIno returns the device and inode of a file (0, 0 where the system
// has none to offer).
func DevIno(fi fs.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), uint64(st.Ino)
	}
	return 0, 0
}
