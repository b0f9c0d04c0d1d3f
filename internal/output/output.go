// Package output opens the file a report goes to (scan -o, report merge
// -o, a shard's merged report) according to what is at its path:
//
//   - nothing, or a regular file: the report goes to a temporary file
//     beside it and replaces it whole when committed (fsync, rename, fsync
//     of the directory; see internal/atomicfile), with the permissions of
//     the file it replaces (0600 for a new one). A failed or interrupted
//     run leaves the old file as it was.
//   - a character device (/dev/null, a terminal) or a named pipe: written
//     in place, opened write-only, never created, truncated or replaced.
//     Opening a pipe waits for a reader; cancelling the context stops the
//     wait, and the writes.
//   - /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N: the
//     process's open descriptor N, duplicated, so a shell redirection, a
//     pipe or a socket gets the report as if written to it directly, even
//     on a read-only root file system.
//   - a symbolic link: followed to its final target, to which the rules
//     above apply: a regular target is replaced in the target's directory,
//     keeping the link. A dangling link is refused: its target's
//     directory is not one the caller named.
//   - a directory, a socket, a block device: refused.
//
// Errors say what is at the path; the caller reports them as usage errors.
package output

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/piiscan/piiscan/internal/atomicfile"
)

// NewFileMode is the mode of a report file created where there was none.
const NewFileMode = 0o600

// maxLinks bounds the symbolic links followed, as the kernel does.
const maxLinks = 40

// File is a report being written. Commit finishes it; Abort drops it
// (written in place, what was written stays written).
type File struct {
	atomic *atomicfile.File // a regular file, replaced on Commit, or
	direct *os.File         // a device, a pipe or a descriptor
	stop   func() bool      // disarms the cancellation of writes
	where  string
	done   bool
}

// Create opens path for a report (see the package documentation). ctx
// bounds the wait for a pipe's reader and the writes to a pipe or a
// terminal.
func Create(ctx context.Context, path string) (*File, error) {
	if path == "" {
		return nil, errors.New("no output path")
	}
	target, fi, fd, err := resolve(path)
	if err != nil {
		return nil, err
	}
	if target != path {
		slog.Info("writing the report through a symbolic link", "link", path, "target", target)
	}
	if fd >= 0 {
		f, err := dupFD(fd, target)
		if err != nil {
			return nil, err
		}
		return newDirect(ctx, f, target), nil
	}
	where := target
	if target != path {
		where = fmt.Sprintf("%s (the target of the link %s)", target, path)
	}
	switch {
	case fi == nil: // nothing there yet
		return createAtomic(target, NewFileMode, where)
	case fi.Mode().IsRegular():
		return createAtomic(target, fi.Mode().Perm(), where)
	case fi.IsDir():
		return nil, fmt.Errorf("%s is a directory: name a file", where)
	case fi.Mode()&fs.ModeNamedPipe != 0,
		fi.Mode()&fs.ModeCharDevice != 0:
		f, err := openDirect(ctx, target, fi)
		if err != nil {
			return nil, fmt.Errorf("writing %s: %w", where, err)
		}
		return newDirect(ctx, f, target), nil
	case fi.Mode()&fs.ModeSocket != 0:
		return nil, fmt.Errorf("%s is a socket: name a file, a device or a named pipe", where)
	case fi.Mode()&fs.ModeDevice != 0:
		return nil, fmt.Errorf("%s is a block device: a report is never written onto one", where)
	}
	return nil, fmt.Errorf("%s is neither a file, a device nor a named pipe (%v)", where, fi.Mode().Type())
}

