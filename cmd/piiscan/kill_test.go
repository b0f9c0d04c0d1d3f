package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/piiscan/piiscan/retention"
	"github.com/piiscan/piiscan/retention/audit"
)

// killNow is the clock every run of the SIGKILL tests judges ages by.
var killNow = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

// killFile is one input file of a SIGKILL scenario.
type killFile struct {
	data []byte        // the plain content (gzipped on disk when the name ends in .gz)
	age  time.Duration // how long before killNow it was last modified
}

// killScenario is a destructive command run against a tree of files.
type killScenario struct {
	name string
	// args follow "--config POLICY"; --enforce is added.
	args []string
	// policy is the policy file's text, %[1]s standing for the data folder
	// and %[2]s for the audit log.
	policy string
	// files are the inputs, by path relative to the data folder.
	files map[string]killFile
	// sane checks the end state of an uninterrupted run (content
	// decompressed, nil for a file that is gone).
	sane func(t *testing.T, end map[string][]byte)
}

// killStats counts where the kills of a scenario landed.
type killStats struct {
	kills        int // runs killed (not finished before the signal)
	beforeIntent int // killed before it wrote an intent
	midway       int // killed with some files acted on and others not
	unresolved   int // killed leaving intents without a result
	temps        int // killed leaving a temporary file in the data folder
	headTemps    int // temporary head files left beside the audit log
	aheadOfHead  int // killed between an audit append and its head
	torn         int // killed in the middle of an audit line
}

// TestDestructiveCommandsSurviveSIGKILL kills real `piiscan purge`,
// `redact` and `erase` runs with --enforce at random moments (spread over a
// whole run, and once right after the first intent reaches the audit
// log), and checks after every kill that each file is wholly old or wholly
// new, that the audit log verifies and accounts for every file that
// changed, and that the next run finishes the job: the same end state as a
// run never killed, no temporary file left, and the unfinished intents
// still listed as history.
func TestDestructiveCommandsSurviveSIGKILL(t *testing.T) {
	rounds := 14
	if testing.Short() {
		rounds = 3
	}
	for _, sc := range killScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			killRounds(t, sc, rounds)
		})
	}
}

