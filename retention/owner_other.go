//go:build !unix

package retention

import "io/fs"

func owner(fs.FileInfo) (int, int, bool) { return 0, 0, false }

func isEINVAL(error) bool { return false }
