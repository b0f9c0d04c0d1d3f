//go:build unix

package output

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// nobody is the uid the tests give links that are not the process's.
const nobody = 65534

// sharedDir makes a directory with mode perm (e.g. 1777, as /tmp) owned
// by uid, as root can.
func sharedDir(t *testing.T, perm fs.FileMode, uid int) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(d, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(d, uid, uid); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, perm); err != nil { // after the chown, which may clear mode bits
		t.Fatal(err)
	}
	return d
}

// linkOwnedBy makes a symbolic link at link to target owned by uid.
func linkOwnedBy(t *testing.T, target, link string, uid int) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if err := os.Lchown(link, uid, uid); err != nil {
		t.Fatal(err)
	}
}

// standIn makes the file a planted link would point at (/etc/shadow in
// the attack) and returns a check that it is as it was.
func standIn(t *testing.T) (string, func()) {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "shadow")
	os.WriteFile(p, []byte("root:secret"), 0o640)
	before, _ := os.Stat(p)
	return p, func() {
		t.Helper()
		after, err := os.Stat(p)
		b, _ := os.ReadFile(p)
		if err != nil || string(b) != "root:secret" || !os.SameFile(before, after) {
			t.Errorf("the link's target was written: %q (%v)", b, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("left beside the target: %v", entries)
		}
	}
}

// A link in a shared sticky directory (/tmp) that the process does not
// own is not followed, as the kernel's fs.protected_symlinks would not:
// a local user who plants /tmp/pii.json -> /etc/shadow does not get a
// root job's report to replace /etc/shadow.
func TestPlantedLinkRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to give a link another owner")
	}
	tmp := sharedDir(t, 0o777|fs.ModeSticky, 0)
	target, unchanged := standIn(t)
	link := filepath.Join(tmp, "pii.json")
	linkOwnedBy(t, target, link, nobody)
	err := write(t, link, "report")
	if !errors.Is(err, ErrUnsafe) ||
		!strings.Contains(err.Error(), link+": a symbolic link owned by uid 65534 in a shared sticky directory: not followed; remove it or write elsewhere") {
		t.Errorf("a planted link: %v", err)
	}
	unchanged()
	isType(t, link, fs.ModeSymlink)
	if entries, _ := os.ReadDir(tmp); len(entries) != 1 {
		t.Errorf("left in the shared directory: %v", entries)
	}

	// Every link of a chain is checked: a link of the process's own to
	// the planted one is refused too, naming the planted one.
	mine := filepath.Join(t.TempDir(), "report.json")
	os.Symlink(link, mine)
	if err := write(t, mine, "report"); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), mine+" leads to "+link+": a symbolic link owned by uid 65534") {
		t.Errorf("a chain through a planted link: %v", err)
	}
	unchanged()
	isType(t, mine, fs.ModeSymlink)
}

// The links the kernel follows are followed: the process's own, one in a
// directory that is not both sticky and world-writable, one owned by the
// owner of the sticky directory it is in.
func TestSafeLinksFollowed(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to give links and directories other owners")
	}
	for _, tt := range []struct {
		name     string
		perm     fs.FileMode
		dirOwner int
		linkUID  int
	}{
		{"own link in a sticky world-writable directory", 0o777 | fs.ModeSticky, 0, 0},
		{"another's link in a plain directory", 0o755, 0, nobody},
		{"another's link in a world-writable directory that is not sticky", 0o777, 0, nobody},
		{"another's link in a sticky directory others cannot write", 0o755 | fs.ModeSticky, 0, nobody},
		{"the directory owner's link in a sticky world-writable directory", 0o777 | fs.ModeSticky, nobody, nobody},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := sharedDir(t, tt.perm, tt.dirOwner)
			target := filepath.Join(t.TempDir(), "report.json")
			os.WriteFile(target, []byte("old"), 0o644)
			link := filepath.Join(dir, "report.json")
			linkOwnedBy(t, target, link, tt.linkUID)
			if err := write(t, link, "new"); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(target); string(b) != "new" {
				t.Errorf("target: %q", b)
			}
			isType(t, link, fs.ModeSymlink)
		})
	}
}

// A file or a named pipe another user put in a shared sticky directory is
// not used, as the kernel's fs.protected_regular and fs.protected_fifos
// would not open it: the replaced file would keep its owner's 0666, and
// the pipe's owner would read the report.
func TestPlantedFileRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to give files another owner")
	}
	tmp := sharedDir(t, 0o777|fs.ModeSticky, 0)
	planted := filepath.Join(tmp, "pii.json")
	os.WriteFile(planted, []byte("planted"), 0o666)
	os.Chmod(planted, 0o666)
	os.Chown(planted, nobody, nobody)
	if err := write(t, planted, "report"); !errors.Is(err, ErrUnsafe) ||
		!strings.Contains(err.Error(), planted+": a file owned by uid 65534 in a shared sticky directory: not replaced") {
		t.Errorf("a planted file: %v", err)
	}
	if b, _ := os.ReadFile(planted); string(b) != "planted" {
		t.Errorf("the planted file holds %q", b)
	}
	p := fifo(t, tmp, "pii.pipe")
	os.Chown(p, nobody, nobody)
	// Bounded: were the pipe opened, it would wait for a reader.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if f, err := Create(ctx, p); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "a named pipe owned by uid 65534") {
		t.Errorf("a planted pipe: %v", err)
		if f != nil {
			f.Abort()
		}
	}
	// The process's own file there is replaced, keeping its mode.
	mine := filepath.Join(tmp, "mine.json")
	os.WriteFile(mine, []byte("old"), 0o640)
	if err := write(t, mine, "report"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(mine); string(b) != "report" {
		t.Errorf("own file: %q", b)
	}
	// So is one in a directory that is not shared.
	plain := sharedDir(t, 0o755, 0)
	theirs := filepath.Join(plain, "r.json")
	os.WriteFile(theirs, []byte("old"), 0o644)
	os.Chown(theirs, nobody, nobody)
	if err := write(t, theirs, "report"); err != nil {
		t.Fatal(err)
	}
}
