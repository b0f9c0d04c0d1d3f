//go:build !unix

package openat

import (
	"fmt"
	"io/fs"
	"os"
)

// OpenFile opens path for reading and keeps it only if it is a regular
// file. Systems other than Unix have no O_NONBLOCK or O_NOFOLLOW for open;
// follow is not used.
func OpenFile(path string, follow bool) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w: %v", ErrNotRegular, fi.Mode().Type())}
	}
	return f, nil
}
