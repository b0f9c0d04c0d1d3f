//go:build !unix

package source

import "io/fs"

type fileID struct{ name string }

func idOf(fi fs.FileInfo) fileID { return fileID{fi.Name()} }

// DevIno returns the device and inode of a file: none here, so identity
// rests on the path and the start of the file.
func DevIno(fs.FileInfo) (dev, ino uint64) { return 0, 0 }