// killScenarios returns a purge (records dropped from plain and gzip logs,
// files deleted by mtime, a log whose records all expired), a redact (card
// numbers and emails masked) and an erase of one data subject.
func killScenarios() []killScenario {
	const lines = 3000
	pad := strings.Repeat("p", 60)

	purge := map[string]killFile{}
	var mixed, kept bytes.Buffer
	for i := range lines {
		fmt.Fprintf(&mixed, `{"ts":"2024-01-01T00:00:00Z","n":%d,"pad":"%s"}`+"\n", i, pad)
		line := fmt.Sprintf(`{"ts":"2024-05-31T00:00:00Z","n":%d,"pad":"%s"}`+"\n", i, pad)
		mixed.WriteString(line)
		kept.WriteString(line)
	}
	var expired bytes.Buffer
	for i := range 100 {
		fmt.Fprintf(&expired, `{"ts":"2024-02-01T00:00:00Z","n":%d}`+"\n", i)
	}
	for i := range 10 {
		name := fmt.Sprintf("app/app-%02d.log", i)
		if i%2 == 1 {
			name += ".gz"
		}
		purge[name] = killFile{data: mixed.Bytes(), age: 24 * time.Hour}
	}
	purge["app/all-expired.log"] = killFile{data: expired.Bytes(), age: 24 * time.Hour}
	purge["app/current.log"] = killFile{data: kept.Bytes(), age: 24 * time.Hour}
	for i := range 8 {
		purge[fmt.Sprintf("web/access-%02d.log", i)] = killFile{data: []byte("GET / 200\n"), age: 45 * 24 * time.Hour}
	}
	purge["web/access.log"] = killFile{data: []byte("GET / 200\n"), age: 2 * 24 * time.Hour}

	redact := map[string]killFile{}
	var cards bytes.Buffer
	for i := range lines / 3 {
		fmt.Fprintf(&cards, `{"ts":"2024-05-01T00:00:00Z","n":%d,"user":"user%d@example.com","card":"4111 1111 1111 1111"}`+"\n", i, i)
		fmt.Fprintf(&cards, `{"ts":"2024-05-01T00:00:00Z","n":%d,"msg":"ok"}`+"\n", i)
	}
	for i := range 10 {
		name := fmt.Sprintf("app/app-%02d.log", i)
		if i%2 == 1 {
			name += ".gz"
		}
		redact[name] = killFile{data: cards.Bytes(), age: 48 * time.Hour}
	}
	redact["app/clean.log"] = killFile{data: []byte("GET /healthz 200\n"), age: 48 * time.Hour}

	erase := map[string]killFile{}
	var mentions bytes.Buffer
	for i := range lines / 2 {
		fmt.Fprintf(&mentions, "login alice@example.com ok n=%d\nlogin bob@example.com ok n=%d\n", i, i)
	}
	for i := range 10 {
		name := fmt.Sprintf("logs/app-%02d.log", i)
		if i%2 == 1 {
			name += ".gz"
		}
		erase[name] = killFile{data: mentions.Bytes(), age: time.Hour}
	}
	erase["logs/other.log"] = killFile{data: []byte("login bob@example.com ok\n"), age: time.Hour}

	return []killScenario{
		{
			name: "purge",
			args: []string{"purge"},
			policy: `version: 1
rules:
  - {id: ip, detector: ipv4, severity: low}
locations:
  - name: web
    paths: [%[1]s/web]
    retention: {max_age: 30d}
  - name: app
    paths: [%[1]s/app]
    retention: {max_age: 30d, from: record}
enforcement:
  audit_log: %[2]s
  breaker: {max_share: 1}
`,
			files: purge,
			sane: func(t *testing.T, end map[string][]byte) {
				for name, data := range end {
					switch {
					case strings.HasPrefix(name, "app/app-") && !bytes.Equal(data, kept.Bytes()):
						t.Errorf("%s: expired records not dropped", name)
					case name == "app/all-expired.log" || strings.HasPrefix(name, "web/access-"):
						if data != nil {
							t.Errorf("%s: not deleted", name)
						}
					}
				}
			},
		},
		{
			name: "redact",
			args: []string{"redact"},
			policy: `version: 1
rules:
  - {id: email, detector: email, severity: medium}
  - {id: card, detector: credit_card, severity: critical}
locations:
  - name: app
    paths: [%[1]s/app]
    disallowed: redact
enforcement:
  audit_log: %[2]s
  breaker: {max_share: 1}
`,
			files: redact,
			sane: func(t *testing.T, end map[string][]byte) {
				for name, data := range end {
					if name != "app/clean.log" && (rawCard.Match(data) || rawEmail.Match(data)) {
						t.Errorf("%s: a card number or an email is left", name)
					}
				}
			},
		},
		{
			name: "erase",
			args: []string{"erase", "--subject", "email=alice@example.com"},
			policy: `version: 1
rules:
  - {id: email, detector: email, severity: medium}
locations:
  - {name: logs, kind: log, paths: [%[1]s/logs]}
enforcement:
  audit_log: %[2]s
  breaker: {max_share: 1}
`,
			files: erase,
			sane: func(t *testing.T, end map[string][]byte) {
				for name, data := range end {
					if bytes.Contains(data, []byte("alice@")) || !bytes.Contains(data, []byte("bob@example.com")) {
						t.Errorf("%s: the subject is left, or another person was erased", name)
					}
				}
			},
		},
	}
}

