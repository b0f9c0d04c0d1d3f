//go:build !unix

package source

import "io/fs"

type fileID struct{ name string }

func idOf(fi fs.FileInfo) fileID { return fileID{fi.Name()} }
