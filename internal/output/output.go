// Package output opens the file a report goes to (scan -o, report merge
// -o, a shard's merged report, erase --report) according to what is at
// its path:
//
//   - nothing, or a regular file: the report goes to a temporary file
//     beside it and replaces it whole when committed (fsync, rename, fsync
//     of the directory; see internal/atomicfile), with the permission bits
//     of the file it replaces (0600 for a new one). A failed or
//     interrupted run leaves the old file as it was. The new file is the
//     running user's: the old one's owner, group, setuid, setgid and
//     sticky bits are not kept, nor its hard links (other names of the old
//     file keep the old content).
//   - a character device (/dev/null, a terminal) or a named pipe: written
//     in place, opened write-only, never created, truncated or replaced.
//     Opening a pipe waits for a reader (looking for one every 100ms at
//     most, with no open left pending); cancelling the context ends the
//     wait. A terminal is opened without waiting for its carrier.
//     Cancelling the context also makes a write that waits (a full pipe,
//     a stopped terminal) fail, where the system lets Go interrupt it: on
//     Linux and the BSDs; on macOS a named pipe is written with blocking
//     writes, which cancelling does not stop.
//   - /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N: the
//     process's open descriptor N, duplicated, so a shell redirection, a
//     pipe or a socket gets the report as if written to it directly, even
//     on a read-only root file system. The duplicate shares its blocking
//     mode with whoever opened the descriptor (a shell), and is left as it
//     is: a write to it that waits is not stopped by cancelling.
//   - a symbolic link: followed to its final target, to which the rules
//     above apply: a regular target is replaced in the target's directory,
//     keeping the link. A dangling link is refused: its target's
//     directory is not one the caller named.
//   - a directory, a socket, a block device: refused.
//
// Links and files in shared directories are treated as the Linux kernel's
// fs.protected_symlinks, fs.protected_regular and fs.protected_fifos
// treat them, whatever the system and its settings: a directory that is
// both sticky and world-writable (/tmp) is shared, and anyone can put a
// name in it. A symbolic link at the path, and each link of a chain, is
// followed only when the process's effective user owns it, or the
// directory holding it is not shared, or the link's owner owns that
// directory; otherwise Create refuses (ErrUnsafe) and nothing is written:
// a root job writing /tmp/pii.json must not replace /etc/shadow because a
// local user made /tmp/pii.json a link to it. Likewise a regular file or
// a named pipe at the final target that is in a shared directory and
// owned by neither the effective user nor the directory's owner is
// refused: replacing the file would give the report its owner's
// permissions, and the pipe's owner would read it. Directories on the way
// to the path are resolved by the kernel, as for any open, under its own
// settings. On systems without file owners (Windows) nothing is checked.
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

// maxPoll bounds the wait between two looks for a named pipe's reader.
const maxPoll = 100 * time.Millisecond

// ErrUnsafe is the error (see errors.Is) of a path Create refuses because
// another user controls it: a symbolic link, a file or a named pipe that
// is in a shared sticky directory and is not the process's (see the
// package documentation).
var ErrUnsafe = errors.New("owned by another user in a shared sticky directory")

// unsafeError describes a link, file or pipe Create will not use.
type unsafeError struct {
	path string // the path given to Create
	name string // the link or file refused
	what string // "a symbolic link", "a file", "a named pipe"
	verb string // what is not done with it
	uid  int
}

func (e *unsafeError) Error() string {
	where := e.name
	if e.name != e.path {
		where = e.path + " leads to " + e.name
	}
	return fmt.Sprintf("%s: %s owned by uid %d in a shared sticky directory: %s; remove it or write elsewhere",
		where, e.what, e.uid, e.verb)
}

func (e *unsafeError) Is(target error) bool { return target == ErrUnsafe }

// checkShared refuses name, which Lstat found as fi in the directory dir,
// when dir is shared (sticky and world-writable) and name is owned by
// neither the effective user nor dir's owner: the rule of the kernel's
// fs.protected_symlinks (and protected_regular, protected_fifos).
func checkShared(path, name, dir string, fi os.FileInfo, what, verb string) error {
	uid, ok := ownerOf(fi)
	if !ok || uid == os.Geteuid() {
		return nil
	}
	di, err := os.Stat(dir)
	if err != nil {
		return err
	}
	const shared = fs.ModeSticky | 0o002
	if di.Mode()&shared != shared {
		return nil
	}
	if duid, ok := ownerOf(di); !ok || duid == uid {
		return nil
	}
	return &unsafeError{path: path, name: name, what: what, verb: verb, uid: uid}
}

