//go:build !unix

package output

import (
	"errors"
	"os"
)

const (
	openFlags = 0
	nonBlock  = 0
)

// fdPath: descriptors have no names here.
func fdPath(string) (int, bool) { return 0, false }

func dupFD(int, string) (*os.File, error) {
	return nil, errors.New("descriptors cannot be named on this system")
}
