package retention

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/piiscan/piiscan/internal/flock"
	"github.com/piiscan/piiscan/internal/openat"
	"github.com/piiscan/piiscan/retention/audit"
)

// isoLines writes n ISO-dated log lines, one a day going back from now,
// so that with a 30-day retention the older half of 60 has expired.
func isoLines(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%s INFO request %d served\n", ago(time.Duration(n-i)*day).Format("2006-01-02 15:04:05,000"), i)
	}
	return b.String()
}

func mustRun(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// Archives, and anything else that is not text, get whole-file actions
// only: dropping "records" from a gzipped tar filters the tar's bytes as
// text and destroys its members.
func TestPurgeRecordsNeverRewritesArchives(t *testing.T) {
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("needs tar")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	mkfile(t, filepath.Join(src, "logs", "app.log"), isoLines(60), 0o644, time.Time{})
	r := filepath.Join(dir, "r")
	os.MkdirAll(r, 0o755)
	mustRun(t, "tar", "-C", src, "-czf", filepath.Join(r, "logs.tar.gz"), "logs")
	mustRun(t, "tar", "-C", src, "-cf", filepath.Join(r, "logs.tar"), "logs")
	// A tar compressed with zstd, a zip, a zip inside gzip.
	tarData, _ := os.ReadFile(filepath.Join(r, "logs.tar"))
	var zs bytes.Buffer
	zw, _ := zstd.NewWriter(&zs)
	zw.Write(tarData)
	zw.Close()
	os.WriteFile(filepath.Join(r, "logs.tar.zst"), zs.Bytes(), 0o644)
	var zb bytes.Buffer
	za := zip.NewWriter(&zb)
	f, _ := za.Create("logs/app.log")
	io.WriteString(f, isoLines(60))
	za.Close()
	os.WriteFile(filepath.Join(r, "logs.zip"), zb.Bytes(), 0o644)
	os.WriteFile(filepath.Join(r, "zip.gz"), gz(t, zb.String()), 0o644)
	// ar (as real ar writes it when there is one), a newc cpio, a UTF-16
	// log and a log whose head is a hole of NUL bytes (a copytruncate
	// with a writer that does not append).
	names := []string{"logs.tar.gz", "logs.tar", "logs.tar.zst", "logs.zip", "zip.gz", "logs.cpio", "utf16.log", "hole.log"}
	if _, err := exec.LookPath("ar"); err == nil {
		mustRun(t, "ar", "rc", filepath.Join(r, "lib.a"), filepath.Join(src, "logs", "app.log"))
		names = append(names, "lib.a")
	}
	cpio := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", 1, 0o100644, 0, 0, 1, 0, 60*40, 0, 0, 0, 0, 8, 0) + "app.log\x00\x00\x00" + isoLines(60)
	os.WriteFile(filepath.Join(r, "logs.cpio"), []byte(cpio), 0o644)
	u16 := []byte{0xff, 0xfe}
	for _, c := range isoLines(60) {
		u16 = append(u16, byte(c), 0)
	}
	os.WriteFile(filepath.Join(r, "utf16.log"), u16, 0o644)
	os.WriteFile(filepath.Join(r, "hole.log"), append(make([]byte, 4096), isoLines(60)...), 0o644)
	for _, name := range names {
		os.Chtimes(filepath.Join(r, name), ago(2*day), ago(2*day))
	}
	c := loadPolicy(t, dir, `locations:
  - name: r
    paths: [$DIR/r]
    retention: {max_age: 30d, from: record}
enforcement:
  breaker: {max_share: 1}
`)
	before := hashTree(t, r)
	p, _, err := run(t, c, true, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range p.Items {
		if it.Action != Keep || it.Err != nil || !strings.Contains(it.Reason, "records inside are never rewritten") || !strings.Contains(it.Reason, "whole file") {
			t.Errorf("%s: %s %q %v", filepath.Base(it.Path), it.Action, it.Reason, it.Err)
		}
	}
	if after := hashTree(t, r); !mapsEqual(before, after) {
		t.Error("an archive was rewritten")
	}
	mustRun(t, "tar", "-tzf", filepath.Join(r, "logs.tar.gz"))

	// Even when asked directly, the executor refuses to filter an archive.
	it := &Item{Location: c.Locations[0], Path: filepath.Join(r, "logs.tar.gz"), Snap: snap(t, filepath.Join(r, "logs.tar.gz")),
		Action: DropRecords, Cutoff: ago(30 * day)}
	x := &Executor{Config: c, Enforce: true}
	defer x.Close()
	x.Apply(context.Background(), &Plan{Now: now, Items: []*Item{it}, NoBreaker: true})
	if !errors.Is(it.Err, errNotText) || !strings.Contains(it.Err.Error(), "tar archive inside gzip") {
		t.Errorf("direct drop-records on a tar.gz: %v", it.Err)
	}
	mustRun(t, "tar", "-tzf", filepath.Join(r, "logs.tar.gz"))

	// Once its mtime passes the retention, the archive goes whole.
	os.Chtimes(filepath.Join(r, "logs.tar.gz"), ago(40*day), ago(40*day))
	p, _, _ = run(t, c, false, PlanOptions{})
	if got := actions(p)["logs.tar.gz"]; got != Delete {
		t.Errorf("expired archive: %s", got)
	}
}

// The breaker counts what record-level purges drop, not only whole files:
// a misread time must not empty every file one record at a time.
func TestBreakerCountsRecordsAndBytes(t *testing.T) {
	dir := t.TempDir()
	for i := range 10 {
		// Three expired records and one fresh one: no file is emptied,
		// but 75% of the records would go.
		content := fmt.Sprintf(`{"ts":"%s"}`+"\n"+`{"ts":"%s"}`+"\n"+`{"ts":"%s"}`+"\n"+`{"ts":"%s"}`+"\n",
			ago(90*day).Format(time.RFC3339), ago(80*day).Format(time.RFC3339), ago(70*day).Format(time.RFC3339), ago(day).Format(time.RFC3339))
		mkfile(t, filepath.Join(dir, "app", fmt.Sprintf("%d.log", i)), content, 0o644, ago(2*day))
	}
	c := loadPolicy(t, dir, "locations:\n  - name: app\n    paths: [$DIR/app]\n    retention: {max_age: 30d, from: record}\n")
	before := hashTree(t, dir)
	p, auditPath, err := run(t, c, true, PlanOptions{})
	if !errors.Is(err, ErrBreaker) || len(p.Tripped) != 1 || !strings.Contains(p.Tripped[0], "of its") {
		t.Fatalf("err %v tripped %q", err, p.Tripped)
	}
	if after := hashTree(t, dir); !mapsEqual(before, after) {
		t.Fatal("a tripped breaker rewrote files")
	}
	if data, _ := os.ReadFile(auditPath); len(data) != 0 {
		t.Errorf("audit entries for a tripped run: %s", data)
	}
	// The dry run shows it too.
	p, _, err = run(t, c, false, PlanOptions{})
	if err != nil || len(p.Tripped) != 1 {
		t.Errorf("dry run: %v %q", err, p.Tripped)
	}
	// Lifted for a run, the records go.
	p, _, err = run(t, c, true, PlanOptions{NoBreaker: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range p.Items {
		if !it.Done || it.Stats.Dropped != 3 {
			t.Errorf("%s: done %v %+v %v", it.Path, it.Done, it.Stats, it.Err)
		}
	}
}

// A process that holds a log open for writing keeps it from being replaced
// or deleted, however quiet it has been: its next lines would go to the
// unlinked file.
func TestOpenForWritingIsNeverReplaced(t *testing.T) {
	if newWriters() == nil {
		t.Skip("no /proc here")
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "app", "access.log")
	mkfile(t, log, isoLines(60), 0o644, time.Time{})
	expired := filepath.Join(dir, "app", "old.log")
	mkfile(t, expired, isoLines(2), 0o644, time.Time{})
	// A quiet writer: it opens both files for appending, waits, and
	// writes five lines to each when told.
	line := time.Now().UTC().Format("2006-01-02 15:04:05,000") + " INFO after the purge"
	w := exec.Command("sh", "-c", `exec 3>>"$1" 4>>"$2"; read go; for i in 1 2 3 4 5; do echo "$3 $i" >&3; echo "$3 $i" >&4; done`, "sh", log, expired, line)
	stdin, _ := w.StdinPipe()
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Process.Kill()
	waitOpen(t, log)
	// Quiet for 15 minutes, past live_within; old.log expired by mtime.
	os.Chtimes(log, time.Now().Add(-15*time.Minute), time.Now().Add(-15*time.Minute))
	os.Chtimes(expired, time.Now().Add(-60*day), time.Now().Add(-60*day))
	c := loadPolicy(t, dir, `locations:
  - name: recs
    paths: [$DIR/app/access.log]
    retention: {max_age: 30d, from: record}
  - name: files
    paths: [$DIR/app/old.log]
    retention: {max_age: 30d}
enforcement:
  breaker: {max_share: 1}
`)
	p, _, err := run(t, c, true, PlanOptions{Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range p.Items {
		if it.Action != Keep || !strings.Contains(it.Reason, "open for writing by pid") || it.Done {
			t.Errorf("%s: %s %q", filepath.Base(it.Path), it.Action, it.Reason)
		}
	}
	io.WriteString(stdin, "go\n")
	stdin.Close()
	w.Wait()
	for _, p := range []string{log, expired} {
		data, _ := os.ReadFile(p)
		if n := strings.Count(string(data), "after the purge"); n != 5 {
			t.Errorf("%s: %d of the writer's 5 lines", filepath.Base(p), n)
		}
	}
}

// A writer that opens the file after the plan was made is caught at the
// last moment, before the rename.
func TestWriterOpeningAfterPlanStopsRewrite(t *testing.T) {
	if newWriters() == nil {
		t.Skip("no /proc here")
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "app", "app.log")
	mkfile(t, log, isoLines(60), 0o644, time.Now().Add(-time.Hour))
	c := loadPolicy(t, dir, "locations:\n  - name: app\n    paths: [$DIR/app]\n    retention: {max_age: 30d, from: record}\nenforcement:\n  breaker: {max_share: 1}\n")
	p, err := PlanPurge(context.Background(), c, PlanOptions{Now: time.Now()})
	if err != nil || len(p.Items) != 1 || p.Items[0].Action != DropRecords {
		t.Fatalf("plan: %v %+v", err, p.Items)
	}
	w := exec.Command("sh", "-c", `exec 3>>"$1"; sleep 30`, "sh", log)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { w.Process.Kill(); w.Wait() }()
	waitOpen(t, log)
	before := hashTree(t, dir)
	x := &Executor{Config: c, Enforce: true}
	defer x.Close()
	if err := x.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if it := p.Items[0]; !errors.Is(it.Err, ErrLive) || it.Done {
		t.Errorf("rewrite under a writer: done %v, %v", it.Done, it.Err)
	}
	if after := hashTree(t, dir); !mapsEqual(before, after) {
		t.Error("the file was replaced under its writer")
	}
}

// waitOpen waits until some process holds path open for writing.
func waitOpen(t *testing.T, path string) {
	t.Helper()
	for range 200 {
		fi, err := os.Stat(path)
		if err == nil && (&writers{}).holding(openat.IDOf(fi)) != "" {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the writer never opened the file")
}

// Holds keep what users expect: files inside held folders, and files
// reached through a symbolic link to a held path; a hold that matches
// nothing is a warning.
func TestHoldsCoverFoldersAndRealPaths(t *testing.T) {
	dir := t.TempDir()
	mkfile(t, filepath.Join(dir, "backups", "2024-03", "db.sql.gz"), "x", 0o644, ago(400*day))
	mkfile(t, filepath.Join(dir, "backups", "2023-12", "db.sql.gz"), "x", 0o644, ago(400*day))
	mkfile(t, filepath.Join(dir, "real", "app.log.9"), "x", 0o644, ago(400*day))
	mkfile(t, filepath.Join(dir, "real", "app.log.8"), "x", 0o644, ago(400*day))
	mkfile(t, filepath.Join(dir, "backups", "2023-12", "db.keep"), "x", 0o644, ago(400*day))
	os.Symlink(filepath.Join(dir, "real"), filepath.Join(dir, "link"))
	c := loadPolicy(t, dir, `locations:
  - name: backups
    paths: [$DIR/backups]
    retention: {max_age: 1y}
  - name: logs
    paths: [$DIR/link/]
    retention: {max_age: 30d}
holds:
  - paths: ["$DIR/backups/2024-*"]
    reason: case 2024-17
  - paths: ["$DIR/real/app.log.9"]
    reason: incident 7
  - paths: ["$DIR/nowhere/**"]
    reason: typo
  - paths: ["*.keep"]
    reason: by name
enforcement:
  breaker: {max_share: 1}
`)
	p, _, err := run(t, c, true, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	held := map[string]string{}
	for _, it := range p.Items {
		rel, _ := filepath.Rel(dir, it.Path)
		held[rel] = it.Held
	}
	want := map[string]string{"backups/2024-03/db.sql.gz": "case 2024-17", "backups/2023-12/db.sql.gz": "",
		"backups/2023-12/db.keep": "by name", "link/app.log.9": "incident 7", "link/app.log.8": ""}
	if !mapsEqual(held, want) {
		t.Errorf("held %v, want %v", held, want)
	}
	for rel, reason := range want {
		_, err := os.Stat(filepath.Join(dir, rel))
		if (reason != "") != (err == nil) {
			t.Errorf("%s: held %q, stat %v", rel, reason, err)
		}
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], `"typo" matches no file`) {
		t.Errorf("warnings %q", p.Warnings)
	}
}

// piiscan's own files are never planned, even inside a location: the audit
// log, its head, the state, the key and the quarantine.
func TestOwnFilesAreNeverCandidates(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	for _, name := range []string{"audit.jsonl", "audit.jsonl.head", "state.db", "fp.key", "q/20240101T000000Z-x.log", TempPrefix + "0123456789ab-app.log", "app.log.9"} {
		mkfile(t, filepath.Join(logs, name), isoLines(2), 0o600, ago(400*day))
	}
	c := loadPolicy(t, dir, `locations:
  - name: logs
    paths: [$DIR/logs]
    retention: {max_age: 30d}
state: {path: $DIR/logs/state.db}
fingerprint: {key_file: $DIR/logs/fp.key}
enforcement:
  audit_log: $DIR/logs/audit.jsonl
  quarantine_dir: $DIR/logs/q
  breaker: {max_share: 1}
`)
	p, err := PlanPurge(context.Background(), c, PlanOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(p); !mapsEqual(got, map[string]string{"app.log.9": Delete}) {
		t.Errorf("planned %v", got)
	}
}

// The audit log records the size of the file on disk after a rewrite: a
// .gz's compressed size, not its decompressed one.
func TestAuditBytesAfterIsSizeOnDisk(t *testing.T) {
	dir := t.TempDir()
	var content strings.Builder
	for i := range 200 {
		fmt.Fprintf(&content, `{"ts":"%s","msg":"request %d served with status 200"}`+"\n", ago(time.Duration(200-i)*6*time.Hour).Format(time.RFC3339), i)
	}
	path := filepath.Join(dir, "app", "app.log.2.gz")
	mkfile(t, path, string(gz(t, content.String())), 0o644, ago(2*day))
	c := loadPolicy(t, dir, "locations:\n  - name: app\n    paths: [$DIR/app]\n    retention: {max_age: 30d, from: record}\nenforcement:\n  breaker: {max_share: 1}\n")
	_, auditPath, err := run(t, c, true, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	data, _ := os.ReadFile(auditPath)
	var e audit.Entry
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		json.Unmarshal(line, &e)
	}
	if e.Action != "rewrite" || e.BytesAfter != fi.Size() {
		t.Errorf("audit %s bytes_after %d, file is %d bytes", e.Action, e.BytesAfter, fi.Size())
	}
}

// The requester's report never names a path, even in an error.
func TestErasureReportNamesNoPath(t *testing.T) {
	dir := t.TempDir()
	c := loadPolicy(t, dir, "locations:\n  - name: logs\n    paths: [$DIR/logs]\n")
	path := filepath.Join(dir, "logs", "alice-2024.log")
	p := &Plan{Now: now, Items: []*Item{
		{Location: c.Locations[0], Path: path, Action: Erase, Found: 2, Err: fmt.Errorf("%s: %w", path, ErrChanged)},
		{Location: c.Locations[0], Path: path + ".1", Action: Erase, Found: 1, Err: &os.PathError{Op: "open", Path: path + ".1", Err: os.ErrPermission}},
		{Location: c.Locations[0], Path: path + ".2", Action: Erase, Found: 1, Err: errors.New(path + ".2: disk on fire")},
	}}
	raw, _ := json.Marshal(p.ErasureReport(nil, true))
	if bytes.Contains(raw, []byte(dir)) || bytes.Contains(raw, []byte("alice")) {
		t.Errorf("report names a path: %s", raw)
	}
	for _, want := range []string{"changed while it was being erased", "permission denied", "could not be rewritten"} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("report lacks %q: %s", want, raw)
		}
	}
}

// Monolog lines after one old log4j line are records of their own, not
// its continuation (they once went with it, and the file was emptied), and
// files whose records cannot be dated ("time":17 is a duration) are kept
// whole, not read as 1970.
func TestPurgeKeepsRecordsItCannotDate(t *testing.T) {
	dir := t.TempDir()
	old := ago(60*day).Format("2006-01-02 15:04:05") + ",000 INFO [main] started\n"
	var monolog strings.Builder
	for i := range 20 {
		fmt.Fprintf(&monolog, "[%s] production.INFO: order %d shipped {\"id\":%d} []\n", ago(2*day).Format("2006-01-02 15:04:05"), i, i)
	}
	var durations strings.Builder
	for i := range 10 {
		fmt.Fprintf(&durations, `{"time":17,"msg":"request %d took 17 ms"}`+"\n", i)
	}
	laravel := filepath.Join(dir, "app", "laravel.log")
	mkfile(t, laravel, old+monolog.String(), 0o644, ago(2*day))
	for i := range 10 {
		mkfile(t, filepath.Join(dir, "app", fmt.Sprintf("api-%d.jsonl", i)), durations.String(), 0o644, ago(2*day))
	}
	c := loadPolicy(t, dir, "locations:\n  - name: app\n    paths: [$DIR/app]\n    retention: {max_age: 30d, from: record}\n")
	before := hashTree(t, dir)
	p, _, err := run(t, c, true, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range p.Items {
		switch {
		case it.Path == laravel:
			if !it.Done || it.Stats.Dropped != 1 || it.Stats.Records != 21 {
				t.Errorf("laravel.log: %s %+v %v", it.Action, it.Stats, it.Err)
			}
		case it.Action != Keep || !strings.Contains(it.Reason, "undatable") || it.Done:
			t.Errorf("%s: %s %q", filepath.Base(it.Path), it.Action, it.Reason)
		}
	}
	if got, _ := os.ReadFile(laravel); string(got) != monolog.String() {
		t.Errorf("laravel.log:\n%s", got)
	}
	after := hashTree(t, dir)
	for path, h := range before {
		if path != laravel && after[path] != h {
			t.Errorf("%s changed", filepath.Base(path))
		}
	}
}

// With rewrite_live on, a writer that opens the log, appends a line and
// closes it again, as shell scripts and many loggers do, loses no line to
// a rewrite: what it appends to the old file in the moment before the
// rename is carried over to the new one. The retention is two seconds, so
// every round has records to drop; after each round every line younger
// than the round's cutoff must be there, once.
func TestRewriteLiveLosesNoAppendedLine(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app", "app.log")
	mkfile(t, log, "", 0o644, time.Time{})
	c := loadPolicy(t, dir, "locations:\n  - name: app\n    paths: [$DIR/app]\n    rewrite_live: true\n    retention: {max_age: 2s, from: record}\nenforcement:\n  breaker: {max_share: 1}\n")
	var mu sync.Mutex
	var written []time.Time // by seq-1: when the line was written
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := 1; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				continue
			}
			at := time.Now()
			fmt.Fprintf(f, "%s INFO seq %d\n", at.UTC().Format("2006-01-02 15:04:05,000"), n)
			f.Close()
			mu.Lock()
			written = append(written, at)
			mu.Unlock()
			time.Sleep(time.Duration(2+n%5) * time.Millisecond)
			if n%10 == 0 {
				time.Sleep(20 * time.Millisecond) // a quiet moment
			}
		}
	}()
	defer func() { close(stop); <-done }()
	time.Sleep(2500 * time.Millisecond) // lines old enough to expire
	rewrites := 0
	// Six seconds of rounds, or up to thirty on a loaded machine until
	// one has rewritten the file.
	deadline, last := time.Now().Add(6*time.Second), time.Now().Add(30*time.Second)
	for rewrites < 60 && (time.Now().Before(deadline) || rewrites == 0 && time.Now().Before(last)) {
		start := time.Now()
		p, err := PlanPurge(context.Background(), c, PlanOptions{Now: start})
		if err != nil {
			t.Fatal(err)
		}
		x := &Executor{Config: c, Enforce: true}
		x.Apply(context.Background(), p)
		x.Close()
		for _, it := range p.Items {
			if it.Done {
				rewrites++
			}
		}
		mu.Lock()
		times := append([]time.Time(nil), written...)
		mu.Unlock()
		data, _ := os.ReadFile(log)
		seen := map[string]int{}
		for _, line := range strings.Split(string(data), "\n") {
			if i := strings.Index(line, " seq "); i >= 0 {
				seen[line[i+5:]]++
			}
		}
		// Lines at the cutoff may go either way (millisecond times).
		cutoff := start.Add(-2*time.Second + 10*time.Millisecond)
		for i, at := range times {
			if at.After(cutoff) && seen[fmt.Sprint(i+1)] != 1 {
				t.Fatalf("after %d rewrites: line seq %d, written %v after the round began, is there %d times",
					rewrites, i+1, at.Sub(start), seen[fmt.Sprint(i+1)])
			}
		}
	}
	if rewrites == 0 {
		t.Fatal("no round rewrote the file: the test tested nothing")
	}
	mu.Lock()
	n := len(written) // the writer is still running
	mu.Unlock()
	t.Logf("%d lines written, %d rewrites", n, rewrites)
}

// A --now set past a hold's end does not end it while the real clock says
// it is still on, and a file with a second name is not deleted: the data
// would stay at the other name.
func TestHoldsByRealClockAndHardLinks(t *testing.T) {
	dir := t.TempDir()
	real := time.Now()
	held := filepath.Join(dir, "b", "case-17.sql")
	mkfile(t, held, "x", 0o644, real.AddDate(-2, 0, 0))
	linked := filepath.Join(dir, "b", "linked.sql")
	mkfile(t, linked, "x", 0o644, real.AddDate(-2, 0, 0))
	os.MkdirAll(filepath.Join(dir, "snap"), 0o755)
	if err := os.Link(linked, filepath.Join(dir, "snap", "linked.sql")); err != nil {
		t.Skip("no hard links here:", err)
	}
	mkfile(t, filepath.Join(dir, "b", "old.sql"), "x", 0o644, real.AddDate(-2, 0, 0))
	c := loadPolicy(t, dir, fmt.Sprintf(`locations:
  - name: b
    paths: [$DIR/b]
    retention: {max_age: 1y}
holds:
  - paths: [$DIR/b/case-17.sql]
    reason: case 17
    until: %s
enforcement:
  breaker: {max_share: 1}
`, real.AddDate(0, 0, 10).Format("2006-01-02")))
	p, _, err := run(t, c, true, PlanOptions{Now: real.AddDate(0, 0, 20)})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range p.Items {
		switch filepath.Base(it.Path) {
		case "case-17.sql":
			if it.Held != "case 17" {
				t.Errorf("held file: %s %q", it.Action, it.Reason)
			}
		case "linked.sql":
			if it.Action != Keep || !strings.Contains(it.Reason, "hard links") {
				t.Errorf("hard-linked file: %s %q", it.Action, it.Reason)
			}
		case "old.sql":
			if !it.Done {
				t.Errorf("old.sql: %s %q %v", it.Action, it.Reason, it.Err)
			}
		}
	}
	for _, p := range []string{held, linked} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
		}
	}
}

// Copies of the audit log that logrotate made, with any suffix, are
// piiscan's own too.
func TestRotatedAuditLogsAreOwnFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"audit.jsonl", "audit.jsonl.1", "audit.jsonl-20261001", "audit.jsonl-20260901.gz", "app.log.9"} {
		mkfile(t, filepath.Join(dir, "logs", name), "x\n", 0o600, ago(400*day))
	}
	c := loadPolicy(t, dir, "locations:\n  - name: logs\n    paths: [$DIR/logs]\n    retention: {max_age: 30d}\nenforcement:\n  audit_log: $DIR/logs/audit.jsonl\n")
	p, err := PlanPurge(context.Background(), c, PlanOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(p); !mapsEqual(got, map[string]string{"app.log.9": Delete}) {
		t.Errorf("planned %v", got)
	}
}

// An enforcing run removes the temporary copies a run killed while
// quarantining left behind (whole raw copies nothing else would remove),
// but not one that another run is still writing (it holds its lock).
func TestEnforcingRunCleansQuarantineTemporaries(t *testing.T) {
	dir := t.TempDir()
	q := filepath.Join(dir, "q")
	stale := filepath.Join(q, TempPrefix+"d528fefaf49c")
	mkfile(t, stale, "bob@example.com,4111 1111 1111 1111\n", 0o600, time.Now().Add(-time.Hour))
	fresh := filepath.Join(q, TempPrefix+"0123456789ab")
	mkfile(t, fresh, "partial\n", 0o600, time.Time{})
	// Another run is still writing this one, and holds its lock.
	held, _ := os.Open(fresh)
	defer held.Close()
	if !flock.TryLock(held) {
		t.Fatal("could not lock")
	}
	mkfile(t, filepath.Join(dir, "logs", "app.log.9"), "x\n", 0o644, ago(400*day))
	c := loadPolicy(t, dir, "locations:\n  - name: logs\n    paths: [$DIR/logs]\n    retention: {max_age: 30d}\nenforcement:\n  quarantine_dir: $DIR/q\n  breaker: {max_share: 1}\n")
	if _, _, err := run(t, c, true, PlanOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the stale copy is still there: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a copy being written was removed: %v", err)
	}
}
