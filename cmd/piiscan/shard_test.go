package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/internal/s3test"
)

// shardTree is a tree of files whose names make walk order and byte order
// differ ("app/" and "app.log", "a-b" and "a/b"), with findings in plain
// files, a gzip file and a tar.gz archive.
func shardTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for i := range 48 {
		dir := []string{"app", "app.d", "a-b", "a/b", "web-01/nginx", "db"}[i%6]
		name := []string{"app.log", "access.log", "error.log", "x-1.log"}[i%4]
		line := fmt.Sprintf("%d user%d@example.com from 192.0.2.%d\n", i, i, i%250+1)
		if i%5 == 0 {
			line += "card 4111 1111 1111 1111\n"
		}
		files[fmt.Sprintf("%s/%02d-%s", dir, i, name)] = []byte(strings.Repeat("nothing here\n", i%3) + line)
	}
	files["app.log"] = []byte("top@example.com\n")
	// "!" in real names: not archive members.
	for i := range 6 {
		files[fmt.Sprintf("x!%d.log", i)] = []byte(fmt.Sprintf("bang%d@example.com\n", i))
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("rotated@example.com\n"))
	zw.Close()
	files["app/app.log.1.gz"] = gz.Bytes()
	var tgz bytes.Buffer
	zw = gzip.NewWriter(&tgz)
	tw := tar.NewWriter(zw)
	for _, m := range []string{"z.csv", "a.csv"} {
		body := []byte("name,email\nx," + m + "@example.com\n")
		tw.WriteHeader(&tar.Header{Name: "dump/" + m, Mode: 0o644, Size: int64(len(body))})
		tw.Write(body)
	}
	tw.Close()
	zw.Close()
	files["backups/dump.tar.gz"] = tgz.Bytes()
	for name, body := range files {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

type shardEnd struct {
	End struct {
		Files       int64 `json:"files"`
		Findings    int64 `json:"findings"`
		OtherShards int64 `json:"other_shards"`
	} `json:"piiscan_shard_end"`
}

// A tree and a bucket scanned whole, as one shard and as four shards give
// the same findings in the same order; every item is read by exactly one
// of the four.
func TestShardedScanMatchesWhole(t *testing.T) {
	s := s3test.Start(t)
	s.Env(t)
	t.Setenv("PIISCAN_S3_PATH_STYLE", "true")
	s.Bucket(t, "logs")
	s.Bucket(t, "results")
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	files := shardTree(t, tree)
	for name, body := range files {
		s.Put(t, "logs", "hosts/"+name, body)
	}
	targets := []string{tree, "s3://logs/hosts/"}

	code, whole, errs := runCLI(t, "", append([]string{"scan", "--format", "jsonl"}, targets...)...)
	if code != exitFindings {
		t.Fatalf("whole scan: exit %d\n%s", code, errs)
	}
	if n := strings.Count(whole, "\n"); n < 2*len(files) {
		t.Fatalf("whole scan found only %d findings", n)
	}

	one := filepath.Join(dir, "one")
	if code, _, errs := runCLI(t, "", append([]string{"scan", "--format", "jsonl", "--shard", "0/1", "--shard-output", one}, targets...)...); code != exitFindings {
		t.Fatalf("one shard: exit %d\n%s", code, errs)
	}
	const four = "s3://results/run-4/"
	for i := range 4 {
		args := append([]string{"scan", "--format", "jsonl", "--shard", fmt.Sprintf("%d/4", i), "--shard-output", four}, targets...)
		if code, _, errs := runCLI(t, "", args...); code != exitFindings && code != exitOK {
			t.Fatalf("shard %d/4: exit %d\n%s", i, code, errs)
		}
	}

	code, mergedOne, errs := runCLI(t, "", "report", "merge", "--format", "jsonl", one)
	if code != exitFindings {
		t.Fatalf("merge of one: exit %d\n%s", code, errs)
	}
	code, mergedFour, errs := runCLI(t, "", "report", "merge", "--format", "jsonl", four)
	if code != exitFindings {
		t.Fatalf("merge of four: exit %d\n%s", code, errs)
	}
	if mergedOne != whole {
		t.Errorf("one shard merged differs from the whole scan:\n%s", firstDiff(whole, mergedOne))
	}
	if mergedFour != mergedOne {
		t.Errorf("four shards merged differ from one:\n%s", firstDiff(mergedOne, mergedFour))
	}

	// Every item was read by one shard: the shards' files add up, each
	// shard's findings are of its own items only, and no shard is idle.
	items := 0
	owner := map[string]int{}
	for i := range 4 {
		body := s.Get(t, "results", fmt.Sprintf("run-4/shard-%05d-of-00004.jsonl", i))
		lines := strings.Split(strings.TrimSpace(string(body)), "\n")
		var end shardEnd
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &end); err != nil {
			t.Fatal(err)
		}
		if end.End.Files == 0 {
			t.Errorf("shard %d read nothing", i)
		}
		items += int(end.End.Files)
		if want := int64(2*len(files)) - end.End.Files; end.End.OtherShards != want {
			t.Errorf("shard %d: %d items left to others, want %d", i, end.End.OtherShards, want)
		}
		for _, l := range lines[1 : len(lines)-1] {
			var f struct{ Path string }
			json.Unmarshal([]byte(l), &f)
			item := f.Path
			if strings.Contains(item, ".tar.gz!") {
				item, _, _ = strings.Cut(item, "!")
			}
			if o, ok := owner[item]; ok && o != i {
				t.Errorf("%s read by shards %d and %d", item, o, i)
			}
			owner[item] = i
		}
	}
	if items != 2*len(files) {
		t.Errorf("the shards read %d items, want %d", items, 2*len(files))
	}

	// Table and SARIF come with totals.
	if code, out, _ := runCLI(t, "", "report", "merge", "--format", "table", four); code != exitFindings || !strings.Contains(out, "card") {
		t.Errorf("table: exit %d\n%s", code, out)
	}
	code, doc, _ := runCLI(t, "", "report", "merge", "--format", "json", "-o", "s3://results/reports/run-4.json", four)
	if code != exitFindings || doc != "" {
		t.Errorf("json to a bucket: exit %d %q", code, doc)
	}
	var report struct {
		Findings []json.RawMessage `json:"findings"`
		Summary  struct {
			Findings int64 `json:"findings"`
			Files    int64 `json:"files"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(s.Get(t, "results", "reports/run-4.json"), &report); err != nil {
		t.Fatal(err)
	}
	if int(report.Summary.Findings) != strings.Count(whole, "\n") || len(report.Findings) != strings.Count(whole, "\n") || int(report.Summary.Files) != 2*len(files) {
		t.Errorf("json totals: %d findings listed, summary %+v", len(report.Findings), report.Summary)
	}
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < max(len(al), len(bl)); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, x, y)
		}
	}
	return "(same)"
}

// Targets named the way people type them (./b, a/) still merge in the
// order one scan reports.
func TestShardedScanOfRelativeTargets(t *testing.T) {
	dir := t.TempDir()
	shardTree(t, filepath.Join(dir, "b"))
	shardTree(t, filepath.Join(dir, "a"))
	os.WriteFile(filepath.Join(dir, "x.log"), []byte("solo@example.com\n"), 0o644)
	t.Chdir(dir)
	targets := []string{"./x.log", "./b", "a/"}
	_, whole, _ := runCLI(t, "", append([]string{"scan", "--format", "jsonl"}, targets...)...)
	for i := range 3 {
		runCLI(t, "", append([]string{"scan", "--format", "jsonl", "--shard", fmt.Sprintf("%d/3", i), "--shard-output", "out"}, targets...)...)
	}
	code, merged, errs := runCLI(t, "", "report", "merge", "--format", "jsonl", "out")
	if code != exitFindings || merged != whole {
		t.Errorf("exit %d %s\n%s", code, errs, firstDiff(whole, merged))
	}
}

// A merge refuses what is not every shard of one scan.
func TestMergeRefusesIncompleteSets(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	shardTree(t, tree)
	out := filepath.Join(dir, "out")
	for _, i := range []int{0, 2} {
		runCLI(t, "", "scan", "--format", "jsonl", "--shard", fmt.Sprintf("%d/3", i), "--shard-output", out, tree)
	}
	code, _, errs := runCLI(t, "", "report", "merge", out)
	if code != exitUsage || !strings.Contains(errs, "1 of 3 shards are missing: 1") {
		t.Errorf("missing shard: exit %d %s", code, errs)
	}
	code, _, errs = runCLI(t, "", "report", "merge", "--wait", "1500ms", "--poll", "1s", out)
	if code != exitUsage || !strings.Contains(errs, "missing") {
		t.Errorf("missing shard after --wait: exit %d %s", code, errs)
	}
	// Shard 1 of another scan (other targets) does not complete the set.
	other := filepath.Join(dir, "other")
	runCLI(t, "", "scan", "--format", "jsonl", "--shard", "1/3", "--shard-output", other, filepath.Join(tree, "app"))
	code, _, errs = runCLI(t, "", "report", "merge", out, filepath.Join(other, "shard-00001-of-00003.jsonl"))
	if code != exitUsage || !strings.Contains(errs, "different scans") {
		t.Errorf("mixed scans: exit %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "", "scan", "--shard", "3/3", tree); code != exitUsage || !strings.Contains(errs, "want 0 to 2") {
		t.Errorf("bad --shard: exit %d %s", code, errs)
	}
}

// In a Kubernetes Indexed Job the shard comes from JOB_COMPLETION_INDEX
// and the count from the configuration; each shard keeps its own state.
func TestRunJobAsIndexedJob(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	files := shardTree(t, tree)
	out := filepath.Join(dir, "out")
	policy := filepath.Join(dir, "rules.yaml")
	os.WriteFile(policy, []byte(fmt.Sprintf(`version: 1
rules:
  - {id: email, detector: email, severity: medium}
  - {id: card, detector: credit_card, severity: critical}
locations:
  - {name: logs, paths: [%s]}
jobs:
  - {name: audit, schedule: manual, action: scan}
  - {name: expire, schedule: "@daily", action: purge}
state: {path: %s}
shards: {count: 3, output: %s, report: %s}
`, tree, filepath.Join(dir, "state.db"), out, filepath.Join(dir, "report.json"))), 0o644)
	t.Setenv("PIISCAN_RUN_ID", "3f6c1a2e-job-uid")
	t.Setenv("PIISCAN_FINGERPRINT_KEY", testKey)
	t.Setenv("JOB_COMPLETION_INDEX", "")
	os.Unsetenv("JOB_COMPLETION_INDEX")
	for i := range 3 {
		t.Setenv("JOB_COMPLETION_INDEX", fmt.Sprint(i))
		if code, _, errs := runCLI(t, "", "--config", policy, "run", "audit"); code != exitFindings && code != exitOK {
			t.Fatalf("shard %d: exit %d\n%s", i, code, errs)
		}
		if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("state.shard-%d.db", i))); err != nil {
			t.Errorf("shard %d has no state of its own: %v", i, err)
		}
		// The shard that completes the set writes the merged report.
		if _, err := os.Stat(filepath.Join(dir, "report.json")); (err == nil) != (i == 2) {
			t.Errorf("after shard %d the report exists: %v", i, err == nil)
		}
	}
	if b := mustRead(t, filepath.Join(out, "shard-00001-of-00003.jsonl")); !bytes.Contains(b, []byte(`"run":"3f6c1a2e-job-uid"`)) {
		t.Errorf("the run id is not in the findings file: %.200s", b)
	}
	// A shard run again (a retried pod) writes its whole share, not what
	// is new since its state: its file is the same.
	first := mustRead(t, filepath.Join(out, "shard-00000-of-00003.jsonl"))
	t.Setenv("JOB_COMPLETION_INDEX", "0")
	runCLI(t, "", "--config", policy, "run", "audit")
	os.Unsetenv("JOB_COMPLETION_INDEX")
	again := mustRead(t, filepath.Join(out, "shard-00000-of-00003.jsonl"))
	if n, m := bytes.Count(first, []byte("\n")), bytes.Count(again, []byte("\n")); n != m || n < 3 {
		t.Errorf("a rerun of shard 0 wrote %d records, the first run %d", m, n)
	}
	os.Unsetenv("JOB_COMPLETION_INDEX")
	code, merged, errs := runCLI(t, "", "--config", policy, "report", "merge", "--format", "jsonl", out)
	if code != exitFindings {
		t.Fatalf("merge: exit %d\n%s", code, errs)
	}
	_, whole, _ := runCLI(t, "", "--config", policy, "scan", "--format", "jsonl", tree)
	if merged != whole {
		t.Errorf("merged job shards differ from a whole scan:\n%s", firstDiff(whole, merged))
	}
	var doc struct {
		Findings []json.RawMessage     `json:"findings"`
		Summary  struct{ Files int64 } `json:"summary"`
	}
	if err := json.Unmarshal(mustRead(t, filepath.Join(dir, "report.json")), &doc); err != nil || len(doc.Findings) != strings.Count(whole, "\n") || doc.Summary.Files != int64(len(files)) {
		t.Errorf("merged report: %v, %d findings, %d files", err, len(doc.Findings), doc.Summary.Files)
	}
	// A shard of another run does not complete this one.
	t.Setenv("PIISCAN_RUN_ID", "another-run")
	t.Setenv("JOB_COMPLETION_INDEX", "1")
	runCLI(t, "", "--config", policy, "run", "audit", "--full")
	os.Unsetenv("JOB_COMPLETION_INDEX")
	if code, _, errs := runCLI(t, "", "--config", policy, "report", "merge", out); code != exitUsage || !strings.Contains(errs, "different runs") {
		t.Errorf("runs mixed: exit %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "", "--config", policy, "report", "merge", "--run", "another-run", out); code != exitUsage || !strings.Contains(errs, "2 of 3 shards are missing") {
		t.Errorf("--run another-run: exit %d %s", code, errs)
	}
	// Only scan jobs run as shards.
	t.Setenv("JOB_COMPLETION_INDEX", "0")
	if code, _, errs := runCLI(t, "", "--config", policy, "run", "expire"); code != exitUsage || !strings.Contains(errs, "only scan jobs run as shards") {
		t.Errorf("sharded purge: exit %d %s", code, errs)
	}
	os.Unsetenv("JOB_COMPLETION_INDEX")
	// Without a count an Indexed Job pod refuses to scan everything.
	os.WriteFile(policy, bytes.Replace(mustRead(t, policy), []byte("shards: {count: 3, "), []byte("shards: {"), 1), 0o644)
	t.Setenv("JOB_COMPLETION_INDEX", "1")
	if code, _, errs := runCLI(t, "", "--config", policy, "run", "audit"); code != exitUsage || !strings.Contains(errs, "shard count") {
		t.Errorf("no count: exit %d %s", code, errs)
	}
	t.Setenv("PIISCAN_SHARD_COUNT", "3")
	if code, _, errs := runCLI(t, "", "--config", policy, "run", "audit", "--full"); code != exitFindings && code != exitOK {
		t.Errorf("count from the environment: exit %d %s", code, errs)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