// File is a report being written. Commit finishes it; Abort drops it
// (written in place, what was written stays written).
type File struct {
	atomic *atomicfile.File // a regular file, replaced on Commit, or
	direct *os.File         // a device, a pipe or a descriptor
	ctx    context.Context  // cancels the writes to direct
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
		if err := checkShared(path, target, filepath.Dir(target), fi, "a file", "not replaced"); err != nil {
			return nil, err
		}
		return createAtomic(target, fi.Mode().Perm(), where)
	case fi.IsDir():
		return nil, fmt.Errorf("%s is a directory: name a file", where)
	case fi.Mode()&fs.ModeNamedPipe != 0,
		fi.Mode()&fs.ModeCharDevice != 0:
		if fi.Mode()&fs.ModeNamedPipe != 0 {
			if err := checkShared(path, target, filepath.Dir(target), fi, "a named pipe", "not written"); err != nil {
				return nil, err
			}
		}
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
// link), or the descriptor it names (fd >= 0; else -1). It follows only
// the links checkShared allows.
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
		// The link's real directory, as the kernel reads it, not a
		// lexically cleaned path.
		dir, err := filepath.EvalSymlinks(filepath.Dir(p))
		if err != nil {
			return "", nil, -1, err
		}
		if err := checkShared(path, p, dir, fi, "a symbolic link", "not followed"); err != nil {
			return "", nil, -1, err
		}
		t, err := os.Readlink(p)
		if err != nil {
			return "", nil, -1, err
		}
		if !filepath.IsAbs(t) {
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
// as fi, for writing, without creating or truncating anything. It opens
// without blocking, so no open is ever left waiting: a pipe without a
// reader is tried again (every maxPoll at most) until ctx is done; a
// terminal does not wait for its carrier. The descriptor stays
// non-blocking where Go's poller takes it (writes wait there, and a
// deadline stops them) and is made blocking where it does not (/dev/null;
// a pipe on macOS).
func openDirect(ctx context.Context, target string, fi os.FileInfo) (*os.File, error) {
	pipe := fi.Mode()&fs.ModeNamedPipe != 0
	var f *os.File
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, maxPoll) {
		if err := context.Cause(ctx); err != nil {
			return nil, err
		}
		var err error
		f, err = os.OpenFile(target, os.O_WRONLY|openFlags|nonBlock, 0)
		if err == nil {
			break
		}
		if !pipe || !errors.Is(err, errNoReader) {
			return nil, err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, context.Cause(ctx)
		case <-t.C:
		}
	}
	// What was opened must be what was looked at: a regular file put in
	// its place meanwhile would be overwritten without O_TRUNC.
	got, err := f.Stat()
	if err != nil || !os.SameFile(fi, got) {
		f.Close()
		return nil, errors.New("it changed while being opened")
	}
	if err := f.SetWriteDeadline(time.Time{}); errors.Is(err, os.ErrNoDeadline) {
		// Not in the poller: a write that would wait must wait.
		if err := setBlocking(f); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

// newDirect wraps f; when ctx is done, writes that wait (a full pipe, a
// stopped terminal) fail rather than hang, where f's descriptor is in
// Go's poller (see openDirect; never for a duplicated descriptor).
func newDirect(ctx context.Context, f *os.File, where string) *File {
	stop := context.AfterFunc(ctx, func() { f.SetWriteDeadline(time.Now()) })
	return &File{direct: f, ctx: ctx, stop: stop, where: where}
}

// Write writes to the report. A write to a device or pipe that ctx
// stopped fails with an error that is also ctx's (context.Canceled), so
// that an interrupt is told apart from a failed write.
func (f *File) Write(b []byte) (int, error) {
	if f.atomic != nil {
		return f.atomic.Write(b)
	}
	n, err := f.direct.Write(b)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) && f.ctx.Err() != nil {
		err = fmt.Errorf("%w: %w", err, f.ctx.Err())
	}
	return n, err
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
