//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitReadingStdin waits until a thread of process pid is blocked reading
// file descriptor 0 (Linux on amd64: /proc/PID/task/*/syscall starts
// "0 0x0"), so that a signal sent next finds its handlers in place, on a
// machine however busy. Elsewhere it waits a second.
func waitReadingStdin(t *testing.T, pid int) {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		time.Sleep(time.Second)
		return
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/syscall", pid))
		for _, task := range tasks {
			if b, err := os.ReadFile(task); err == nil && strings.HasPrefix(string(b), "0 0x0 ") {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("process %d never read its standard input", pid)
}

// A scan waiting on standard input that gets no data still ends after
// SIGTERM: the read cannot be cancelled, so the process exits once the
// grace period is over.
func TestScanEndsAfterSIGTERMWhileStdinIsSilent(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	r, w, err := os.Pipe() // w stays open and silent
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	cmd := exec.Command(bin, "scan", "-")
	cmd.Env = append(os.Environ(), "PIISCAN_FINGERPRINT_KEY="+testKey)
	cmd.Stdin = r
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitReadingStdin(t, cmd.Process.Pid)
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitSignal {
			t.Errorf("exit %v, want %d; stderr %s", err, exitSignal, stderr.String())
		}
		t.Logf("stopped %v after SIGTERM", time.Since(start).Round(time.Millisecond))
	case <-time.After(stopGrace + 20*time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running %v after SIGTERM", stopGrace+20*time.Second)
	}
}
