package openat

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Dir is an opened directory.
type Dir struct {
	fd   int
	name string // the path it was opened as, for messages
}

// Open opens the directory path. Symbolic links in path itself are
// followed: it is the trusted start (a configured root); names below it
// are resolved by OpenDir and the other methods without following any.
func Open(path string) (*Dir, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return &Dir{fd: fd, name: path}, nil
}

// Name returns the path the directory was opened as.
func (d *Dir) Name() string { return d.name }

// Close closes the directory.
func (d *Dir) Close() error {
	if d.fd < 0 {
		return nil
	}
	err := unix.Close(d.fd)
	d.fd = -1
	return err
}

// pathErr describes a failed step on name in d, telling a symbolic link
// (ELOOP, or ENOTDIR where O_DIRECTORY met a link) apart.
func (d *Dir) pathErr(op string, dirfd int, name string, err error) error {
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
		var st unix.Stat_t
		if unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
			err = ErrSymlink
		} else if errors.Is(err, unix.ENOTDIR) {
			err = ErrNotDir
		}
	}
	return &fs.PathError{Op: op, Path: filepath.Join(d.name, name), Err: err}
}

// OpenDir opens the directory rel below d one component at a time, each
// with O_NOFOLLOW|O_DIRECTORY: a symbolic link anywhere in rel is refused
// (ErrSymlink), and so are "..", absolute names and anything that is not
// a directory. rel "." opens d again.
func (d *Dir) OpenDir(rel string) (*Dir, error) {
	parts, err := split(rel)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: filepath.Join(d.name, rel), Err: err}
	}
	fd, err := unix.FcntlInt(uintptr(d.fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "dup", Path: d.name, Err: err}
	}
	name := d.name
	for _, p := range parts {
		next, err := unix.Openat(fd, p, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			err = (&Dir{name: name}).pathErr("open", fd, p, err)
			unix.Close(fd)
			return nil, err
		}
		unix.Close(fd)
		fd, name = next, filepath.Join(name, p)
	}
	return &Dir{fd: fd, name: name}, nil
}

// ID returns the identity of the directory itself.
func (d *Dir) ID() (ID, error) {
	var st unix.Stat_t
	if err := unix.Fstat(d.fd, &st); err != nil {
		return ID{}, &fs.PathError{Op: "fstat", Path: d.name, Err: err}
	}
	return ID{Dev: uint64(st.Dev), Ino: st.Ino}, nil
}

// Entries opens the directory itself for listing its entries (ReadDir on
// the file returned). The listing is of the directory opened, whatever
// has been renamed since; the caller closes the file.
func (d *Dir) Entries() (*os.File, error) {
	fd, err := unix.Openat(d.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: d.name, Err: err}
	}
	return os.NewFile(uintptr(fd), d.name), nil
}

// Sync commits the directory's entries to disk.
func (d *Dir) Sync() error {
	if err := unix.Fsync(d.fd); err != nil {
		return &fs.PathError{Op: "fsync", Path: d.name, Err: err}
	}
	return nil
}

