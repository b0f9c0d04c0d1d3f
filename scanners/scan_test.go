package scanners

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/policy"
	"github.com/piiscan/piiscan/scanners/allow"
	"github.com/piiscan/piiscan/scanners/detect"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

func testEngine(t testing.TB) *detect.Engine {
	t.Helper()
	var rules []detect.Rule
	for _, b := range catalog.Detectors() {
		rules = append(rules, detect.Rule{ID: b.Name, Detector: b.Name, Severity: finding.SeverityMedium, PolicyRef: "test §1"})
	}
	e, err := detect.New(rules, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func testOptions(t testing.TB) Options {
	return Options{
		Engine:       testEngine(t),
		Workers:      4,
		Fingerprints: finding.NewFingerprinter([]byte("test key")),
	}
}

// collect scans targets and returns the findings and stats.
func collect(t testing.TB, opts Options, targets ...string) ([]finding.Finding, *Stats) {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var out []finding.Finding
	stats, err := s.Scan(context.Background(), targets, SinkFunc(func(f *finding.Finding) error {
		out = append(out, *f)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	return out, stats
}

// key renders a finding's location and class for comparisons.
func key(f finding.Finding) string {
	return fmt.Sprintf("%s:%d:%d+%d %s", f.Path, f.Line, f.Column, f.Length, f.Rule)
}

func keys(fs []finding.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = key(f)
	}
	return out
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestScanExactFindings(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	writeFile(t, log, []byte("start\n"+
		"user bob@example.com paid with 4111 1111 1111 1111\n"+
		"\n"+
		"from 192.0.2.7 call (415) 555-2671\n"))
	got, stats := collect(t, testOptions(t), dir)
	want := []string{
		log + ":2:6+15 email",
		log + ":2:32+19 credit_card",
		log + ":4:6+9 ipv4",
		log + ":4:21+14 phone_number",
	}
	if !slices.Equal(keys(got), want) {
		t.Errorf("got  %q\nwant %q", keys(got), want)
	}
	if stats.Files != 1 || stats.Streams != 1 || stats.Findings != 4 || len(stats.Problems) != 0 {
		t.Errorf("stats = %+v", stats)
	}
	for _, f := range got {
		if f.Value != "" {
			t.Errorf("%s: raw value without Reveal", key(f))
		}
		if f.Masked == "" || len(f.Fingerprint) != 32 || f.Policy != "test §1" {
			t.Errorf("%s: masked %q fingerprint %q policy %q", key(f), f.Masked, f.Fingerprint, f.Policy)
		}
	}
	if got[1].Masked != "4111 **** **** 1111" {
		t.Errorf("card masked as %q", got[1].Masked)
	}

	opts := testOptions(t)
	opts.Reveal = true
	got, _ = collect(t, opts, log)
	if got[0].Value != "bob@example.com" || got[1].Value != "4111 1111 1111 1111" {
		t.Errorf("Reveal: values %q, %q", got[0].Value, got[1].Value)
	}
}

// perLine scans each line of data on its own: the oracle for where the
// pipeline, which scans in chunks, must report findings.
func perLine(e *detect.Engine, path string, data []byte) []string {
	sc := e.NewMatcher()
	var out []string
	for i, line := range bytes.SplitAfter(data, []byte("\n")) {
		for _, m := range sc.Scan(line, nil) {
			out = append(out, fmt.Sprintf("%s:%d:%d+%d %s", path, i+1, m.Start+1, m.End-m.Start, e.Rules()[m.Rule].ID))
		}
	}
	return out
}

// randomLog builds lines of noise with personal data at random places.
func randomLog(r *rand.Rand, lines int) []byte {
	values := []string{"alice@example.com", "4111 1111 1111 1111", "192.0.2.44", "2001:db8::7",
		"(212) 555-0147", "123-45-6788", "password=hunter2x", "patient has asthma"}
	var b bytes.Buffer
	for range lines {
		n := r.IntN(300)
		for b.Len()%7 != 0 || n > 0 {
			if r.IntN(40) == 0 {
				b.WriteString(" " + values[r.IntN(len(values))] + " ")
			} else {
				b.WriteByte("abcdefgh ,.;:-"[r.IntN(14)])
			}
			n--
			if n < 0 {
				break
			}
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func TestScanChunkBoundaries(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	data := randomLog(r, 4000) // about 600 KiB: many chunks of 32 KiB
	dir := t.TempDir()
	path := filepath.Join(dir, "big.log")
	writeFile(t, path, data)
	opts := testOptions(t)
	opts.ChunkSize = 1 // clamped to the minimum, 4 overlaps
	for _, workers := range []int{1, 3} {
		opts.Workers = workers
		got, _ := collect(t, opts, path)
		want := perLine(opts.Engine, path, data)
		if len(want) < 500 {
			t.Fatalf("oracle found only %d findings", len(want))
		}
		if !slices.Equal(keys(got), want) {
			t.Errorf("workers=%d: %d findings, oracle %d; first difference at %v", workers, len(got), len(want), firstDiff(keys(got), want))
		}
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("%d: %q vs %q", i, a[i], b[i])
		}
	}
	return fmt.Sprintf("lengths %d vs %d", len(a), len(b))
}

func TestScanLongLines(t *testing.T) {
	// One line much longer than a chunk, with values everywhere, including
	// across every cut: the pipeline must report exactly what one scan of
	// the whole line finds, at the right columns.
	var b bytes.Buffer
	b.WriteString(`{"users":[`)
	for i := 0; b.Len() < 3<<20; i++ {
		fmt.Fprintf(&b, `{"id":%d,"email":"user%d@example.com","ip":"198.51.100.%d","note":"%s"},`, i, i, i%250+1, strings.Repeat("x", i%97))
	}
	b.WriteString("{}]}\nsecond line 4111111111111111\n")
	data := b.Bytes()
	path := filepath.Join(t.TempDir(), "one-line.json")
	writeFile(t, path, data)

	opts := testOptions(t)
	opts.ChunkSize = 1
	got, _ := collect(t, opts, path)
	want := perLine(opts.Engine, path, data)
	if !slices.Equal(keys(got), want) {
		t.Errorf("%d findings, oracle %d; first difference at %v", len(got), len(want), firstDiff(keys(got), want))
	}
	last := got[len(got)-1]
	if last.Line != 2 || last.Column != 13 || last.Class != finding.ClassCreditCard {
		t.Errorf("last finding %s", key(last))
	}
}

func TestScan100MBSingleLine(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 100 MB file")
	}
	path := filepath.Join(t.TempDir(), "huge.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	filler := bytes.Repeat([]byte(`"k":"v",`), 1<<17) // 1 MiB
	f.WriteString("{")
	const n = 100
	for i := range n {
		f.Write(filler)
		fmt.Fprintf(f, `"email":"u%d@example.com",`, i)
	}
	f.WriteString(`"end":1}`)
	f.Close()
	got, stats := collect(t, testOptions(t), path)
	if len(got) != n || stats.Bytes < 100<<20 {
		t.Fatalf("%d findings in %d bytes, want %d", len(got), stats.Bytes, n)
	}
	for i, f := range got {
		wantCol := 1 + (i+1)*(1<<20) + i*len(`"email":"u0@example.com",`) + len(`"email":"`) + 1
		if i >= 10 {
			wantCol += i - 10 // two-digit indexes are a byte longer
		}
		if f.Line != 1 || f.Column != wantCol || f.Masked != "u***@example.com" {
			t.Fatalf("finding %d: %s masked %q, want column %d", i, key(f), f.Masked, wantCol)
		}
	}
}

func TestScanProblemsAndSkips(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.log"), []byte("mail a@example.com\n"))
	writeFile(t, filepath.Join(dir, "b.bin"), append([]byte("bob@example.com\x00\x01\x02"), make([]byte, 100)...))
	writeFile(t, filepath.Join(dir, "c.log"), []byte("bad utf8 \xff\xfe carol@example.com \xc3\n"))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(bytes.Repeat([]byte("dave@example.com\n"), 2000))
	zw.Close()
	writeFile(t, filepath.Join(dir, "d.log.gz"), gz.Bytes()[:gz.Len()/2]) // truncated
	if err := os.Symlink(filepath.Join(dir, "a.log"), filepath.Join(dir, "e.link")); err != nil {
		t.Fatal(err)
	}
	got, stats := collect(t, testOptions(t), dir, filepath.Join(dir, "missing.log"))

	if stats.Binary != 1 || stats.Skipped != 1 {
		t.Errorf("binary %d skipped %d, want 1 and 1", stats.Binary, stats.Skipped)
	}
	var probs []string
	for _, p := range stats.Problems {
		probs = append(probs, filepath.Base(p.Path))
	}
	if !slices.Equal(probs, []string{"d.log.gz", "missing.log"}) {
		t.Errorf("problems %+v", stats.Problems)
	}
	count := map[string]int{}
	for _, f := range got {
		count[filepath.Base(f.Path)]++
	}
	if count["a.log"] != 1 || count["c.log"] != 1 || count["b.bin"] != 0 || count["e.link"] != 0 || count["d.log.gz"] == 0 {
		t.Errorf("findings per file %v (the truncated gzip still reports what came before the damage)", count)
	}
}

func TestScanUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files regardless of their mode")
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "locked.log"), []byte("a@example.com\n"))
	os.Chmod(filepath.Join(dir, "locked.log"), 0)
	writeFile(t, filepath.Join(dir, "open.log"), []byte("b@example.com\n"))
	got, stats := collect(t, testOptions(t), dir)
	if len(got) != 1 || len(stats.Problems) != 1 || !strings.Contains(stats.Problems[0].Error, "permission denied") {
		t.Errorf("findings %v problems %+v", keys(got), stats.Problems)
	}
}

func TestScanAllowlistAndClasses(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "app.log"), []byte(
		"Support@Example.com wrote to eve@example.com from 10.1.2.3 and 192.0.2.1\n"+
			"call (415) 555-2671 or 415.555.0199\n"))
	writeFile(t, filepath.Join(dir, "fixtures", "f.log"), []byte("fixture@example.com\n"))
	list, err := NewAllowlist(
		allow.Rules{Values: []string{"support@example.com"}, Paths: []string{"fixtures/**", "**/fixtures/**"}},
		map[string]allow.Rules{
			finding.ClassIPAddress:   {CIDRs: []string{"10.0.0.0/8"}},
			finding.ClassPhoneNumber: {Values: []string{"+1 415 555 2671"}},
		}, "US")
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions(t)
	opts.Allow = list
	got, _ := collect(t, opts, dir)
	var vals []string
	for _, f := range got {
		vals = append(vals, f.Masked)
	}
	want := []string{"e***@example.com", "192.0.*.*", "***.***.0199"}
	if !slices.Equal(vals, want) {
		t.Errorf("got %q, want %q", vals, want)
	}

	opts = testOptions(t)
	opts.Classes = []string{finding.ClassPhoneNumber}
	got, _ = collect(t, opts, dir)
	if len(got) != 2 || got[0].Class != finding.ClassPhoneNumber {
		t.Errorf("class filter: %v", keys(got))
	}
}

func TestScanStdin(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("x\nssn 123-45-6788\n"))
	zw.Close()
	opts := testOptions(t)
	opts.Stdin = &gz
	got, _ := collect(t, opts, "-")
	if want := []string{"-:2:5+11 us_ssn"}; !slices.Equal(keys(got), want) {
		t.Errorf("got %q, want %q", keys(got), want)
	}
}

func TestScanSinkErrorStops(t *testing.T) {
	dir := t.TempDir()
	// More than the read-ahead window (32 MiB) in all, so that reading
	// cannot run ahead to the last file before the sink fails.
	for i := range 20 {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("%02d.log", i)), bytes.Repeat([]byte("a@example.com\n"), 200_000))
	}
	s, err := New(testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	n := 0
	_, err = s.Scan(context.Background(), []string{dir}, SinkFunc(func(*finding.Finding) error {
		n++
		if n == 10 {
			return boom
		}
		return nil
	}))
	if !errors.Is(err, boom) || n != 10 {
		t.Errorf("err %v after %d findings, want %v after 10", err, n, boom)
	}
	if p := s.Progress.Files.Load(); p == 20 {
		t.Errorf("read all %d files after the sink failed", p)
	}
}

