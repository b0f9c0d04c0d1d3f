// Package source enumerates what piiscan reads and opens it as streams of
// bytes: files and directories on disk, standard input, and the members of
// compressed files and archives inside them. It knows nothing about
// personal data.
//
// A Source lists the items of the targets it handles; Files is the source
// of the disk and standard input, and package bucket has the source of
// object storage.
package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/internal/openat"
)

// Stdin is the target name for standard input.
const Stdin = "-"

// Item is one top-level input: a file on disk or standard input.
type Item struct {
	// Path is the path as given or found by the walk ("-" for stdin).
	Path string
	// Size is the size on disk, or -1 when unknown (stdin).
	Size int64
	// ModTime is the file's modification time (zero for stdin).
	ModTime time.Time
	// Opener, when set, opens the item instead of the file system (an
	// object in a bucket). The ReaderAt may be nil.
	Opener func(ctx context.Context) (io.ReadCloser, io.ReaderAt, error)
	// Cursor is the item's position in its listing (an object key), for
	// checkpoints.
	Cursor string
	// Version identifies the item's content where the source knows it
	// (an object's ETag), for incremental scans.
	Version string
	// follow is set when the walk reached Path through a symbolic link
	// it follows (a target named by the user, or FollowSymlinks): Open
	// follows it too. Otherwise Path was a regular file, and a link put
	// in its place after the walk is refused.
	follow bool
	// pipe is set for a named pipe the user named as a target (as the
	// shell's <(command) gives): it is read like standard input.
	pipe bool
}

// ErrNotRegular marks an input that is no longer a regular file when it is
// opened: a named pipe, device, socket or directory put in its place after
// the walk listed it. Opening one is refused without blocking.
var ErrNotRegular = openat.ErrNotRegular

// Open opens the item for reading. A file must still be a regular file:
// anything else put in its place since the walk (a named pipe with no
// writer would block the open forever) is refused at once with an error
// wrapping ErrNotRegular, and a regular file that became a symbolic link
// is not followed unless the walk followed a link there.
func (it Item) Open() (*os.File, error) {
	if it.Path == Stdin {
		return os.Stdin, nil
	}
	if it.pipe {
		return os.Open(it.Path)
	}
	return openat.OpenFile(it.Path, it.follow)
}

// WalkOptions select the files of a walk.
type WalkOptions struct {
	// Include, when set, keeps only files matching one of these globs.
	Include []string
	// Exclude drops files and directories matching one of these globs.
	Exclude []string
	// FollowSymlinks makes the walk follow symbolic links found inside
	// directories. Links named as targets are always followed.
	FollowSymlinks bool
	// MaxSize skips larger files (0: no limit).
	MaxSize int64
	// NewerThan skips files modified longer ago than this before Now
	// (0: no limit).
	NewerThan time.Duration
	Now       time.Time
}

// keep applies the size and age filters.
func (o WalkOptions) keep(size int64, mod time.Time) bool {
	if o.MaxSize > 0 && size > o.MaxSize {
		return false
	}
	if o.NewerThan > 0 {
		now := o.Now
		if now.IsZero() {
			now = time.Now()
		}
		if now.Sub(mod) > o.NewerThan {
			return false
		}
	}
	return true
}

// Skip reasons reported through WalkFuncs.Skipped.
const (
	SkipSymlink = "symlink not followed"
	SkipSpecial = "not a regular file"
)

// WalkFuncs receive what a walk finds.
type WalkFuncs struct {
	// Item is called for every file to scan. An error stops the walk.
	Item func(Item) error
	// Error is called for every path that could not be read.
	Error func(path string, err error)
	// Skipped is called for paths left out on purpose (symlinks, devices).
	Skipped func(path, reason string)
}

// ErrMissing marks, through errors.Is, the error WalkFuncs.Error gets for
// a target that does not exist: the target itself (or, for a symbolic
// link, what it points to) is not there, or a part of its path is not a
// directory. A file that vanishes while the walk goes through a
// directory does not get it.
var ErrMissing = errors.New("does not exist")

// missingError is the error of a target that does not exist: it reads as
// the error of the stat that found out.
type missingError struct{ err error }

func (e *missingError) Error() string        { return e.err.Error() }
func (e *missingError) Unwrap() error        { return e.err }
func (e *missingError) Is(target error) bool { return target == ErrMissing }