// killRounds runs one scenario: an uninterrupted run to learn the end state
// and the run's duration, then rounds of kill, check, finishing run, check.
func killRounds(t *testing.T, sc killScenario, rounds int) {
	bin := binary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	auditDir := filepath.Join(dir, "audit")
	os.MkdirAll(auditDir, 0o755)
	auditPath := filepath.Join(auditDir, "audit.jsonl")
	policy := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(policy, fmt.Appendf(nil, sc.policy, data, auditPath), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--config", policy}, sc.args...)
	args = append(args, "--enforce")
	command := func() *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "PIISCAN_NOW="+killNow.Format(time.RFC3339), "PIISCAN_FINGERPRINT_KEY="+testKey)
		return cmd
	}
	old := map[string][]byte{}
	for name, f := range sc.files {
		old[name] = f.data
	}

	// The end state of a run never killed, and how long a run takes.
	writeKillTree(t, data, sc.files)
	start := time.Now()
	if out, err := command().CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	span := time.Since(start)
	end, temps := readKillTree(t, data)
	// A second run times it again: the shorter is the run's normal
	// duration (the first may have waited for a busy machine).
	writeKillTree(t, data, sc.files)
	start = time.Now()
	if out, err := command().CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	span = min(span, time.Since(start))
	if len(temps) > 0 {
		t.Fatalf("an uninterrupted run left %v", temps)
	}
	changed := 0
	for name := range old {
		if _, ok := end[name]; !ok {
			end[name] = nil
		}
		if !bytes.Equal(end[name], old[name]) || end[name] == nil {
			changed++
		}
	}
	if changed < 8 || changed == len(old) {
		t.Fatalf("an uninterrupted run changed %d of %d files: the scenario tests too little", changed, len(old))
	}
	sc.sane(t, end)
	checkNoRawValues(t, "the audit log", readFile(t, auditPath))

	r := rand.New(rand.NewPCG(uint64(len(sc.name)), 7))
	var st killStats
	for round := range rounds + 1 {
		writeKillTree(t, data, sc.files)
		before := auditSeq(t, auditPath)
		cmd := command()
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		var at string
		if round == rounds {
			// The deterministic point: right after the first intent.
			at = "at the first intent"
			killAtFirstIntent(t, cmd, exited, auditPath)
		} else {
			// Stratified: round i kills somewhere in the i-th slice of a run.
			d := time.Duration((float64(round) + r.Float64()) / float64(rounds) * float64(span))
			at = fmt.Sprintf("after %v of a %v run", d.Round(time.Millisecond), span.Round(time.Millisecond))
			select {
			case <-time.After(d):
				cmd.Process.Signal(syscall.SIGKILL)
			case err := <-exited:
				exited <- err
			}
		}
		err := <-exited
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL {
			st.kills++
		} else if err != nil {
			t.Fatalf("round %d (%s): the run failed before the kill: %v\n%s%s", round, at, err, stdout.Bytes(), stderr.Bytes())
		}
		checkNoRawValues(t, "the killed run's output", append(stdout.Bytes(), stderr.Bytes()...))
		unresolved := checkAfterKill(t, fmt.Sprintf("round %d (%s)", round, at), bin, policy, data, auditPath, before, old, end, &st)

		// The next run finishes the job.
		out, err := command().CombinedOutput()
		if err != nil {
			t.Fatalf("round %d (%s): finishing run: %v\n%s", round, at, err, out)
		}
		checkNoRawValues(t, "the finishing run's output", out)
		now, temps := readKillTree(t, data)
		if len(temps) > 0 {
			t.Errorf("round %d (%s): the finishing run left %v", round, at, temps)
		}
		for name, want := range end {
			if got, ok := now[name]; !bytes.Equal(got, want) || ok != (want != nil) {
				t.Fatalf("round %d (%s): after the finishing run %s is not what an uninterrupted run leaves (%d bytes, want %d)", round, at, name, len(got), len(want))
			}
		}
		if len(now) != len(end)-countNil(end) {
			t.Fatalf("round %d (%s): %d files after the finishing run, want %d", round, at, len(now), len(end)-countNil(end))
		}
		code, vout, verr := auditVerifyCLI(bin, policy)
		if code != 0 {
			t.Fatalf("round %d (%s): audit verify after the finishing run: exit %d\n%s%s", round, at, code, vout, verr)
		}
		for _, seq := range unresolved {
			if !strings.Contains(vout, fmt.Sprintf("  seq %d ", seq)) {
				t.Errorf("round %d (%s): the unfinished intent seq %d is no longer listed after the finishing run:\n%s", round, at, seq, vout)
			}
		}
		res, err := audit.Verify(auditPath, []byte(testKey))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range res.Unresolved {
			if e.Seq > before && !slices.Contains(unresolved, e.Seq) {
				t.Errorf("round %d (%s): the finishing run left intent seq %d unresolved", round, at, e.Seq)
			}
		}
		checkNoRawValues(t, "the audit log", readFile(t, auditPath))
	}
	// Three random rounds may all miss the middle of a run: only the
	// full test insists on one.
	if st.kills == 0 || st.midway == 0 && !testing.Short() {
		t.Errorf("%d kills, %d midway in %d rounds: the test did not test anything", st.kills, st.midway, rounds+1)
	}
	t.Logf("%s: a run takes %v; %d rounds, %d killed (%d before the first intent, %d midway, %d leaving unresolved intents, %d leaving temporary files, %d temporary head files left beside the audit log, %d between an audit append and its head, %d in the middle of an audit line)",
		sc.name, span.Round(time.Millisecond), rounds+1, st.kills, st.beforeIntent, st.midway, st.unresolved, st.temps, st.headTemps, st.aheadOfHead, st.torn)
}

