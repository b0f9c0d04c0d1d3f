//go:build unix

package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

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
	time.Sleep(300 * time.Millisecond)
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
