package retention

import (
	"io/fs"
	"os"
)

func lstat(path string) (fs.FileInfo, error) { return os.Lstat(path) }
