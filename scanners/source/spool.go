package source

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// A zip archive read from a stream is spooled to a temporary file: raw
// archive content, which must not outlive the run, not even one killed
// with SIGKILL. On Unix the file's name is removed as soon as it is
// created (on Linux it never has one: O_TMPFILE), so nothing is left to
// find whatever happens to the process; elsewhere it is removed when the
// archive has been read. Spool files
// left by runs that were killed (or by older versions, which kept the
// name) are removed by the next run that uses the same directory.

// spoolPrefix starts the names of spool files.
const spoolPrefix = "piiscan-spool-"

// staleSpool is how old a spool file's name must be for a run to remove it
// as left behind: names live for microseconds on Unix, and elsewhere a
// spool file in use cannot be removed.
const staleSpool = time.Minute

// unlinkOpen: open files stay readable after their name is removed.
var unlinkOpen = runtime.GOOS != "windows" && runtime.GOOS != "plan9"

// CreateSpool creates a temporary file in dir (default os.TempDir()) that,
// where the system allows, has no name: for content that must not outlive
// the run (an archive read from a stream, a rewritten object on its way to
// the bucket). Release it with CloseSpool.
func CreateSpool(dir string) (*os.File, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	if f, ok := createUnnamed(dir); ok {
		return f, nil
	}
	f, err := os.CreateTemp(dir, spoolPrefix+"*.zip")
	if err != nil {
		return nil, err
	}
	if unlinkOpen {
		if err := os.Remove(f.Name()); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

// CloseSpool closes a file made by CreateSpool and removes it if it still
// has a name.
func CloseSpool(f *os.File) {
	f.Close()
	if !unlinkOpen {
		os.Remove(f.Name())
	}
}

// swept holds the directories this process has cleaned already.
var swept sync.Map

// sweepSpool removes the spool files other runs left in dir, once per
// process. Errors are ignored: a file another user owns, or one in use
// where that prevents removal, stays.
func sweepSpool(dir string) {
	if _, done := swept.LoadOrStore(dir, true); done {
		return
	}
	// The folder is shared (often /tmp), and anyone may fill it: read it
	// in batches rather than whole and sorted.
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	defer d.Close()
	for {
		des, err := d.ReadDir(256)
		for _, de := range des {
			removeStale(dir, de)
		}
		if err != nil {
			return
		}
	}
}

// removeStale removes de, in dir, if it is a spool file older than
// staleSpool.
func removeStale(dir string, de fs.DirEntry) {
	if !strings.HasPrefix(de.Name(), spoolPrefix) || !de.Type().IsRegular() {
		return
	}
	if fi, err := de.Info(); err == nil && time.Since(fi.ModTime()) > staleSpool {
		os.Remove(filepath.Join(dir, de.Name()))
	}
}
