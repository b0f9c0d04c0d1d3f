package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/internal/s3test"
)

func TestScanS3(t *testing.T) {
	s := s3test.Start(t)
	s.Env(t)
	s.Bucket(t, "logs")
	s.Put(t, "logs", "web/access.log", []byte("192.0.2.7 - - [01/Mar/2024:10:00:00 +0000] \"GET /?mail=bob@example.com\" 200 1\n"))
	s.Put(t, "logs", "web/old.log", []byte("203.0.113.9 - - x\n"))
	s.Put(t, "logs", "web/big.log", []byte(strings.Repeat("carol@example.com\n", 1000)))
	checkpoint := filepath.Join(t.TempDir(), "cp.json")
	code, out, errs := runCLI(t, "", "scan", "--s3-path-style", "--max-size", "4KiB", "--checkpoint", checkpoint,
		"--format", "jsonl", "s3://logs/web/")
	if code != exitFindings {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"path":"s3://logs/web/access.log","line":1,"column":1,"length":9,"class":"ip_address"`) ||
		!strings.Contains(out, `"path":"s3://logs/web/old.log"`) || strings.Contains(out, "big.log") {
		t.Errorf("findings:\n%s", out)
	}
	if _, err := os.Stat(checkpoint); !os.IsNotExist(err) {
		t.Error("a finished scan left its checkpoint")
	}
	// The server gone: the objects cannot be read, exit 3.
	s.Stop()
	code, _, errs = runCLI(t, "", "scan", "--s3-path-style", "--s3-max-attempts", "1", "s3://logs/web/")
	if code != exitUnreadable || !strings.Contains(errs, "cannot read s3://logs/web/") {
		t.Errorf("server down: exit %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "", "scan", "--newer-than", "soon", "s3://logs/"); code != exitUsage || !strings.Contains(errs, "--newer-than") {
		t.Errorf("bad --newer-than: %d %s", code, errs)
	}
}