// checkAfterKill checks the tree and the audit log a killed run left, and
// returns the seqs of the intents it left without a result.
func checkAfterKill(t *testing.T, round, bin, policy, data, auditPath string, before int64, old, end map[string][]byte, st *killStats) []int64 {
	t.Helper()
	now, temps := readKillTree(t, data)
	if len(temps) > 0 {
		st.temps++
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(auditPath), ".*.tmp")); len(m) > st.headTemps {
		st.headTemps = len(m) // they are never removed: each one is a new one
	}
	// 1. Every file is wholly old or wholly new.
	state := map[string]string{} // name: "old" or "new"
	acted := 0
	for name, was := range old {
		got, ok := now[name]
		switch {
		case ok && bytes.Equal(got, was):
			state[name] = "old"
		case ok && end[name] != nil && bytes.Equal(got, end[name]):
			state[name], acted = "new", acted+1
		case !ok && end[name] == nil:
			state[name], acted = "new", acted+1
		case !ok:
			t.Fatalf("%s: %s is gone, but an uninterrupted run keeps it", round, name)
		default:
			t.Fatalf("%s: %s is neither wholly old nor wholly new (%d bytes; old %d, new %d)", round, name, len(got), len(was), len(end[name]))
		}
	}
	for name := range now {
		if _, ok := old[name]; !ok {
			t.Fatalf("%s: a file %s appeared", round, name)
		}
	}
	if acted > 0 && acted < countChanged(old, end) {
		st.midway++
	}

	// 2. The audit log verifies, and accounts for every change.
	raw := readFile(t, auditPath)
	if len(raw) > 0 && raw[len(raw)-1] != '\n' {
		// Past the head, verify notes it and the next run removes it;
		// inside an entry the head counts, verify fails below.
		st.torn++
	}
	code, vout, verr := auditVerifyCLI(bin, policy)
	if code != 0 {
		t.Fatalf("%s: audit verify: exit %d\n%s%s", round, code, vout, verr)
	}
	if strings.Contains(vout, "ahead of its head") {
		st.aheadOfHead++
	}
	entries := auditEntries(t, raw)
	intents := map[int64]audit.Entry{}
	named := map[string]bool{} // paths with an intent in this run
	for _, e := range entries {
		switch {
		case e.Phase == audit.PhaseIntent:
			intents[e.Seq] = e
			if e.Seq > before {
				named[e.Path] = true
			}
		case e.Intent != 0:
			in, ok := intents[e.Intent]
			if !ok || in.Path != e.Path {
				t.Fatalf("%s: result seq %d names intent %d, which is not an earlier intent for %s", round, e.Seq, e.Intent, e.Path)
			}
		}
	}
	if len(named) == 0 {
		st.beforeIntent++
	}
	for name, s := range state {
		path := filepath.Join(data, name)
		if s == "new" && !named[path] {
			t.Errorf("%s: %s changed without an intent naming it", round, name)
		}
	}
	// A result says what happened: done means the file is new (or, when
	// the action was a keep, untouched), failed means untouched.
	for _, e := range entries {
		if e.Seq <= before || e.Intent == 0 {
			continue
		}
		name, err := filepath.Rel(data, e.Path)
		if err != nil || state[name] == "" {
			t.Fatalf("%s: result seq %d names %s, not an input file", round, e.Seq, e.Path)
		}
		want := "new"
		if e.Phase == audit.PhaseFailed || e.Action == "keep" {
			want = "old"
		}
		if state[name] != want {
			t.Errorf("%s: %s is %s, but the audit log says %s %s", round, name, state[name], e.Phase, e.Action)
		}
	}
	res, err := audit.Verify(auditPath, []byte(testKey))
	if err != nil {
		t.Fatalf("%s: %v", round, err)
	}
	var unresolved []int64
	for _, e := range res.Unresolved {
		if !strings.Contains(vout, fmt.Sprintf("  seq %d ", e.Seq)) {
			t.Errorf("%s: audit verify does not list the unfinished intent seq %d:\n%s", round, e.Seq, vout)
		}
		if e.Seq <= before {
			continue
		}
		unresolved = append(unresolved, e.Seq)
		name, err := filepath.Rel(data, e.Path)
		if err != nil || state[name] == "" {
			t.Fatalf("%s: unfinished intent seq %d names %s, not an input file", round, e.Seq, e.Path)
		}
	}
	if len(unresolved) > 0 {
		st.unresolved++
	}
	return unresolved
}