func TestScanCanceled(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.log"), bytes.Repeat([]byte("a@example.com\n"), 100000))
	s, err := New(testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, err = s.Scan(ctx, []string{dir}, SinkFunc(func(*finding.Finding) error { cancel(); return nil }))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestScanCSVHeader(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "export.csv"), []byte("id,first_name,dob\n1,Alice,1990-04-23\n"))
	writeFile(t, filepath.Join(dir, "export.txt"), []byte("id\tfull_name\tnotes\n2\tBob Jones\thi\n"))
	got, _ := collect(t, testOptions(t), dir)
	want := []string{
		filepath.Join(dir, "export.csv") + ":2:3+5 person_name_field",
		filepath.Join(dir, "export.csv") + ":2:9+10 date_of_birth_field",
		filepath.Join(dir, "export.txt") + ":2:3+9 person_name_field",
	}
	slices.Sort(want)
	k := keys(got)
	slices.Sort(k)
	if !slices.Equal(k, want) {
		t.Errorf("got %q\nwant %q", k, want)
	}
}

func TestScanPlacement(t *testing.T) {
	dir := t.TempDir()
	web := filepath.Join(dir, "web", "access.log")
	writeFile(t, web, []byte("192.0.2.1 bob@example.com\n"))
	var tarball bytes.Buffer
	zw := gzip.NewWriter(&tarball)
	zw.Write([]byte("192.0.2.2\n"))
	zw.Close()
	writeFile(t, filepath.Join(dir, "web", "old.log.gz"), tarball.Bytes())
	writeFile(t, filepath.Join(dir, "other.log"), []byte("192.0.2.3\n"))
	opts := testOptions(t)
	webPlace := &policy.Placement{Location: "web", Allowed: map[string]bool{finding.ClassIPAddress: true}, Policy: "acme §3"}
	opts.Place = func(p string) *policy.Placement {
		if strings.HasPrefix(p, filepath.Join(dir, "web")) {
			return webPlace
		}
		return nil
	}
	got, _ := collect(t, opts, dir)
	var out []string
	for _, f := range got {
		out = append(out, fmt.Sprintf("%s %s %s %v %q", filepath.Base(f.Path), f.Class, f.Location, f.Disallowed, f.Violates))
	}
	want := []string{
		`other.log ip_address  true "test §1"`,
		`access.log ip_address web false ""`,
		`access.log email web true "acme §3; test §1"`,
		`old.log.gz ip_address web false ""`,
	}
	if !slices.Equal(out, want) {
		t.Errorf("got  %q\nwant %q", out, want)
	}
}

// A sharded scan counts a skipped path (a symbolic link) in the shard that
// owns it only, so the shards' counts add up to the unsharded scan's.
func TestShardsCountASkipOnce(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.log"), []byte("mail a@example.com\n"))
	if err := os.Symlink(filepath.Join(dir, "a.log"), filepath.Join(dir, "e.link")); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "e.link")
	var total int64
	for _, mine := range []bool{true, false} {
		o := testOptions(t)
		o.Owns = func(path string) bool { return (path == link) == mine }
		_, stats := collect(t, o, dir)
		total += stats.Skipped
	}
	if total != 1 {
		t.Errorf("the shards skipped %d, want 1", total)
	}
}
