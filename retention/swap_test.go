package retention

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/retention/audit"
	"github.com/piiscan/piiscan/scanners/detect"
)

// A hostile neighbour changes the tree between planning and acting. The
// tree under $DIR:
//
//	logs/a/x.log     the file the plan acts on (expired)
//	logs/held/x.log  under a legal hold: same size, same mtime
//	vault/a/x.log    under a legal hold, outside the location
//
// Every file's content is the same length and mentions the same email,
// so each action (delete, quarantine, rewrite, redact, erase) would act
// on a held file just as on the planned one.

// swapContent is a file of the swap tests: two JSON records, an expired
// one and a fresh one, both mentioning alice, marked with a 6-byte tag.
func swapContent(tag string) string {
	return fmt.Sprintf(`{"ts":"%s","msg":"%s","user":"alice@example.com"}`+"\n"+`{"ts":"%s","msg":"%s","user":"alice@example.com"}`+"\n",
		ago(90*day).Format(time.RFC3339), tag, ago(day).Format(time.RFC3339), tag)
}

// swapAction is one destructive action of the swap tests.
type swapAction struct {
	name      string
	retention string        // the location's retention
	mtime     time.Duration // age of every file
}

var swapActions = []swapAction{
	{"delete", "{max_age: 30d}", 90 * day},
	{"quarantine", "{max_age: 30d, action: quarantine}", 90 * day},
	{"drop-records", "{max_age: 30d, from: record}", 2 * day},
	{"redact", "{max_age: 30d, action: redact}", 90 * day},
	{"erase", "", 2 * day},
}

// swapTree writes the tree and its policy.
func swapTree(t *testing.T, dir string, a swapAction) *config.Config {
	t.Helper()
	for rel, tag := range map[string]string{"logs/a/x.log": "victim", "logs/held/x.log": "held!!", "vault/a/x.log": "vault!"} {
		mkfile(t, filepath.Join(dir, rel), swapContent(tag), 0o644, ago(a.mtime))
	}
	ret := ""
	if a.retention != "" {
		ret = "\n    retention: " + a.retention
	}
	return loadPolicy(t, dir, `locations:
  - name: logs
    paths: [$DIR/logs]`+ret+`
holds:
  - paths: ["$DIR/logs/held/**", "$DIR/vault/**"]
    reason: case 7
enforcement:
  quarantine_dir: $DIR/q
  breaker: {max_share: 1}
`)
}

// swapPlan plans the action on the tree: logs/a/x.log is acted on.
func swapPlan(t *testing.T, dir string, c *config.Config, a swapAction) *Plan {
	t.Helper()
	if a.name == "erase" {
		// Erasure plans from a scan; the item it makes is the same as
		// this one.
		sub, err := ParseSubject("email=alice@example.com", "US", finding.NewFingerprinter([]byte("k")))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "logs", "a", "x.log")
		return &Plan{Now: now, Items: []*Item{{Location: c.Locations[0], Path: path, Snap: snap(t, path), Action: Erase,
			Subjects: []Subject{sub}, Found: 2, Reason: "2 records mention the subject"}}}
	}
	p, err := PlanPurge(context.Background(), c, PlanOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	acting := 0
	for _, it := range p.Items {
		if it.Action != Keep {
			acting++
			if filepath.Base(filepath.Dir(it.Path)) != "a" {
				t.Fatalf("planned %s %s", it.Action, it.Path)
			}
		}
	}
	if acting != 1 {
		t.Fatalf("%d files planned, want 1: %v", acting, actions(p))
	}
	return p
}

// swapExecutor returns an enforcing executor for the swap tests (with a
// detection engine when the action masks values).
func swapExecutor(t *testing.T, c *config.Config, a swapAction) (*Executor, string) {
	t.Helper()
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	x := &Executor{Config: c, Enforce: true, Audit: audit.Open(auditPath, []byte("k")), Fingerprints: finding.NewFingerprinter([]byte("k"))}
	if a.name == "redact" || a.name == "erase" {
		x.Engine = swapEngine(t)
	}
	return x, auditPath
}

var swapEngineOnce struct {
	sync.Once
	e *detect.Engine
}

// swapEngine compiles the default rules once for all the swap tests.
func swapEngine(t *testing.T) *detect.Engine {
	swapEngineOnce.Do(func() { swapEngineOnce.e = defaultEngine(t) })
	return swapEngineOnce.e
}