// Walk enumerates the files under targets in lexical order. A target
// that does not exist is reported to WalkFuncs.Error with an error that
// is ErrMissing.
func Walk(ctx context.Context, targets []string, opts WalkOptions, fns WalkFuncs) error {
	for _, t := range targets {
		if err := ctx.Err(); err != nil {
			return err
		}
		if t == Stdin {
			if err := fns.Item(Item{Path: Stdin, Size: -1}); err != nil {
				return err
			}
			continue
		}
		fi, err := os.Stat(t) // targets named by the user are followed
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				err = &missingError{err}
			}
			fns.Error(t, err)
			continue
		}
		if !fi.IsDir() {
			switch {
			case fi.Mode()&fs.ModeNamedPipe != 0:
				// Named on the command line: read, as stdin is.
				if err := fns.Item(Item{Path: t, Size: -1, pipe: true}); err != nil {
					return err
				}
				continue
			case !fi.Mode().IsRegular():
				// A device or socket named on the command line is not
				// passed over in silence: it was asked for.
				fns.Error(t, fmt.Errorf("%s: a %s can only be scanned through standard input (piiscan scan - < %s)", SkipSpecial, modeName(fi.Mode()), t))
				continue
			}
			if len(opts.Include) > 0 && !itempath.Match(opts.Include, filepath.Base(t), filepath.Base(t)) ||
				itempath.Match(opts.Exclude, filepath.Base(t), filepath.Base(t)) || !opts.keep(fi.Size(), fi.ModTime()) {
				continue
			}
			follow := true // a target named by the user is followed
			if lfi, err := os.Lstat(t); err == nil && lfi.Mode().IsRegular() {
				follow = false
			}
			if err := fns.Item(Item{Path: t, Size: fi.Size(), ModTime: fi.ModTime(), follow: follow}); err != nil {
				return err
			}
			continue
		}
		w := walker{ctx: ctx, opts: opts, fns: fns, seen: map[fileID]bool{}}
		root := t
		if lfi, err := os.Lstat(t); err == nil && lfi.Mode()&fs.ModeSymlink != 0 {
			// A link named as a target is followed: a trailing separator
			// makes the walk resolve it and still report paths under t.
			root = t + string(filepath.Separator)
		}
		if err := w.walk(root, root); err != nil {
			return err
		}
	}
	return nil
}

type walker struct {
	ctx  context.Context
	opts WalkOptions
	fns  WalkFuncs
	seen map[fileID]bool // directories entered, against symlink loops
}

// walk walks dir, whose paths are reported relative to root for globs.
func (w *walker) walk(root, dir string) error {
	if fi, err := os.Stat(dir); err == nil {
		id := idOf(fi)
		if w.seen[id] {
			return nil
		}
		w.seen[id] = true
	}
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if cerr := w.ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil {
			w.fns.Error(path, err)
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if path != dir && itempath.Match(w.opts.Exclude, rel, d.Name()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if path != dir {
				// A directory reached again through a followed link
				// (a/b/back -> ..) is walked once.
				if info, err := d.Info(); err == nil {
					id := idOf(info)
					if w.seen[id] {
						return fs.SkipDir
					}
					w.seen[id] = true
				}
			}
			return nil
		}
		mode := d.Type()
		var fi fs.FileInfo
		follow := false
		switch {
		case mode&fs.ModeSymlink != 0:
			follow = true
			if !w.opts.FollowSymlinks {
				w.fns.Skipped(path, SkipSymlink)
				return nil
			}
			fi, err = os.Stat(path)
			if err != nil {
				w.fns.Error(path, err)
				return nil
			}
			if fi.IsDir() {
				// The trailing separator makes WalkDir enter the link.
				return w.walk(root, path+string(filepath.Separator))
			}
		case mode.IsRegular():
			fi, err = d.Info()
			if err != nil {
				w.fns.Error(path, err)
				return nil
			}
		default:
			w.fns.Skipped(path, SkipSpecial)
			return nil
		}
		if !fi.Mode().IsRegular() {
			w.fns.Skipped(path, SkipSpecial)
			return nil
		}
		if len(w.opts.Include) > 0 && !itempath.Match(w.opts.Include, rel, d.Name()) || !w.opts.keep(fi.Size(), fi.ModTime()) {
			return nil
		}
		return w.fns.Item(Item{Path: path, Size: fi.Size(), ModTime: fi.ModTime(), follow: follow})
	})
}

// ErrUnreadable marks errors about inputs that could not be read.
var ErrUnreadable = errors.New("unreadable input")

// modeName names the type of a file that is not regular.
func modeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	}
	return "special file"
}
