package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// purgeTree writes a policy and logs under dir: a location kept 30 days by
// mtime and one purged by record time. It returns the policy file.
func purgeTree(t *testing.T, dir string) string {
	t.Helper()
	now := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	write := func(rel, content string, age time.Duration) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(content), 0o644)
		os.Chtimes(p, now.Add(-age), now.Add(-age))
	}
	write("web/access.log.1", "192.0.2.1 - - [01/May/2024:00:00:00 +0000] \"GET /\" 200 1\n", 2*24*time.Hour)
	write("web/access.log.9", "192.0.2.1 - - [01/Apr/2024:00:00:00 +0000] \"GET /\" 200 1\n", 45*24*time.Hour)
	write("app/app.jsonl", `{"ts":"2024-04-01T00:00:00Z","msg":"old"}`+"\n"+`{"ts":"2024-05-30T00:00:00Z","msg":"new"}`+"\n", 24*time.Hour)
	policy := filepath.Join(dir, "rules.yaml")
	os.WriteFile(policy, []byte(fmt.Sprintf(`version: 1
rules:
  - id: ip
    detector: ipv4
    severity: low
locations:
  - name: web
    paths: [%[1]s/web]
    retention: {max_age: 30d}
  - name: app
    paths: [%[1]s/app]
    retention: {max_age: 30d, from: record}
enforcement:
  audit_log: %[1]s/audit.jsonl
  breaker: {max_share: 1}
`, dir)), 0o644)
	return policy
}

func TestPurgeCommand(t *testing.T) {
	dir := t.TempDir()
	policy := purgeTree(t, dir)
	t.Setenv("PIISCAN_NOW", "2024-06-01T00:00:00Z")
	code, out, errs := runCLI(t, "", "--config", policy, "purge")
	if code != exitOK {
		t.Fatalf("dry run: exit %d %s", code, errs)
	}
	for _, want := range []string{"DRY RUN", "delete", "access.log.9", "drop-records", "1 of 2 dropped", "app.jsonl"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "web", "access.log.9")); err != nil {
		t.Fatal("the dry run deleted a file")
	}
	code, out, errs = runCLI(t, "", "--config", policy, "purge", "--enforce")
	if code != exitOK || !strings.Contains(out, "ENFORCED") {
		t.Fatalf("enforce: exit %d\n%s\n%s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "web", "access.log.9")); !os.IsNotExist(err) {
		t.Error("expired file not deleted")
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "app", "app.jsonl")); string(got) != `{"ts":"2024-05-30T00:00:00Z","msg":"new"}`+"\n" {
		t.Errorf("app.jsonl = %q", got)
	}
	code, out, _ = runCLI(t, "", "--config", policy, "audit", "verify")
	if code != exitOK || !strings.Contains(out, "4 entries, chain intact") {
		t.Errorf("verify: exit %d %q", code, out)
	}
	// Edit an entry: verify names the line after it.
	log := filepath.Join(dir, "audit.jsonl")
	data, _ := os.ReadFile(log)
	os.WriteFile(log, bytes.Replace(data, []byte(`"action":"delete"`), []byte(`"action":"keep"`), 1), 0o600)
	code, _, errs = runCLI(t, "", "--config", policy, "audit", "verify")
	if code != exitFindings || !strings.Contains(errs, "chain broken at line 2") {
		t.Errorf("tampered: exit %d %q", code, errs)
	}
	// Usage errors.
	if code, _, errs := runCLI(t, "", "--config", policy, "purge", "--now", "yesterday"); code != exitUsage || !strings.Contains(errs, "--now") {
		t.Errorf("bad --now: %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "", "--config", policy, "purge", "--location", "nope"); code != exitUsage || !strings.Contains(errs, `no location named "nope"`) {
		t.Errorf("bad --location: %d %s", code, errs)
	}
}