// resolve follows the symbolic links at path to its final target and
// returns it with what is there (nil: nothing, for a path that is not a
// link), or the descriptor it names (fd >= 0; else -1).
func resolve(path string) (target string, fi os.FileInfo, fd int, err error) {
	p := path
	for hops := 0; ; hops++ {
		if n, ok := fdPath(p); ok {
			return p, nil, n, nil
		}
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist) && hops == 0:
			return p, nil, -1, nil
		case errors.Is(err, fs.ErrNotExist):
			return "", nil, -1, fmt.Errorf("%s is a symbolic link to %s, which does not exist: point it at an existing file, or name a file", path, p)
		case err != nil:
			return "", nil, -1, err
		case fi.Mode()&fs.ModeSymlink == 0:
			return p, fi, -1, nil
		case hops == maxLinks:
			return "", nil, -1, fmt.Errorf("%s: more than %d symbolic links", path, maxLinks)
		}
		t, err := os.Readlink(p)
		if err != nil {
			return "", nil, -1, err
		}
		if !filepath.IsAbs(t) {
			// Relative to the link's real directory, as the kernel
			// reads it, not to a lexically cleaned path.
			dir, err := filepath.EvalSymlinks(filepath.Dir(p))
			if err != nil {
				return "", nil, -1, err
			}
			t = filepath.Join(dir, t)
		}
		p = t
	}
}

func createAtomic(target string, perm os.FileMode, where string) (*File, error) {
	f, err := atomicfile.Create(target, perm)
	if err != nil {
		return nil, fmt.Errorf("writing %s: cannot create a file beside it: %w", where, err)
	}
	return &File{atomic: f, where: target}, nil
}

// openDirect opens the device or named pipe at target, which Lstat found
// as fi, for writing, without creating or truncating anything. The open
// of a pipe waits for a reader, until ctx is done.
func openDirect(ctx context.Context, target string, fi os.FileInfo) (*os.File, error) {
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.OpenFile(target, os.O_WRONLY|openFlags, 0)
		ch <- opened{f, err}
	}()
	var r opened
	select {
	case r = <-ch:
	case <-ctx.Done():
		// Release the open: a reader of our own lets it finish.
		var rd *os.File
		if fi.Mode()&fs.ModeNamedPipe != 0 {
			rd, _ = os.OpenFile(target, os.O_RDONLY|nonBlock, 0)
		}
		go func() {
			if r := <-ch; r.f != nil {
				r.f.Close()
			}
			if rd != nil {
				rd.Close()
			}
		}()
		return nil, context.Cause(ctx)
	}
	if r.err != nil {
		return nil, r.err
	}
	// What was opened must be what was looked at: a regular file put in
	// its place meanwhile would be overwritten without O_TRUNC.
	got, err := r.f.Stat()
	if err != nil || !os.SameFile(fi, got) {
		r.f.Close()
		return nil, errors.New("it changed while being opened")
	}
	return r.f, nil
}

// newDirect wraps f; when ctx is done, writes that wait (a full pipe, a
// stopped terminal) fail rather than hang.
func newDirect(ctx context.Context, f *os.File, where string) *File {
	stop := context.AfterFunc(ctx, func() { f.SetWriteDeadline(time.Now()) })
	return &File{direct: f, stop: stop, where: where}
}

// Write writes to the report.
func (f *File) Write(b []byte) (int, error) {
	if f.atomic != nil {
		return f.atomic.Write(b)
	}
	return f.direct.Write(b)
}

// Where returns the file written: the final target of a link.
func (f *File) Where() string { return f.where }

// InPlace reports whether the report is written in place (a device, a
// pipe, a descriptor) rather than replacing a file when committed.
func (f *File) InPlace() bool { return f.direct != nil }

// Commit finishes the report: a file replaces its target, durably; a
// device or pipe is closed.
func (f *File) Commit() error {
	if f.done {
		return errors.New("output: already committed or aborted")
	}
	f.done = true
	if f.atomic != nil {
		return f.atomic.Commit()
	}
	f.stop()
	if err := f.direct.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", f.where, err)
	}
	return nil
}

// Abort drops the report: a file's temporary goes and its target stays
// as it was. It does nothing after Commit.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	if f.atomic != nil {
		f.atomic.Abort()
		return
	}
	f.stop()
	f.direct.Close()
}
