//go:build unix

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// mkfifo makes a named pipe.
func mkfifo(t *testing.T, p string) string {
	t.Helper()
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	return p
}

// drain reads the named pipe p in the background until its writer
// closes it.
func drain(p string) <-chan string {
	ch := make(chan string, 1)
	go func() {
		f, err := os.Open(p)
		if err != nil {
			ch <- "open: " + err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		ch <- string(b)
	}()
	return ch
}

func drained(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("the pipe's reader got nothing in 10s: the pipe was not written")
		return ""
	}
}

func fileType(t *testing.T, p string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Type()
}

// charDevice returns a writable character device that discards what it
// gets: /dev/null, or, for root (whom an old piiscan let replace
// /dev/null with a file), a null device of the test's own.
func charDevice(t *testing.T) string {
	t.Helper()
	if os.Geteuid() == 0 {
		p := filepath.Join(t.TempDir(), "null")
		if err := unix.Mknod(p, unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
			t.Skip("cannot make a device:", err)
		}
		if f, err := os.OpenFile(p, os.O_WRONLY, 0); err != nil {
			t.Skip("devices cannot be opened here:", err)
		} else {
			f.Close()
		}
		return p
	}
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skip("/dev/null is not writable here:", err)
	}
	f.Close()
	return os.DevNull
}

// A regular file is replaced whole and keeps its permissions.
func TestScanOutputKeepsTheFileMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "report.jsonl")
	os.WriteFile(p, []byte("old"), 0o644)
	os.Chmod(p, 0o644)
	if code, _, errs := runCLI(t, "", "scan", "--format", "jsonl", "-o", p, examples); code != exitFindings {
		t.Fatalf("exit %d %s", code, errs)
	}
	fi, _ := os.Lstat(p)
	if b, _ := os.ReadFile(p); !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o644 || !bytes.Contains(b, []byte(`"class":"email"`)) {
		t.Errorf("report %v, %.80q", fi.Mode(), b)
	}
}

