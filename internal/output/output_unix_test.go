//go:build unix

package output

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fifo makes a named pipe in dir.
func fifo(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	return p
}

// readAll reads the pipe at p in the background; the result arrives on
// the channel.
func readAll(p string) <-chan string {
	ch := make(chan string, 1)
	go func() {
		f, err := os.Open(p)
		if err != nil {
			ch <- "open: " + err.Error()
			return
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			ch <- "read: " + err.Error()
			return
		}
		ch <- string(b)
	}()
	return ch
}

func receive(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("the reader got nothing in 10s")
		return ""
	}
}

func isType(t *testing.T, p string, typ fs.FileMode) {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != typ {
		t.Errorf("%s is %v now, want %v", p, fi.Mode().Type(), typ)
	}
}

func TestNamedPipe(t *testing.T) {
	dir := t.TempDir()
	p := fifo(t, dir, "report.pipe")
	got := readAll(p)
	if err := write(t, p, "report\n"); err != nil {
		t.Fatal(err)
	}
	if s := receive(t, got); s != "report\n" {
		t.Errorf("the reader got %q", s)
	}
	isType(t, p, fs.ModeNamedPipe)
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

// Cancelling the context ends the wait for a reader, and a write that
// waits for a reader who does not read.
func TestNamedPipeCancel(t *testing.T) {
	dir := t.TempDir()
	p := fifo(t, dir, "report.pipe")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	if _, err := Create(ctx, p); !errors.Is(err, context.Canceled) {
		t.Fatalf("Create without a reader: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the open took %v to stop", d)
	}
	isType(t, p, fs.ModeNamedPipe)

	// A reader that never reads: the pipe fills and the write waits.
	rd, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	f, err := Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		chunk := make([]byte, 64<<10)
		for {
			if _, err := f.Write(chunk); err != nil {
				done <- err
				return
			}
		}
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		// Also the context's error: the caller tells an interrupt
		// (exit 130) from a failed write.
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.Is(err, context.Canceled) {
			t.Errorf("write: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a waiting write did not stop when cancelled")
	}
	f.Abort()
}

// Waiting for a pipe's reader leaves no open behind when it ends: here
// the pipe is renamed away during the wait, so nothing at its path can
// stand in as a reader, and then the wait is cancelled.
func TestNamedPipeWaitLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	p := fifo(t, dir, "report.pipe")
	moved := filepath.Join(dir, "moved.pipe")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(200*time.Millisecond, func() {
		os.Rename(p, moved)
		time.AfterFunc(100*time.Millisecond, cancel)
	})
	if f, err := Create(ctx, p); err == nil {
		f.Abort()
		t.Fatal("written without a reader")
	}
	pending := func() bool {
		buf := make([]byte, 1<<20)
		return strings.Contains(string(buf[:runtime.Stack(buf, true)]), "internal/output.openDirect")
	}
	for deadline := time.Now().Add(2 * time.Second); pending() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if pending() {
		t.Error("an open of the pipe is still waiting after Create returned")
		// Let it finish.
		if rd, err := os.OpenFile(moved, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			time.Sleep(100 * time.Millisecond)
			rd.Close()
		}
	}
}

// A report larger than a pipe holds goes through whole to a reader that
// reads it: a write that would block waits rather than failing.
func TestNamedPipeLargeReport(t *testing.T) {
	p := fifo(t, t.TempDir(), "report.pipe")
	got := readAll(p)
	big := strings.Repeat("0123456789abcdef", 1<<18) // 4 MiB
	if err := write(t, p, big); err != nil {
		t.Fatal(err)
	}
	if s := receive(t, got); s != big {
		t.Errorf("the reader got %d bytes of %d", len(s), len(big))
	}
}

func TestDevNull(t *testing.T) {
	w, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skip("/dev/null is not writable here:", err)
	}
	w.Close()
	before, _ := os.Lstat(os.DevNull)
	f, err := Create(context.Background(), os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	if !f.InPlace() {
		t.Error("/dev/null is to be replaced")
	}
	f.Write([]byte("report"))
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	after, err := os.Lstat(os.DevNull)
	if err != nil || after.Mode() != before.Mode() || after.Mode()&fs.ModeCharDevice == 0 || !os.SameFile(before, after) {
		t.Errorf("/dev/null was %v, is %v (%v)", before.Mode(), after.Mode(), err)
	}
}