// killAtFirstIntent polls the audit log and kills cmd as soon as an
// intent entry appears in it, or returns when cmd exits first.
func killAtFirstIntent(t *testing.T, cmd *exec.Cmd, exited chan error, auditPath string) {
	t.Helper()
	from := int64(0)
	if fi, err := os.Stat(auditPath); err == nil {
		from = fi.Size()
	}
	for {
		select {
		case err := <-exited:
			exited <- err
			return
		default:
		}
		if f, err := os.Open(auditPath); err == nil {
			var b bytes.Buffer
			f.Seek(from, 0)
			b.ReadFrom(f)
			f.Close()
			if bytes.Contains(b.Bytes(), []byte(`"phase":"intent"`)) {
				cmd.Process.Signal(syscall.SIGKILL)
				return
			}
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// writeKillTree replaces the folder data with files: mode 0640, gzipped
// when the name ends in .gz, modified age before killNow.
func writeKillTree(t *testing.T, data string, files map[string]killFile) {
	t.Helper()
	if err := os.RemoveAll(data); err != nil {
		t.Fatal(err)
	}
	for name, f := range files {
		p := filepath.Join(data, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		content := f.data
		if strings.HasSuffix(name, ".gz") {
			content = gzipBytes(content)
		}
		if err := os.WriteFile(p, content, 0o640); err != nil {
			t.Fatal(err)
		}
		mt := killNow.Add(-f.age)
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
}

// readKillTree returns the files under data, by relative name, gzip files
// decompressed, and piiscan's temporary files apart. A gzip file that does
// not decompress whole, or a file that lost its mode, fails the test.
func readKillTree(t *testing.T, data string) (files map[string][]byte, temps []string) {
	t.Helper()
	files = map[string][]byte{}
	err := filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name, _ := filepath.Rel(data, p)
		if strings.HasPrefix(d.Name(), retention.TempPrefix) {
			temps = append(temps, name)
			return nil
		}
		content, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(name, ".gz") {
			zr, err := newGzipReader(content)
			if err != nil {
				return fmt.Errorf("%s is not a whole gzip file: %w", name, err)
			}
			var b bytes.Buffer
			if _, err := b.ReadFrom(zr); err != nil {
				return fmt.Errorf("%s is not a whole gzip file: %w", name, err)
			}
			content = b.Bytes()
		}
		if fi, err := d.Info(); err != nil || fi.Mode().Perm() != 0o640 {
			return fmt.Errorf("%s lost its mode 0640", name)
		}
		files[name] = content
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, temps
}

// auditVerifyCLI runs the real `piiscan audit verify`.
func auditVerifyCLI(bin, policy string) (code int, stdout, stderr string) {
	cmd := exec.Command(bin, "--config", policy, "audit", "verify")
	cmd.Env = append(os.Environ(), "PIISCAN_FINGERPRINT_KEY="+testKey)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		code = -1
		errb.WriteString(err.Error())
	}
	return code, out.String(), errb.String()
}

// auditSeq returns the seq of the last entry of the audit log (0 when it
// has none).
func auditSeq(t *testing.T, path string) int64 {
	t.Helper()
	entries := auditEntries(t, readFile(t, path))
	if len(entries) == 0 {
		return 0
	}
	return entries[len(entries)-1].Seq
}

// auditEntries parses the whole lines of an audit log.
func auditEntries(t *testing.T, raw []byte) []audit.Entry {
	t.Helper()
	if i := bytes.LastIndexByte(raw, '\n'); i >= 0 {
		raw = raw[:i+1]
	} else {
		raw = nil
	}
	var entries []audit.Entry
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e audit.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit log line %d: %v", len(entries)+1, err)
		}
		entries = append(entries, e)
	}
	return entries
}

// rawEmail matches a test email whole; masks keep only the domain
// ([email:…@example.com], a***@example.com).
var rawEmail = regexp.MustCompile(`\w@example\.com`)

// checkNoRawValues fails when b holds a test card number or email.
func checkNoRawValues(t *testing.T, what string, b []byte) {
	t.Helper()
	if rawCard.Match(b) || rawEmail.Match(b) {
		t.Errorf("%s holds a raw card number or email", what)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return b
}

func countNil(m map[string][]byte) int {
	n := 0
	for _, v := range m {
		if v == nil {
			n++
		}
	}
	return n
}

// countChanged counts the files an uninterrupted run changes or removes.
func countChanged(old, end map[string][]byte) int {
	n := 0
	for name, was := range old {
		if end[name] == nil || !bytes.Equal(end[name], was) {
			n++
		}
	}
	return n
}
