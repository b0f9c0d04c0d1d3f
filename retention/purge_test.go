package retention

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/retention/audit"
)

var now = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) time.Time { return now.Add(-d) }

const day = 24 * time.Hour

// loadPolicy parses a policy whose locations live under dir ($DIR).
func loadPolicy(t *testing.T, dir, yaml string) *config.Config {
	t.Helper()
	c, err := config.Parse("test.yaml", []byte("version: 1\nrules:\n  - id: m\n    detector: email\n    severity: low\n"+
		strings.ReplaceAll(yaml, "$DIR", dir)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// hashTree returns path -> content hash and mode of every file under dir.
func hashTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := os.ReadFile(p)
		fi, _ := os.Lstat(p)
		out[p] = fmt.Sprintf("%x %v %v", sha256.Sum256(data), fi.Mode(), fi.ModTime().UnixNano())
		return nil
	})
	return out
}

func keys(m map[string]string) []string {
	var k []string
	for p := range m {
		k = append(k, p)
	}
	slices.Sort(k)
	return k
}

func run(t *testing.T, c *config.Config, enforce bool, opts PlanOptions) (*Plan, string, error) {
	t.Helper()
	if opts.Now.IsZero() {
		opts.Now = now
	}
	p, err := PlanPurge(context.Background(), c, opts)
	if err != nil {
		t.Fatal(err)
	}
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	x := &Executor{Config: c, Enforce: enforce, Audit: audit.Open(auditPath, []byte("k"))}
	defer x.Close()
	err = x.Apply(context.Background(), p)
	return p, auditPath, err
}

func actions(p *Plan) map[string]string {
	m := map[string]string{}
	for _, it := range p.Items {
		m[filepath.Base(it.Path)] = it.Action
	}
	return m
}