// handle opens name (a single component) without following it, as an
// O_PATH descriptor: it needs no permission on the file, never blocks and
// has no side effect on a device, and stays on the same file whatever is
// done to the name afterwards.
func (d *Dir) handle(name string) (*os.File, fs.FileInfo, error) {
	if err := checkName(name); err != nil {
		return nil, nil, &fs.PathError{Op: "open", Path: filepath.Join(d.name, name), Err: err}
	}
	fd, err := unix.Openat(d.fd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, d.pathErr("open", d.fd, name, err)
	}
	f := os.NewFile(uintptr(fd), filepath.Join(d.name, name))
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// Lstat returns what name (a single component) is, without following a
// symbolic link.
func (d *Dir) Lstat(name string) (fs.FileInfo, error) {
	f, fi, err := d.handle(name)
	if err != nil {
		return nil, err
	}
	f.Close()
	return fi, nil
}

// OpenRegular opens name (a single component) for reading: a symbolic
// link is refused (ErrSymlink) and so is anything but a regular file
// (ErrNotRegular), which is told by fstat(2) on the descriptor, opened
// with O_NONBLOCK so that a FIFO or a device never blocks the open.
func (d *Dir) OpenRegular(name string) (*os.File, fs.FileInfo, error) {
	if err := checkName(name); err != nil {
		return nil, nil, &fs.PathError{Op: "open", Path: filepath.Join(d.name, name), Err: err}
	}
	fd, err := unix.Openat(d.fd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, d.pathErr("open", d.fd, name, err)
	}
	f, err := regularFile(fd, filepath.Join(d.name, name))
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// Create creates name (a single component), which must not exist, for
// reading and writing with mode perm.
func (d *Dir) Create(name string, perm fs.FileMode) (*os.File, error) {
	if err := checkName(name); err != nil {
		return nil, &fs.PathError{Op: "create", Path: filepath.Join(d.name, name), Err: err}
	}
	fd, err := unix.Openat(d.fd, name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(perm.Perm()))
	if err != nil {
		return nil, d.pathErr("create", d.fd, name, err)
	}
	return os.NewFile(uintptr(fd), filepath.Join(d.name, name)), nil
}

// Unlink removes the regular file name (a single component) from d if
// verify, given what name is right before the removal (seen on a
// descriptor, not following a link), accepts it. It returns the number of
// names the file still has afterwards, seen on that descriptor: 0, unless
// another name (a hard link) kept it, or name was swapped for another file
// between the check and the removal (then that file went instead; the
// caller must say so).
func (d *Dir) Unlink(name string, verify func(fs.FileInfo) error) (left uint64, err error) {
	h, fi, err := d.checked(name, verify)
	if err != nil {
		return 0, err
	}
	defer h.Close()
	// Between the check and unlinkat, another file of this folder could
	// be renamed over name, and unlinkat would remove it. So name is first
	// parked under a new name (renameat2 without replacing), which moves
	// whatever is there at that instant; what was moved is checked, and
	// only the checked file is removed. Anything else goes back.
	park := ParkName(IDOf(fi).Ino)
	switch err := unix.Renameat2(d.fd, name, d.fd, park, unix.RENAME_NOREPLACE); {
	case errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS):
		// The file system cannot rename without replacing: unlink by
		// name, as on other systems.
		if err := unix.Unlinkat(d.fd, name, 0); err != nil {
			return 0, &fs.PathError{Op: "unlinkat", Path: h.Name(), Err: err}
		}
		return linksAfter(h)
	case err != nil:
		return 0, &fs.PathError{Op: "renameat2", Path: h.Name(), Err: err}
	}
	return d.removeMoved(h, "unlink", park, fi, func() error {
		return unix.Renameat2(d.fd, park, d.fd, name, unix.RENAME_NOREPLACE)
	})
}

// removeMoved finishes an Unlink or a Replace: the file the action took
// off its name, now named moved, is removed if it is the file fi
// described; anything else is put back with undo and ErrChanged returned.
// It returns the number of names the planned file (h) still has.
func (d *Dir) removeMoved(h *os.File, op, moved string, fi fs.FileInfo, undo func() error) (uint64, error) {
	if err := d.parkedIs(moved, fi); err != nil {
		if uerr := undo(); uerr != nil {
			err = fmt.Errorf("%w; it is kept as %s", err, moved)
		}
		return 0, &fs.PathError{Op: op, Path: h.Name(), Err: err}
	}
	if err := unix.Unlinkat(d.fd, moved, 0); err != nil {
		return 0, &fs.PathError{Op: "unlinkat", Path: filepath.Join(d.name, moved), Err: err}
	}
	return linksAfter(h)
}

// parkedIs checks that the file now named park is the file fi described.
func (d *Dir) parkedIs(park string, fi fs.FileInfo) error {
	var st unix.Stat_t
	if err := unix.Fstatat(d.fd, park, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	want := IDOf(fi)
	if got := (ID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}); got != want {
		return fmt.Errorf("%w: another file (%v, not %v) took its name", ErrChanged, got, want)
	}
	return nil
}

// Replace renames from over to (single components, both in d) if from is
// still the file src and verify, given what to is right before the rename
// (seen on a descriptor, not following a link), accepts it. It returns the
// number of names the replaced file still has afterwards: 0, unless
// another name (a hard link) keeps its data, or to was swapped between the
// check and the rename.
func (d *Dir) Replace(src *os.File, from, to string, verify func(fs.FileInfo) error) (left uint64, err error) {
	if err := checkName(from); err != nil {
		return 0, &fs.PathError{Op: "rename", Path: filepath.Join(d.name, from), Err: err}
	}
	h, fi, err := d.checked(to, verify)
	if err != nil {
		return 0, err
	}
	defer h.Close()
	sfi, err := d.stillAt(src, from)
	if err != nil {
		return 0, err
	}
	// As in Unlink, another file could be renamed over to between the
	// check and the rename, and be replaced. So the two names are
	// exchanged (renameat2 RENAME_EXCHANGE): the new content is in place
	// and what it displaced is now named from, where it is checked. Only
	// the checked file is removed; anything else is exchanged back.
	// The new content is first renamed to a parked name that holds both
	// inodes, so that after a kill a clean-up can tell the new content
	// and the planned old file (both piiscan's to remove) from a file
	// someone else put in place.
	orig, park := from, ParkName(IDOf(fi).Ino, IDOf(sfi).Ino)
	if err := unix.Renameat2(d.fd, from, d.fd, park, unix.RENAME_NOREPLACE); err == nil {
		from = park
	} else if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOSYS) {
		return 0, &fs.PathError{Op: "renameat2", Path: filepath.Join(d.name, from), Err: err}
	}
	switch err := unix.Renameat2(d.fd, from, d.fd, to, unix.RENAME_EXCHANGE); {
	case errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS):
		if err := unix.Renameat(d.fd, from, d.fd, to); err != nil {
			return 0, &fs.PathError{Op: "renameat", Path: h.Name(), Err: err}
		}
		return linksAfter(h)
	case err != nil:
		return 0, &fs.PathError{Op: "renameat2", Path: h.Name(), Err: err}
	}
	return d.removeMoved(h, "rename", from, fi, func() error {
		if err := unix.Renameat2(d.fd, from, d.fd, to, unix.RENAME_EXCHANGE); err != nil {
			return err
		}
		if from != orig {
			// The new content goes back to the name the caller knows.
			unix.Renameat2(d.fd, from, d.fd, orig, unix.RENAME_NOREPLACE)
		}
		return nil
	})
}

// checked returns a handle (O_PATH, not following a link) on the regular
// file name, which verify accepted as seen on that handle.
func (d *Dir) checked(name string, verify func(fs.FileInfo) error) (*os.File, fs.FileInfo, error) {
	h, fi, err := d.handle(name)
	if err != nil {
		return nil, nil, err
	}
	if err := regular(h.Name(), fi.Mode()); err != nil {
		h.Close()
		return nil, nil, err
	}
	if err := verify(fi); err != nil {
		h.Close()
		return nil, nil, err
	}
	return h, fi, nil
}

// linksAfter returns the number of names the file of h has.
func linksAfter(h *os.File) (uint64, error) {
	fi, err := h.Stat()
	if err != nil {
		return 1, err
	}
	return Links(fi), nil
}

// Chtimes sets the access and modification times of f, which d holds as
// name, on the descriptor itself (utimensat(2) with no name).
func (d *Dir) Chtimes(f *os.File, name string, atime, mtime time.Time) error {
	ts := [2]unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
	sc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = sc.Control(func(fd uintptr) {
		if _, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, fd, 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0); e != 0 {
			serr = e
		}
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return &fs.PathError{Op: "utimensat", Path: filepath.Join(d.name, name), Err: err}
	}
	return nil
}
