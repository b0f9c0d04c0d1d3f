package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hostilePolicy writes a policy with an allow pattern and a pattern rule
// that backtrack exponentially on the lines of hostileLines.
func hostilePolicy(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rules.yaml")
	policy := `version: 1
rules:
  - id: email
    detector: email
    severity: medium
  - id: evil
    class: secret
    pattern: '(a+)+b'
    severity: high
allow:
  patterns: ['([a-z0-9]+[._-]?)+@example\.com']
`
	if err := os.WriteFile(path, []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// hostileLines: a 34-character local part hung scan and rules test forever
// in the allow pattern; a line of a's makes the rule time out.
func hostileLines(n int) string {
	return strings.Repeat("login "+strings.Repeat("a", 34)+"@example.org\n"+strings.Repeat("a", 40)+"\n", n)
}

func TestRulesTestReportsPatternTimeouts(t *testing.T) {
	policy := hostilePolicy(t)
	code, out, errs := runCLI(t, hostileLines(1), "--config", policy, "rules", "test")
	if code != exitUnreadable {
		t.Errorf("exit %d, want %d (incomplete)", code, exitUnreadable)
	}
	for _, want := range []string{`-: line 1: allow pattern #1: pattern timed out after 250ms`,
		`-: line 2: rule "evil": pattern timed out after 250ms`} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr %q\nwant %q", errs, want)
		}
	}
	if strings.Contains(out+errs, "aaaaaaaaaa") {
		t.Errorf("the input is quoted in the output:\n%s\n%s", out, errs)
	}
}

// TestScanStopsOnSIGTERMInPatterns sends SIGTERM to a scan busy in
// regular expressions: it was ignored, and the scan ran on forever.
func TestScanStopsOnSIGTERMInPatterns(t *testing.T) {
	bin := binary(t)
	policy := hostilePolicy(t)
	dir := t.TempDir()
	for i := range 40 { // a second or so each: more than a minute in all
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.log", i)), []byte(hostileLines(50)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "--config", policy, "scan", "--format", "jsonl", dir)
	busy := &watchWriter{want: "pattern timed out", seen: make(chan struct{})}
	cmd.Stderr = busy
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Signal once the scan is busy in the patterns: at its first timeout
	// (or after 2 s: before the fix nothing timed out, it just ran).
	select {
	case <-busy.seen:
	case <-time.After(2 * time.Second):
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitSignal {
			t.Errorf("exit %v, want %d", err, exitSignal)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-exited
		t.Fatal("scan still running 10 s after SIGTERM")
	}
}

// watchWriter closes seen when what is written to it contains want.
type watchWriter struct {
	want string
	seen chan struct{}
	mu   sync.Mutex
	buf  []byte
	done bool
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.buf = append(w.buf, p...)
		if bytes.Contains(w.buf, []byte(w.want)) {
			close(w.seen)
			w.done, w.buf = true, nil
		}
	}
	return len(p), nil
}