// swapCases change the tree after the plan. Each returns the files that
// must come out of the run unchanged (held files, wherever they are now,
// and files the plan never saw).
var swapCases = []struct {
	name string
	swap func(t *testing.T, dir string) []string
}{
	{"parent dir becomes a relative symlink to the held dir", func(t *testing.T, dir string) []string {
		must(t, os.Rename(filepath.Join(dir, "logs/a"), filepath.Join(dir, "logs/a.orig")))
		must(t, os.Symlink("held", filepath.Join(dir, "logs/a")))
		return []string{"logs/held/x.log", "vault/a/x.log"}
	}},
	{"parent dir becomes an absolute symlink to the held dir", func(t *testing.T, dir string) []string {
		must(t, os.Rename(filepath.Join(dir, "logs/a"), filepath.Join(dir, "logs/a.orig")))
		must(t, os.Symlink(filepath.Join(dir, "logs/held"), filepath.Join(dir, "logs/a")))
		return []string{"logs/held/x.log", "vault/a/x.log"}
	}},
	{"held dir renamed into the parent's place", func(t *testing.T, dir string) []string {
		must(t, os.Rename(filepath.Join(dir, "logs/a"), filepath.Join(dir, "logs/a.orig")))
		must(t, os.Rename(filepath.Join(dir, "logs/held"), filepath.Join(dir, "logs/a")))
		return []string{"logs/a/x.log", "vault/a/x.log"}
	}},
	{"file becomes a symlink to the held file", func(t *testing.T, dir string) []string {
		must(t, os.Rename(filepath.Join(dir, "logs/a/x.log"), filepath.Join(dir, "logs/a/x.orig")))
		must(t, os.Symlink("../held/x.log", filepath.Join(dir, "logs/a/x.log")))
		return []string{"logs/held/x.log", "vault/a/x.log", "logs/a/x.orig"}
	}},
	{"file replaced by another of the same size and mtime", func(t *testing.T, dir string) []string {
		mkfile(t, filepath.Join(dir, "logs/a/x.new"), swapContent("newnew"), 0o644, modTime(t, filepath.Join(dir, "logs/a/x.log")))
		must(t, os.Rename(filepath.Join(dir, "logs/a/x.new"), filepath.Join(dir, "logs/a/x.log")))
		return []string{"logs/held/x.log", "vault/a/x.log", "logs/a/x.log"}
	}},
	{"file gets a second name outside the root", func(t *testing.T, dir string) []string {
		if err := os.Link(filepath.Join(dir, "logs/a/x.log"), filepath.Join(t.TempDir(), "x.log")); err != nil {
			t.Skip("no hard links here:", err)
		}
		return []string{"logs/held/x.log", "vault/a/x.log", "logs/a/x.log"}
	}},
	{"location root becomes a symlink to the vault", func(t *testing.T, dir string) []string {
		must(t, os.Rename(filepath.Join(dir, "logs"), filepath.Join(dir, "logs.orig")))
		must(t, os.Symlink("vault", filepath.Join(dir, "logs")))
		return []string{"logs.orig/held/x.log", "vault/a/x.log"}
	}},
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func modTime(t *testing.T, path string) time.Time {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.ModTime()
}

// fileState is a file's content, mode and mtime, as hashTree shows them.
func fileState(path string) string {
	fi, err := os.Lstat(path)
	if err != nil {
		return err.Error()
	}
	data, _ := os.ReadFile(path)
	return fmt.Sprintf("%q %v %v", data, fi.Mode(), fi.ModTime().UnixNano())
}

// The tree is changed after the plan and before the action: whatever the
// change, no held file (and no file the plan did not see) is deleted,
// moved or rewritten, and the audit log records no action done.
func TestSwapAfterPlanNeverActsOnAnotherFile(t *testing.T) {
	for _, a := range swapActions {
		for _, sc := range swapCases {
			t.Run(a.name+"/"+sc.name, func(t *testing.T) {
				dir := t.TempDir()
				c := swapTree(t, dir, a)
				p := swapPlan(t, dir, c, a)
				keep := sc.swap(t, dir)
				before := map[string]string{}
				for _, rel := range keep {
					before[rel] = fileState(filepath.Join(dir, rel))
				}
				x, auditPath := swapExecutor(t, c, a)
				defer x.Close()
				if err := x.Apply(context.Background(), p); err != nil {
					t.Fatal(err)
				}
				for _, rel := range keep {
					if got := fileState(filepath.Join(dir, rel)); got != before[rel] {
						t.Errorf("%s changed:\n%s\nwas\n%s", rel, got, before[rel])
					}
				}
				for _, it := range p.Items {
					if it.Action != Keep && (it.Done || it.Err == nil) {
						t.Errorf("%s %s: done %v, err %v", it.Action, it.Path, it.Done, it.Err)
					}
				}
				log, _ := os.ReadFile(auditPath)
				if bytes.Contains(log, []byte(`"phase":"done"`)) && !bytes.Contains(log, []byte(`"action":"keep"`)) {
					t.Errorf("the audit log records an action done:\n%s", log)
				}
				if q, _ := os.ReadDir(filepath.Join(dir, "q")); len(q) != 0 {
					t.Errorf("quarantine holds %v", q)
				}
			})
		}
	}
}

// A neighbour swaps a directory and a symbolic link to the held folder
// back and forth (one atomic exchange after another) while purge enforces
// (deletes, and rewrites dropping records): the held file is never deleted
// or rewritten. 40 rounds each, with a fresh tree.
func TestSwapLoopDuringPurgeNeverTouchesHeldFile(t *testing.T) {
	const rounds = 40
	for _, a := range []swapAction{swapActions[0], swapActions[2]} {
		t.Run(a.name, func(t *testing.T) {
			touched, acted := 0, 0
			for round := range rounds {
				dir := t.TempDir()
				c := swapTree(t, dir, a)
				adir, link := filepath.Join(dir, "logs/a"), filepath.Join(dir, "logs/a.link")
				must(t, os.Symlink("held", link))
				held := filepath.Join(dir, "logs/held/x.log")
				before := fileState(held)
				stop, done := make(chan struct{}), make(chan struct{})
				go func() {
					defer close(done)
					for {
						select {
						case <-stop:
							return
						default:
						}
						exchange(adir, link)
						// Often enough that plan and action see both
						// states, seldom enough to leave them the CPU.
						time.Sleep(50 * time.Microsecond)
					}
				}()
				p, err := PlanPurge(context.Background(), c, PlanOptions{Now: now})
				if err == nil {
					// No audit log: its fsyncs would take most of the time.
					x := &Executor{Config: c, Enforce: true}
					err = x.Apply(context.Background(), p)
					x.Close()
				}
				close(stop)
				<-done
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				for _, it := range p.Items {
					if it.Done {
						acted++
					}
				}
				if got := fileState(held); got != before {
					touched++
					t.Errorf("round %d: the held file is now %s (plan %v)", round, got, actions(p))
				}
			}
			t.Logf("%d rounds: held file deleted or rewritten in %d, planned file acted on in %d", rounds, touched, acted)
		})
	}
}

// hookStore runs hook once, inside the action: in the middle of a
// rewrite's write, or right before a removal.
type hookStore struct {
	Store
	hook *func()
}

func (h hookStore) run() {
	if *h.hook != nil {
		(*h.hook)()
		*h.hook = nil
	}
}

func (h hookStore) Rewrite(ctx context.Context, path string, snap Snapshot, write func(io.Writer) error) (int64, error) {
	return h.Store.Rewrite(ctx, path, snap, func(w io.Writer) error {
		h.run()
		return write(w)
	})
}

func (h hookStore) Remove(ctx context.Context, path string, snap Snapshot) error {
	h.run()
	return h.Store.Remove(ctx, path, snap)
}

// A second name (a hard link outside the root) given to the file while it
// is being rewritten or removed keeps it from being acted on: the data
// would stay at the other name. The requester's report says so, and does
// not count the records as erased.
func TestLinkMadeDuringActionKeepsTheFile(t *testing.T) {
	for _, a := range swapActions {
		t.Run(a.name, func(t *testing.T) {
			dir := t.TempDir()
			c := swapTree(t, dir, a)
			p := swapPlan(t, dir, c, a)
			victim := filepath.Join(dir, "logs/a/x.log")
			before := fileState(victim)
			other := filepath.Join(t.TempDir(), "other-name")
			x, _ := swapExecutor(t, c, a)
			defer x.Close()
			tr, err := OpenTree(filepath.Join(dir, "logs"))
			if err != nil {
				t.Fatal(err)
			}
			hook := func() {
				if err := os.Link(victim, other); err != nil {
					t.Skip("no hard links here:", err)
				}
			}
			x.remember(tr.Dir(), hookStore{treeStore{tr}, &hook})
			if err := x.Apply(context.Background(), p); err != nil {
				t.Fatal(err)
			}
			if hook != nil {
				t.Fatal("the action never reached the store")
			}
			it := p.Items[slices.IndexFunc(p.Items, func(it *Item) bool { return it.Action != Keep })]
			if it.Done || !errors.Is(it.Err, ErrLinked) && !errors.Is(it.Err, ErrStillLinked) {
				t.Errorf("done %v, err %v", it.Done, it.Err)
			}
			if got := fileState(victim); got != before {
				t.Errorf("the file changed:\n%s\nwas\n%s", got, before)
			}
			if q, _ := os.ReadDir(filepath.Join(dir, "q")); len(q) != 0 {
				t.Errorf("quarantine holds %v", q)
			}
			if a.name == "erase" {
				r := p.ErasureReport(it.Subjects, true)
				raw, _ := json.Marshal(r)
				if r.Complete || r.Totals.Erased != 0 || r.Totals.Kept != 2 || !bytes.Contains(raw, []byte("data remains reachable")) {
					t.Errorf("report: %s", raw)
				}
			}
		})
	}
}

// Cancelling the run stops a rewrite in the middle of its reading: the
// file is left as it was.
func TestCancelStopsARewrite(t *testing.T) {
	dir := t.TempDir()
	a := swapActions[2] // drop-records
	c := swapTree(t, dir, a)
	victim := filepath.Join(dir, "logs/a/x.log")
	mkfile(t, victim, strings.Repeat(swapContent("victim"), 4<<10), 0o644, ago(a.mtime)) // 576 KiB
	p := swapPlan(t, dir, c, a)
	before := fileState(victim)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	x, _ := swapExecutor(t, c, a)
	defer x.Close()
	tr, err := OpenTree(filepath.Join(dir, "logs"))
	if err != nil {
		t.Fatal(err)
	}
	hook := func() { cancel() }
	x.remember(tr.Dir(), hookStore{treeStore{tr}, &hook})
	err = x.Apply(ctx, p)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Apply = %v", err)
	}
	for _, it := range p.Items {
		if it.Done || it.Action != Keep && !errors.Is(it.Err, context.Canceled) {
			t.Errorf("%s: done %v, err %v", it.Action, it.Done, it.Err)
		}
	}
	if got := fileState(victim); got != before {
		t.Error("the file changed")
	}
}