func TestPurgeBreakerExitCode(t *testing.T) {
	dir := t.TempDir()
	policy := purgeTree(t, dir)
	data, _ := os.ReadFile(policy)
	os.WriteFile(policy, bytes.Replace(data, []byte("max_share: 1"), []byte("max_share: 0.4"), 1), 0o644)
	t.Setenv("PIISCAN_NOW", "2024-06-01T00:00:00Z")
	code, _, errs := runCLI(t, "", "--config", policy, "purge", "--enforce")
	if code != exitBreaker || !strings.Contains(errs, "circuit breaker tripped") {
		t.Errorf("exit %d %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "web", "access.log.9")); err != nil {
		t.Error("the breaker let a file be deleted")
	}
}

// TestPurgeSurvivesSIGKILL kills a real `piiscan purge --enforce` at many
// random moments while it rewrites logs, and checks after every kill that
// each log holds exactly its old or exactly its new content.
func TestPurgeSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it many times")
	}
	bin := filepath.Join(t.TempDir(), "piiscan")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	var oldRec, newRec bytes.Buffer
	for i := range 4000 {
		fmt.Fprintf(&oldRec, `{"ts":"2024-01-01T00:00:00Z","n":%d,"pad":"%s"}`+"\n", i, strings.Repeat("o", 100))
		fmt.Fprintf(&newRec, `{"ts":"2024-05-31T00:00:00Z","n":%d,"pad":"%s"}`+"\n", i, strings.Repeat("n", 100))
	}
	// Interleave old and new records: the purged file keeps the new ones.
	var oldContent, newContent bytes.Buffer
	ol, nl := bytes.SplitAfter(oldRec.Bytes(), []byte("\n")), bytes.SplitAfter(newRec.Bytes(), []byte("\n"))
	for i := range 4000 {
		oldContent.Write(ol[i])
		oldContent.Write(nl[i])
		newContent.Write(nl[i])
	}
	const files = 24
	name := func(i int) string {
		if i%2 == 0 {
			return filepath.Join(logs, fmt.Sprintf("app-%02d.log", i))
		}
		return filepath.Join(logs, fmt.Sprintf("app-%02d.log.gz", i))
	}
	gzOld := gzipBytes(oldContent.Bytes())
	reset := func() {
		os.RemoveAll(logs)
		os.MkdirAll(logs, 0o755)
		for i := range files {
			data := oldContent.Bytes()
			if i%2 == 1 {
				data = gzOld
			}
			os.WriteFile(name(i), data, 0o640)
			mt := time.Date(2024, 5, 31, 0, 0, 0, 0, time.UTC)
			os.Chtimes(name(i), mt, mt)
		}
	}
	policy := filepath.Join(dir, "rules.yaml")
	os.WriteFile(policy, []byte(fmt.Sprintf(`version: 1
rules:
  - id: m
    detector: email
    severity: low
locations:
  - name: app
    paths: [%s]
    retention: {max_age: 30d, from: record}
enforcement:
  audit_log: %s
`, logs, filepath.Join(dir, "audit.jsonl"))), 0o644)

	check := func(round int) (rewritten int) {
		for i := range files {
			data, err := os.ReadFile(name(i))
			if err != nil {
				t.Fatalf("round %d: %s: %v", round, name(i), err)
			}
			if i%2 == 1 {
				r, err := gzip.NewReader(bytes.NewReader(data))
				if err != nil {
					t.Fatalf("round %d: %s is not a whole gzip file: %v", round, name(i), err)
				}
				var b bytes.Buffer
				if _, err := b.ReadFrom(r); err != nil {
					t.Fatalf("round %d: %s is not a whole gzip file: %v", round, name(i), err)
				}
				data = b.Bytes()
			}
			switch {
			case bytes.Equal(data, oldContent.Bytes()):
			case bytes.Equal(data, newContent.Bytes()):
				rewritten++
			default:
				t.Fatalf("round %d: %s is neither wholly old nor wholly new (%d bytes)", round, name(i), len(data))
			}
			if fi, _ := os.Stat(name(i)); fi.Mode().Perm() != 0o640 {
				t.Fatalf("round %d: %s mode %v", round, name(i), fi.Mode().Perm())
			}
		}
		return rewritten
	}

	// Time a whole run, to kill at random moments within one.
	reset()
	start := time.Now()
	full := exec.Command(bin, "--config", policy, "purge", "--enforce")
	full.Env = append(os.Environ(), "PIISCAN_NOW=2024-06-01T00:00:00Z", "PIISCAN_FINGERPRINT_KEY=k")
	if out, err := full.CombinedOutput(); err != nil {
		t.Fatalf("full run: %v\n%s", err, out)
	}
	span := time.Since(start)

	r := rand.New(rand.NewPCG(11, 12))
	rounds := 40
	killedMidway := 0
	for round := range rounds {
		reset()
		cmd := exec.Command(bin, "--config", policy, "purge", "--enforce")
		cmd.Env = append(os.Environ(), "PIISCAN_NOW=2024-06-01T00:00:00Z", "PIISCAN_FINGERPRINT_KEY=k")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(r.Int64N(int64(span))))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if n := check(round); n > 0 && n < files {
			killedMidway++
		}
		// The next run finishes the job and cleans up what the killed one left.
		cmd = exec.Command(bin, "--config", policy, "purge", "--enforce")
		cmd.Env = append(os.Environ(), "PIISCAN_NOW=2024-06-01T00:00:00Z", "PIISCAN_FINGERPRINT_KEY=k")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("round %d: finishing run: %v\n%s", round, err, out)
		}
		if n := check(round); n != files {
			t.Fatalf("round %d: %d of %d files rewritten after a full run", round, n, files)
		}
		if entries, _ := os.ReadDir(logs); len(entries) != files {
			t.Fatalf("round %d: %d entries in the log directory, want %d (temporary files left?)", round, len(entries), files)
		}
	}
	if killedMidway == 0 {
		t.Errorf("no kill landed in the middle of a run in %d rounds: the test did not test anything", rounds)
	}
	t.Logf("a full run takes %v; %d of %d kills landed with some files rewritten and others not", span, killedMidway, rounds)
}

func gzipBytes(p []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(p)
	w.Close()
	return b.Bytes()
}

func newGzipReader(data []byte) (*gzip.Reader, error) { return gzip.NewReader(bytes.NewReader(data)) }
