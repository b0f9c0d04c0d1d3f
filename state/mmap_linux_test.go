package state

import (
	"bufio"
	"bytes"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// vmSize returns the address space the process uses, from /proc.
func vmSize(t *testing.T) uint64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmSize:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Skip("no VmSize in /proc/self/status")
	return 0
}

// Under an address-space limit (ulimit -v) that leaves no room for a
// 1 GiB map, the state file still opens, with bbolt's default map, and
// works. The limit is set in a child process (this test run again).
func TestOpenUnderAddressSpaceLimit(t *testing.T) {
	if dir := os.Getenv("PIISCAN_TEST_ASLIMIT_DIR"); dir != "" {
		limit := vmSize(t) + 256<<20
		if err := syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
			t.Skip(err)
		}
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		path := filepath.Join(dir, "state.db")
		for range 2 { // a new file, then the file again
			s, err := Open(path, log)
			if err != nil {
				t.Fatal(err)
			}
			list := genSeen(20_000, 1, benchNow)
			if _, err := s.Save(Commit{Seen: map[string][]Seen{"sec": list}}); err != nil {
				t.Fatal(err)
			}
			if _, ok := s.Seen("sec", list[0].Location, list[0].Rule, list[0].Fingerprint); !ok {
				t.Error("a saved violation not found")
			}
			s.Close()
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestOpenUnderAddressSpaceLimit$", "-test.v")
	cmd.Env = append(os.Environ(), "PIISCAN_TEST_ASLIMIT_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if bytes.Contains(out, []byte("--- SKIP")) {
		t.Skipf("child skipped:\n%s", out)
	}
	if err != nil {
		t.Fatalf("under an address-space limit: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("level=DEBUG")) || !bytes.Contains(out, []byte("default map")) {
		t.Errorf("no debug message of the smaller map:\n%s", out)
	}
}