func TestSymlinks(t *testing.T) {
	base := t.TempDir()
	links, targets := filepath.Join(base, "links"), filepath.Join(base, "targets")
	os.Mkdir(links, 0o755)
	os.Mkdir(targets, 0o755)

	// To a regular file, by a relative name: the link stays, the target
	// is replaced beside itself and keeps its mode.
	target := filepath.Join(targets, "report.json")
	os.WriteFile(target, []byte("old"), 0o640)
	os.Chmod(target, 0o640)
	link := filepath.Join(links, "report.json")
	os.Symlink("../targets/report.json", link)
	// A chain: a link to the link.
	chain := filepath.Join(links, "latest")
	os.Symlink("report.json", chain)
	if err := write(t, chain, "new"); err != nil {
		t.Fatal(err)
	}
	isType(t, link, fs.ModeSymlink)
	isType(t, chain, fs.ModeSymlink)
	fi, _ := os.Stat(target)
	if b, _ := os.ReadFile(target); string(b) != "new" || fi.Mode().Perm() != 0o640 {
		t.Errorf("target: %q, mode %v", b, fi.Mode())
	}
	if s, _ := os.Readlink(link); s != "../targets/report.json" {
		t.Errorf("link now points at %q", s)
	}
	for _, d := range []string{links, targets} {
		if entries, _ := os.ReadDir(d); (d == links) != (len(entries) == 2) || (d == targets) != (len(entries) == 1) {
			t.Errorf("%s holds %v", d, entries)
		}
	}

	// To a named pipe: written in place.
	p := fifo(t, targets, "report.pipe")
	plink := filepath.Join(links, "pipe")
	os.Symlink(p, plink)
	got := readAll(p)
	if err := write(t, plink, "through\n"); err != nil {
		t.Fatal(err)
	}
	if s := receive(t, got); s != "through\n" {
		t.Errorf("the reader got %q", s)
	}
	isType(t, plink, fs.ModeSymlink)
	isType(t, p, fs.ModeNamedPipe)

	// Dangling: refused, nothing created.
	dangling := filepath.Join(links, "dangling")
	os.Symlink("../targets/nothing.json", dangling)
	if err := write(t, dangling, "x"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("a dangling link: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(targets, "nothing.json")); err == nil {
		t.Error("the dangling link's target was created")
	}
	isType(t, dangling, fs.ModeSymlink)

	// To a directory: refused.
	dlink := filepath.Join(links, "dir")
	os.Symlink(targets, dlink)
	if err := write(t, dlink, "x"); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("a link to a directory: %v", err)
	}

	// A loop: refused.
	os.Symlink("loop2", filepath.Join(links, "loop1"))
	os.Symlink("loop1", filepath.Join(links, "loop2"))
	if err := write(t, filepath.Join(links, "loop1"), "x"); err == nil {
		t.Error("a loop of links was written")
	}

	// To a regular file in a directory that cannot be written: refused,
	// the link and the target as they were.
	if os.Geteuid() != 0 {
		ro := filepath.Join(base, "ro")
		os.Mkdir(ro, 0o755)
		os.WriteFile(filepath.Join(ro, "r.json"), []byte("kept"), 0o644)
		os.Chmod(ro, 0o555)
		t.Cleanup(func() { os.Chmod(ro, 0o755) })
		rlink := filepath.Join(links, "ro")
		os.Symlink(filepath.Join(ro, "r.json"), rlink)
		if err := write(t, rlink, "x"); err == nil || !strings.Contains(err.Error(), "the target of the link") {
			t.Errorf("a target in a read-only directory: %v", err)
		}
		isType(t, rlink, fs.ModeSymlink)
		if b, _ := os.ReadFile(filepath.Join(ro, "r.json")); string(b) != "kept" {
			t.Errorf("target: %q", b)
		}
	}
}

// /dev/fd/N and /proc/self/fd/N are the process's descriptor N: a pipe
// gets the report.
func TestDescriptors(t *testing.T) {
	for _, name := range []string{"/dev/fd/%d", "/proc/self/fd/%d"} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		path := fmt.Sprintf(name, w.Fd())
		if _, err := os.Stat(filepath.Dir(path)); err != nil {
			r.Close()
			w.Close()
			continue
		}
		f, err := Create(context.Background(), path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		f.Write([]byte("to the pipe"))
		if err := f.Commit(); err != nil {
			t.Fatal(err)
		}
		w.Close()
		b, _ := io.ReadAll(r)
		r.Close()
		if string(b) != "to the pipe" {
			t.Errorf("%s: the pipe got %q", path, b)
		}
	}
	// A descriptor that is not open, or open only for reading.
	r, w, _ := os.Pipe()
	defer w.Close()
	if _, err := Create(context.Background(), fmt.Sprintf("/dev/fd/%d", r.Fd())); err == nil || !strings.Contains(err.Error(), "not open for writing") {
		t.Errorf("a read end: %v", err)
	}
	fd := r.Fd()
	r.Close()
	if _, err := Create(context.Background(), fmt.Sprintf("/dev/fd/%d", fd)); err == nil || !strings.Contains(err.Error(), "not open") {
		t.Errorf("a closed descriptor: %v", err)
	}
}

func TestSocketRefused(t *testing.T) {
	dir, err := os.MkdirTemp("", "out") // short: socket paths are short
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "s")
	l, err := net.Listen("unix", p)
	if err != nil {
		t.Skip("no unix sockets here:", err)
	}
	defer l.Close()
	if err := write(t, p, "x"); err == nil || !strings.Contains(err.Error(), "is a socket") {
		t.Errorf("a socket: %v", err)
	}
	isType(t, p, fs.ModeSocket)
}

func TestFDPath(t *testing.T) {
	tests := []struct {
		path string
		fd   int
		ok   bool
	}{
		{"/dev/stdout", 1, true},
		{"/dev/stderr", 2, true},
		{"/dev/fd/3", 3, true},
		{"/dev/fd/../fd/4", 4, true},
		{"/proc/self/fd/10", 10, true},
		{fmt.Sprintf("/proc/%d/fd/5", os.Getpid()), 5, true},
		{"/proc/1/fd/5", 0, os.Getpid() == 1},
		{"/dev/fd/+3", 0, false},
		{"/dev/fd/03", 0, false},
		{"/dev/fd/x", 0, false},
		{"/dev/stdin", 0, false},
		{"/dev/null", 0, false},
		{"dev/stdout", 0, false},
	}
	for _, tt := range tests {
		fd, ok := fdPath(tt.path)
		if ok != tt.ok || (ok && fd != tt.fd) {
			t.Errorf("fdPath(%q) = %d, %v", tt.path, fd, ok)
		}
	}
}