// A character device is written in place, never replaced by a file.
func TestScanOutputToACharacterDevice(t *testing.T) {
	dev := charDevice(t)
	before, _ := os.Lstat(dev)
	if code, out, errs := runCLI(t, "", "scan", "--format", "jsonl", "-o", dev, examples); code != exitFindings || out != "" {
		t.Errorf("exit %d, stdout %.80q %s", code, out, errs)
	}
	after, err := os.Lstat(dev)
	if err != nil || after.Mode() != before.Mode() || after.Mode()&fs.ModeCharDevice == 0 || !os.SameFile(before, after) {
		t.Fatalf("%s was %v, is %v (%v)", dev, before.Mode(), after.Mode(), err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(dev)); dev != os.DevNull && len(entries) != 1 {
		t.Errorf("left beside the device: %v", entries)
	}
}

// A named pipe gets the report and stays a pipe, directly or through a
// link; a link to a regular file stays a link and its target gets the
// report.
func TestScanOutputToPipesAndLinks(t *testing.T) {
	dir := t.TempDir()
	pipe := mkfifo(t, filepath.Join(dir, "report.pipe"))
	got := drain(pipe)
	if code, _, errs := runCLI(t, "", "scan", "--format", "jsonl", "-o", pipe, examples); code != exitFindings {
		t.Errorf("pipe: exit %d %s", code, errs)
	}
	if typ := fileType(t, pipe); typ != fs.ModeNamedPipe {
		t.Fatalf("the pipe is %v now", typ)
	}
	if s := drained(t, got); !strings.Contains(s, `"class":"email"`) {
		t.Errorf("the pipe's reader got %.100q", s)
	}

	pipeLink := filepath.Join(dir, "to-pipe")
	os.Symlink("report.pipe", pipeLink)
	got = drain(pipe)
	if code, _, errs := runCLI(t, "", "scan", "--format", "jsonl", "-o", pipeLink, examples); code != exitFindings {
		t.Errorf("link to a pipe: exit %d %s", code, errs)
	}
	if typ := fileType(t, pipeLink); typ != fs.ModeSymlink {
		t.Fatalf("the link is %v now", typ)
	}
	if s := drained(t, got); !strings.Contains(s, `"class":"email"`) {
		t.Errorf("the pipe's reader got %.100q", s)
	}

	targets := filepath.Join(dir, "reports")
	os.Mkdir(targets, 0o755)
	target := filepath.Join(targets, "latest.jsonl")
	os.WriteFile(target, []byte("old"), 0o640)
	os.Chmod(target, 0o640)
	link := filepath.Join(dir, "report.jsonl")
	os.Symlink("reports/latest.jsonl", link)
	code, _, errs := runCLI(t, "", "scan", "--format", "jsonl", "-o", link, examples)
	if code != exitFindings {
		t.Errorf("link to a file: exit %d %s", code, errs)
	}
	if typ := fileType(t, link); typ != fs.ModeSymlink {
		t.Fatalf("the link is %v now", typ)
	}
	fi, _ := os.Lstat(target)
	if b, _ := os.ReadFile(target); fi.Mode().Perm() != 0o640 || !bytes.Contains(b, []byte(`"class":"email"`)) {
		t.Errorf("target %v %.80q", fi.Mode(), b)
	}
	if entries, _ := os.ReadDir(targets); len(entries) != 1 {
		t.Errorf("left beside the target: %v", entries)
	}
}

// What cannot take a report is refused with exit 2, and left as it was.
func TestScanOutputRefusals(t *testing.T) {
	dir := t.TempDir()
	dangling := filepath.Join(dir, "dangling")
	os.Symlink("missing/report.jsonl", dangling)
	sockDir, _ := os.MkdirTemp("", "sock")
	defer os.RemoveAll(sockDir)
	sock := filepath.Join(sockDir, "s")
	if l, err := net.Listen("unix", sock); err == nil {
		defer l.Close()
	}
	for _, tc := range []struct{ path, err string }{
		{dir, "is a directory"},
		{dangling, "does not exist"},
		{sock, "is a socket"},
	} {
		code, _, errs := runCLI(t, "", "scan", "--format", "jsonl", "-o", tc.path, examples)
		if code != exitUsage || !strings.Contains(errs, tc.err) {
			t.Errorf("-o %s: exit %d %s", tc.path, code, errs)
		}
	}
	if typ := fileType(t, dangling); typ != fs.ModeSymlink {
		t.Errorf("the dangling link is %v now", typ)
	}
	if _, err := os.Lstat(filepath.Join(dir, "missing")); err == nil {
		t.Error("the dangling link's directory was made")
	}
	if fi, err := os.Lstat(sock); err == nil && fi.Mode().Type() != fs.ModeSocket {
		t.Errorf("the socket is %v now", fi.Mode())
	}
}

// report merge -o follows the same rules.
func TestMergeOutputToPipesAndLinks(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	shardTree(t, tree)
	out := filepath.Join(dir, "out")
	for i := range 2 {
		runCLI(t, "", "scan", "--format", "jsonl", "--shard", fmt.Sprintf("%d/2", i), "--shard-output", out, tree)
	}
	_, whole, _ := runCLI(t, "", "report", "merge", "--format", "jsonl", out)

	pipe := mkfifo(t, filepath.Join(dir, "merged.pipe"))
	got := drain(pipe)
	if code, _, errs := runCLI(t, "", "report", "merge", "--format", "jsonl", "-o", pipe, out); code != exitFindings {
		t.Errorf("pipe: exit %d %s", code, errs)
	}
	if typ := fileType(t, pipe); typ != fs.ModeNamedPipe {
		t.Fatalf("the pipe is %v now", typ)
	}
	if s := drained(t, got); s != whole {
		t.Errorf("the pipe's reader got %d bytes, want %d", len(s), len(whole))
	}

	target := filepath.Join(dir, "reports", "run-42.jsonl")
	os.Mkdir(filepath.Dir(target), 0o755)
	os.WriteFile(target, nil, 0o644)
	os.Chmod(target, 0o644)
	link := filepath.Join(dir, "latest.jsonl")
	os.Symlink(target, link)
	if code, _, errs := runCLI(t, "", "report", "merge", "-o", link, out); code != exitFindings {
		t.Errorf("link: exit %d %s", code, errs)
	}
	if typ := fileType(t, link); typ != fs.ModeSymlink {
		t.Fatalf("the link is %v now", typ)
	}
	fi, _ := os.Lstat(target)
	if b, _ := os.ReadFile(target); string(b) != whole || fi.Mode().Perm() != 0o644 {
		t.Errorf("target %v, %d bytes, want %d", fi.Mode(), len(b), len(whole))
	}
}

// -o /dev/stdout (or /dev/fd/N) writes to the descriptor the command was
// given, a pipe here, as on a read-only root file system where nothing
// can be created beside it.
func TestScanOutputToStdoutPipe(t *testing.T) {
	bin := binary(t)
	for _, path := range []string{"/dev/stdout", "/proc/self/fd/1", "/dev/fd/3"} {
		t.Run(strings.ReplaceAll(path, "/", "_"), func(t *testing.T) {
			if _, err := os.Stat(filepath.Dir(path)); err != nil {
				t.Skip(err)
			}
			cmd := exec.Command(bin, "scan", "--format", "jsonl", "-o", path, examples)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr // pipes
			got := &stdout
			var fd3 bytes.Buffer
			if path == "/dev/fd/3" {
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				cmd.ExtraFiles = []*os.File{w}
				err = cmd.Start()
				w.Close()
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(&fd3, r)
				got = &fd3
			} else if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitFindings {
				t.Fatalf("exit %v\n%s", err, stderr.String())
			}
			if n := strings.Count(got.String(), `"fingerprint"`); n < 10 || !strings.HasSuffix(got.String(), "\n") {
				t.Errorf("%d findings on the pipe: %.200q\n%s", n, got.String(), stderr.String())
			}
			if got != &stdout && stdout.Len() > 0 {
				t.Errorf("stdout got %.100q", stdout.String())
			}
		})
	}
}

// SIGINT ends the wait for a named pipe's reader: exit 130, the pipe as
// it was.
func TestScanOutputToPipeInterrupted(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	pipe := mkfifo(t, filepath.Join(dir, "report.pipe"))
	cmd := exec.Command(bin, "scan", "--format", "jsonl", "-o", pipe, examples)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	time.Sleep(700 * time.Millisecond)
	cmd.Process.Signal(os.Interrupt)
	var err error
	select {
	case err = <-done:
	case <-time.After(8 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still waiting 8s after SIGINT\n%s", stderr.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitSignal {
		t.Errorf("exit %v, want %d\n%s", err, exitSignal, stderr.String())
	}
	if typ := fileType(t, pipe); typ != fs.ModeNamedPipe {
		t.Errorf("the pipe is %v now", typ)
	}
}