// The location's root renamed (and another folder put in its place) while
// piiscan acts in it: nothing more is done there, as its files may now sit
// under another path, held or not.
func TestRootMovedDuringActionIsRefused(t *testing.T) {
	for _, a := range swapActions {
		t.Run(a.name, func(t *testing.T) {
			dir := t.TempDir()
			c := swapTree(t, dir, a)
			p := swapPlan(t, dir, c, a)
			x, _ := swapExecutor(t, c, a)
			defer x.Close()
			tr, err := OpenTree(filepath.Join(dir, "logs"))
			if err != nil {
				t.Fatal(err)
			}
			moved := filepath.Join(dir, "vault", "logs")
			hook := func() {
				must(t, os.Rename(filepath.Join(dir, "logs"), moved))
				must(t, os.Mkdir(filepath.Join(dir, "logs"), 0o755))
			}
			x.remember(tr.Dir(), hookStore{treeStore{tr}, &hook})
			before := fileState(filepath.Join(dir, "logs/a/x.log"))
			if err := x.Apply(context.Background(), p); err != nil {
				t.Fatal(err)
			}
			it := p.Items[slices.IndexFunc(p.Items, func(it *Item) bool { return it.Action != Keep })]
			if it.Done || !errors.Is(it.Err, ErrRootMoved) {
				t.Errorf("done %v, err %v", it.Done, it.Err)
			}
			if got := fileState(filepath.Join(moved, "a/x.log")); got != before {
				t.Errorf("the file, now under the vault, changed:\n%s\nwas\n%s", got, before)
			}
		})
	}
}
