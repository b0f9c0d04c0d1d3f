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

// errNoReader: there are no named pipes to wait for here.
var errNoReader = errors.New("no reader")

// fdPath: descriptors have no names here.
func fdPath(string) (int, bool) { return 0, false }

func dupFD(int, string) (*os.File, error) {
	return nil, errors.New("descriptors cannot be named on this system")
}

// ownerOf: files have no owning uid here; nothing is checked.
func ownerOf(os.FileInfo) (int, bool) { return 0, false }

func setBlocking(*os.File) error { return nil }
