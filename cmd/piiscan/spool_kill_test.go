//go:build linux

package main

import (
	"archive/zip"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// spoolFiles lists the spool files in dir.
func spoolFiles(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		if strings.HasPrefix(de.Name(), "piiscan-spool-") {
			names = append(names, de.Name())
		}
	}
	return names
}

// openSpool reports whether process pid has a file in dir open (a spool
// file, named or not: one made with O_TMPFILE never had a name), from its
// file descriptors in /proc.
func openSpool(pid int, dir string) bool {
	fds, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "fd", "*"))
	for _, fd := range fds {
		if l, err := os.Readlink(fd); err == nil && strings.HasPrefix(l, dir+"/") {
			return true
		}
	}
	return false
}

// A zip read from standard input is spooled to TMPDIR. A run killed with
// SIGKILL while spooling left the file there, 0600 but holding raw
// archive content, and no later run removed it. Then the name was removed
// just after the file was created, and a kill in between (seen once in
// CI) still left it. Now, on Linux, the file never has a name, and what
// older runs left is removed.
func TestSpoolFileDoesNotOutliveSIGKILL(t *testing.T) {
	bin := binary(t)
	tmp := t.TempDir()
	var z bytes.Buffer
	zw := zip.NewWriter(&z)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "users.csv", Method: zip.Store})
	w.Write([]byte("name,email\nalice,alice@example.com\n"))
	w.Write(bytes.Repeat([]byte("bob,bob@example.com\n"), 500))
	zw.Close()

	cmd := exec.Command(bin, "scan", "--format", "jsonl", "--progress", "never", "-")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// Half the archive (past the 512 bytes the format is told by), and
	// the pipe stays open: the run spools and waits for the rest.
	if _, err := stdin.Write(z.Bytes()[:z.Len()/2]); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !openSpool(cmd.Process.Pid, tmp) {
		if time.Now().After(deadline) {
			t.Fatal("the run did not start spooling")
		}
		time.Sleep(10 * time.Millisecond)
	}
	named := spoolFiles(t, tmp)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if left := spoolFiles(t, tmp); len(left) > 0 {
		t.Errorf("regression (a spool file outlives a run killed with SIGKILL): "+
			"%q left in TMPDIR (named while spooling: %q)", left, named)
	}

	// What an older or killed run left is removed by the next run.
	stale := filepath.Join(tmp, "piiscan-spool-4242.zip")
	if err := os.WriteFile(stale, z.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(stale, old, old)
	plain := filepath.Join(t.TempDir(), "a.log")
	os.WriteFile(plain, []byte("nothing here\n"), 0o644)
	next := exec.Command(bin, "scan", "--format", "jsonl", "--progress", "never", plain)
	next.Env = append(os.Environ(), "TMPDIR="+tmp)
	if out, err := next.CombinedOutput(); err != nil {
		t.Fatalf("next run: %v\n%s", err, out)
	}
	if left := spoolFiles(t, tmp); len(left) > 0 {
		t.Errorf("regression (later runs do not remove spool files left behind): %q still in TMPDIR after the next run", left)
	}
}