func TestPurgeByMtime(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string, age time.Duration) {
		mkfile(t, filepath.Join(dir, "logs", name), "mail a@example.com\n", 0o640, ago(age))
	}
	mk("app.log", time.Hour)
	mk("app.log.1", 10*day)
	mk("app.log.2.gz", 40*day)
	mk("app.log.3.gz", 31*day)
	mk("keep/old.log", 90*day) // under a hold
	mk("other.txt", 90*day)    // not matched by the glob
	os.Symlink(filepath.Join(dir, "logs", "app.log.1"), filepath.Join(dir, "logs", "link.log"))
	c := loadPolicy(t, dir, `locations:
  - name: logs
    paths: ["$DIR/logs/**/*.log*"]
    retention: {max_age: 30d}
holds:
  - paths: ["$DIR/logs/keep/**"]
    reason: case 42
enforcement:
  breaker: {max_share: 1}
`)
	before := hashTree(t, dir)
	p, auditPath, err := run(t, c, false, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"app.log": Keep, "app.log.1": Keep, "app.log.2.gz": Delete, "app.log.3.gz": Delete, "old.log": Keep}
	if got := actions(p); !mapsEqual(got, want) {
		t.Errorf("plan %v, want %v", got, want)
	}
	for _, it := range p.Items {
		if filepath.Base(it.Path) == "old.log" && it.Held != "case 42" {
			t.Errorf("hold not reported: %+v", it)
		}
	}
	if after := hashTree(t, dir); !mapsEqual(before, after) {
		t.Fatal("the dry run changed files")
	}
	if data, _ := os.ReadFile(auditPath); len(data) != 0 {
		t.Errorf("the dry run wrote audit entries: %s", data)
	}

	_, auditPath, err = run(t, c, true, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	after := hashTree(t, dir)
	gone := []string{}
	for _, k := range keys(before) {
		if _, ok := after[k]; !ok {
			gone = append(gone, filepath.Base(k))
		} else if after[k] != before[k] {
			t.Errorf("%s changed", k)
		}
	}
	if !slices.Equal(gone, []string{"app.log.2.gz", "app.log.3.gz"}) {
		t.Errorf("deleted %v", gone)
	}
	// An intent and a result entry per action.
	res, err := audit.Verify(auditPath, []byte("k"))
	if err != nil || res.Entries != 4 || len(res.Unresolved) != 0 {
		t.Errorf("audit %+v %v", res, err)
	}
	data, _ := os.ReadFile(auditPath)
	if bytes.Contains(data, []byte("a@example.com")) {
		t.Error("the audit log holds a raw value")
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func gz(t *testing.T, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func gunzip(t *testing.T, data []byte) string {
	r, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.ReadFrom(r)
	return b.String()
}

func TestPurgeRecords(t *testing.T) {
	dir := t.TempDir()
	line := func(d time.Duration, msg string) string {
		return fmt.Sprintf(`{"ts":"%s","msg":"%s"}`+"\n", ago(d).Format(time.RFC3339Nano), msg)
	}
	old := line(45*day, "old a") + line(31*day, "old b")
	fresh := line(29*day, "fresh c") + "\tcontinuation of c\n" + line(1*day, "fresh d")
	plain := filepath.Join(dir, "app", "app.log.1")
	mkfile(t, plain, old+fresh, 0o640, ago(2*day))
	zipped := filepath.Join(dir, "app", "app.log.2.gz")
	mkfile(t, zipped, string(gz(t, old+fresh)), 0o600, ago(3*day))
	allOld := filepath.Join(dir, "app", "app.log.3")
	mkfile(t, allOld, old, 0o644, ago(20*day))
	allFresh := filepath.Join(dir, "app", "app.log.4")
	mkfile(t, allFresh, fresh, 0o644, ago(2*day))
	live := filepath.Join(dir, "app", "app.log")
	mkfile(t, live, old+fresh, 0o644, ago(time.Minute))
	c := loadPolicy(t, dir, `locations:
  - name: app
    paths: [$DIR/app]
    retention: {max_age: 30d, from: record}
enforcement:
  breaker: {max_share: 1}
`)
	before := hashTree(t, dir)
	p, _, err := run(t, c, false, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after := hashTree(t, dir); !mapsEqual(before, after) {
		t.Fatal("the dry run changed files")
	}
	for _, it := range p.Items {
		switch filepath.Base(it.Path) {
		case "app.log.1", "app.log.2.gz":
			if it.Action != DropRecords || it.Stats.Dropped != 2 || it.Stats.Records != 4 {
				t.Errorf("%s: %s %+v", it.Path, it.Action, it.Stats)
			}
		case "app.log.3":
			if it.Action != Delete {
				t.Errorf("all-expired file: %s", it.Action)
			}
		case "app.log":
			if it.Action != Keep || !strings.Contains(it.Reason, "still being written") {
				t.Errorf("live file: %s %s", it.Action, it.Reason)
			}
		}
	}

	p, auditPath, err := run(t, c, true, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range p.Items {
		if it.Err != nil {
			t.Errorf("%s: %v", it.Path, it.Err)
		}
	}
	if got, _ := os.ReadFile(plain); string(got) != fresh {
		t.Errorf("plain log:\n%s\nwant:\n%s", got, fresh)
	}
	if fi, _ := os.Stat(plain); fi.Mode().Perm() != 0o640 || !fi.ModTime().Equal(ago(2*day)) {
		t.Errorf("plain log mode %v mtime %v", fi.Mode().Perm(), fi.ModTime())
	}
	got, _ := os.ReadFile(zipped)
	if s := gunzip(t, got); s != fresh {
		t.Errorf("gzip log: %q", s)
	}
	if _, err := os.Stat(allOld); !os.IsNotExist(err) {
		t.Errorf("all-expired file still there")
	}
	for _, p := range []string{allFresh, live} {
		if before[p] != hashTree(t, dir)[p] {
			t.Errorf("%s changed", p)
		}
	}
	res, err := audit.Verify(auditPath, []byte("k"))
	if err != nil || res.Entries != 6 || len(res.Unresolved) != 0 {
		t.Errorf("audit %+v %v", res, err)
	}
	// A second run has nothing left to do.
	p, _, _ = run(t, c, true, PlanOptions{})
	for _, it := range p.Items {
		if it.Done {
			t.Errorf("second run acted on %s (%s)", it.Path, it.Action)
		}
	}
}

func TestPurgeOverlapAndFileLocation(t *testing.T) {
	dir := t.TempDir()
	line := func(d time.Duration) string { return fmt.Sprintf(`{"ts":"%s"}`+"\n", ago(d).Format(time.RFC3339)) }
	json := filepath.Join(dir, "logs", "json.log")
	mkfile(t, json, line(40*day)+line(1*day), 0o644, ago(2*day))
	mkfile(t, filepath.Join(dir, "logs", "old.log"), "x\n", 0o644, ago(40*day))
	// The file location comes first, so json.log is purged by record; the
	// directory location does not see it again.
	c := loadPolicy(t, dir, `locations:
  - name: json
    paths: [$DIR/logs/json.log]
    retention: {max_age: 30d, from: record}
  - name: logs
    paths: [$DIR/logs]
    retention: {max_age: 30d}
enforcement:
  breaker: {max_share: 1}
`)
	p, _, err := run(t, c, true, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 2 {
		t.Fatalf("%d items: a file was planned twice", len(p.Items))
	}
	for _, it := range p.Items {
		if it.Err != nil {
			t.Errorf("%s: %v", it.Path, it.Err)
		}
	}
	if got, _ := os.ReadFile(json); string(got) != line(1*day) {
		t.Errorf("json.log = %q", got)
	}
}

func TestPurgeBreaker(t *testing.T) {
	dir := t.TempDir()
	for i := range 10 {
		mkfile(t, filepath.Join(dir, "logs", fmt.Sprintf("%d.log", i)), "x\n", 0o644, ago(time.Duration(i*10)*day))
	}
	c := loadPolicy(t, dir, "locations:\n  - name: logs\n    paths: [$DIR/logs]\n    retention: {max_age: 5d}\n")
	before := hashTree(t, dir)
	p, _, err := run(t, c, true, PlanOptions{})
	if !errors.Is(err, ErrBreaker) || len(p.Tripped) != 1 || !strings.Contains(p.Tripped[0], "would remove 9 of its 10 files") {
		t.Fatalf("err %v tripped %v", err, p.Tripped)
	}
	if after := hashTree(t, dir); !mapsEqual(before, after) {
		t.Fatal("a tripped breaker deleted files")
	}
	// A wrong clock (ten years ahead) trips it too.
	c = loadPolicy(t, dir, "locations:\n  - name: logs\n    paths: [$DIR/logs]\n    retention: {max_age: 5d}\nenforcement:\n  breaker: {max_files: 3, max_share: 1}\n")
	_, _, err = run(t, c, true, PlanOptions{Now: now.AddDate(10, 0, 0)})
	if !errors.Is(err, ErrBreaker) {
		t.Errorf("wrong clock: %v", err)
	}
	// Disabled for a run, it lets the deletes through.
	_, _, err = run(t, c, true, PlanOptions{NoBreaker: true})
	if err != nil || len(hashTree(t, dir)) != 1 {
		t.Errorf("NoBreaker: %v, %d files left", err, len(hashTree(t, dir)))
	}
}
