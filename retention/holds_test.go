package retention

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/internal/openat"
	"github.com/piiscan/piiscan/policy"
	"github.com/piiscan/piiscan/retention/audit"
)

// The clean-up of temporary files an interrupted run left removes only
// files named exactly as piiscan names them, never one a legal hold
// covers, and records each removal in the audit log; a user's file whose
// name merely starts like theirs is data, planned like any other. So for
// the quarantine folder.
func TestTempCleanupSparesHeldAndUserFiles(t *testing.T) {
	dir := t.TempDir()
	const heldCopy = TempPrefix + "aaaaaaaaaaaa"
	files := []struct {
		rel   string
		gone  bool // removed by the clean-up
		audit bool // and recorded
	}{
		{"logs/held/" + TempPrefix + "evidence.log", false, false},       // held, a user's name
		{"logs/held/" + TempPrefix + "0123456789ab-x.log", false, false}, // held, piiscan's name
		{"logs/a/" + TempPrefix + "notes.txt", false, false},             // a user's file, fresh
		{"logs/a/" + TempPrefix + "d528fefaf49c-app.log", true, true},    // a killed run's
		{"q/" + TempPrefix + "notes.txt", false, false},
		{"q/" + heldCopy, false, false},
		{"q/" + TempPrefix + "d528fefaf49c", true, true},
	}
	for _, f := range files {
		mkfile(t, filepath.Join(dir, f.rel), "x\n", 0o600, ago(day))
	}
	mkfile(t, filepath.Join(dir, "logs/a/old.log"), "o\n", 0o644, ago(400*day))
	mkfile(t, filepath.Join(dir, "logs/a/"+TempPrefix+"old.txt"), "o\n", 0o644, ago(400*day))
	c := loadPolicy(t, dir, `locations:
  - name: logs
    paths: [$DIR/logs]
    retention: {max_age: 30d}
holds:
  - paths: ["$DIR/logs/held/**", "$DIR/q/`+heldCopy+`"]
    reason: case 9
enforcement:
  quarantine_dir: $DIR/q
  breaker: {max_share: 1}
`)
	p, auditPath, err := run(t, c, true, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A user's file named like a temporary one is planned as data.
	got := actions(p)
	if got["old.log"] != Delete || got[TempPrefix+"old.txt"] != Delete || got[TempPrefix+"notes.txt"] != Keep {
		t.Errorf("planned %v", got)
	}
	log, _ := os.ReadFile(auditPath)
	for _, f := range files {
		_, err := os.Stat(filepath.Join(dir, f.rel))
		if gone := errors.Is(err, os.ErrNotExist); gone != f.gone {
			t.Errorf("%s: removed %v, want %v (%v)", f.rel, gone, f.gone, err)
		}
		path := []byte(`"path":"` + filepath.Join(dir, f.rel) + `"`)
		entries := 0
		for _, line := range bytes.Split(log, []byte("\n")) {
			if bytes.Contains(line, path) {
				entries++
				if !bytes.Contains(line, []byte(`"rule":"temporary-file"`)) {
					t.Errorf("%s: audit entry %s", f.rel, line)
				}
			}
		}
		if want := map[bool]int{true: 2, false: 0}[f.audit]; entries != want {
			t.Errorf("%s: %d audit entries, want %d (intent and done):\n%s", f.rel, entries, want, log)
		}
	}
	if res, err := audit.Verify(auditPath, []byte("k")); err != nil || len(res.Unresolved) != 0 {
		t.Errorf("audit log: %+v, %v", res, err)
	}
}

// A held folder is exchanged with the folder a plan acts in: the plan,
// made while it was there, acts on held files by their path in the other
// folder. Holds are resolved to identities before the plan and again
// before acting, and each action checks every folder on its way.
func TestHeldFolderExchangedIntoThePath(t *testing.T) {
	type step struct {
		// When logs/a and logs/held are exchanged: once the holds
		// are resolved for the plan, before the plan looks at them
		// again, before the executor looks at them again, and right
		// before acting.
		afterHolds, beforeRelook, afterPlan, beforeAct bool
	}
	cases := []struct {
		name string
		step
		moved bool // the hold's path leads elsewhere at a later look
	}{
		// The plan sees the held folder at a, and it is back in place
		// whenever the holds are looked at again, but at a again for
		// the action: the folder on the way is held, the file is kept.
		{"in for the plan and the action", step{true, true, false, true}, false},
		{"in for the action", step{false, false, false, true}, false},
		// The held folder stays at a: the hold's path leads to another
		// folder than when the holds were first resolved, and nothing
		// is done in the location.
		{"in from the plan on", step{true, false, false, false}, true},
		{"in from the second look on", step{false, false, true, false}, true},
	}
	for _, a := range swapActions[:4] {
		if a.name == "drop-records" {
			continue // counted before the second look: the file changed
		}
		for _, tc := range cases {
			t.Run(a.name+"/"+tc.name, func(t *testing.T) {
				dir := t.TempDir()
				c := swapTree(t, dir, a)
				adir, hdir := filepath.Join(dir, "logs/a"), filepath.Join(dir, "logs/held")
				held := filepath.Join(hdir, "x.log")
				before := fileState(held)
				swaps := 0
				swap := func(on bool) {
					if on {
						exchange(adir, hdir)
						swaps++
					}
				}
				p, err := PlanPurge(context.Background(), c, PlanOptions{Now: now,
					afterHolds: func() { swap(tc.afterHolds) }, beforeRelook: func() { swap(tc.beforeRelook) }})
				if err != nil {
					t.Fatal(err)
				}
				swap(tc.afterPlan)
				x, auditPath := swapExecutor(t, c, a)
				defer x.Close()
				x.beforeAct = func() { swap(tc.beforeAct) }
				if err := x.Apply(context.Background(), p); err != nil {
					t.Fatal(err)
				}
				// Put the held folder back where it was, to look.
				if swaps%2 == 1 {
					exchange(adir, hdir)
				}
				if got := fileState(held); got != before {
					t.Errorf("the held file is now %s, was %s", got, before)
				}
				if q, _ := os.ReadDir(filepath.Join(dir, "q")); len(q) != 0 {
					t.Errorf("quarantine holds %v", q)
				}
				log, _ := os.ReadFile(auditPath)
				acted := 0
				for _, it := range p.Items {
					if filepath.Base(filepath.Dir(it.Path)) != "a" {
						continue
					}
					acted++
					switch {
					case it.Done:
						t.Errorf("%s %s done", it.Action, it.Path)
					case tc.moved && !errors.Is(it.Err, ErrHoldMoved):
						t.Errorf("%s %s: err %v, want ErrHoldMoved", it.Action, it.Path, it.Err)
					case !tc.moved && (it.Err != nil || it.Action != Keep || it.Held != "case 7"):
						t.Errorf("%s %s: held %q, err %v, want kept as held", it.Action, it.Path, it.Held, it.Err)
					}
				}
				if acted != 1 {
					t.Errorf("%d items in a, want 1: %v %+v %q", acted, actions(p), p.Problems, p.Warnings)
				}
				if tc.moved {
					if !strings.Contains(strings.Join(p.Warnings, "\n"), "location logs: nothing done this run") {
						t.Errorf("warnings %q", p.Warnings)
					}
					if len(log) != 0 {
						t.Errorf("the audit log records actions:\n%s", log)
					}
				} else if !bytes.Contains(log, []byte(`"phase":"done","intent":1,"action":"keep"`)) || !bytes.Contains(log, []byte("under legal hold: case 7")) {
					t.Errorf("the audit log does not say the file was kept as held:\n%s", log)
				}
			})
		}
	}
}

// A held folder moved away (and another put at its path) after the holds
// were looked at for the last time, while nothing held is on the way of
// the actions: the look at the held folders' paths right before each
// action sees it, the action fails with ErrHoldMoved in the audit log, and
// nothing more is done in the location.
func TestHeldFolderMovedRightBeforeActing(t *testing.T) {
	dir := t.TempDir()
	c := swapTree(t, dir, swapActions[0])
	mkfile(t, filepath.Join(dir, "logs/b/y.log"), swapContent("victim"), 0o644, ago(90*day))
	p, err := PlanPurge(context.Background(), c, PlanOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	x, auditPath := swapExecutor(t, c, swapActions[0])
	defer x.Close()
	x.beforeAct = func() {
		must(t, os.Rename(filepath.Join(dir, "logs/held"), filepath.Join(dir, "logs/held.moved")))
		must(t, os.Mkdir(filepath.Join(dir, "logs/held"), 0o755))
	}
	if err := x.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	acting := 0
	for _, it := range p.Items {
		if it.Action == Keep {
			continue
		}
		acting++
		if it.Done || !errors.Is(it.Err, ErrHoldMoved) {
			t.Errorf("%s %s: done %v, err %v, want ErrHoldMoved", it.Action, it.Path, it.Done, it.Err)
		}
	}
	if acting != 2 {
		t.Errorf("%d items acting, want 2: %v", acting, actions(p))
	}
	for _, rel := range []string{"logs/a/x.log", "logs/b/y.log", "logs/held.moved/x.log"} {
		if _, err := os.Stat(filepath.Join(dir, rel)); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(strings.Join(p.Warnings, "\n"), "location logs: nothing done this run") {
		t.Errorf("warnings %q", p.Warnings)
	}
	// The first action was begun and failed; the second never begun.
	log, _ := os.ReadFile(auditPath)
	if n := bytes.Count(log, []byte(`"phase":"intent"`)); n != 1 || !bytes.Contains(log, []byte(`"phase":"failed"`)) {
		t.Errorf("audit log:\n%s", log)
	}
}

// A walk matches each entry by its own path only (the folders above it were
// matched when it passed them): for every path whose folders below the
// root no hold covers, that is what policy.Covers says.
func TestEntryPatternsMatchAsCoversDoes(t *testing.T) {
	dir := t.TempDir()
	c := loadPolicy(t, dir, `locations:
  - name: r
    paths: [$DIR/r]
holds:
  - paths: ["f007.log", "*.sql", "legal-*", "{a,b}?.txt"]
    reason: names
  - paths: ["$DIR/r/held", "$DIR/r/*/keep/**", "$DIR/r/x/*.bak", "$DIR/r/file.txt", "$DIR/r/d/"]
    reason: paths
`)
	holds := activeHolds(c, now)
	pats := entryPatterns(holds)
	root := filepath.Join(dir, "r")
	rels := []string{
		"f007.log", "x/f007.log", "f007.log.1", "dump.sql", "x/y/dump.sql", "sql", "legal-2024", "x/legal-", "ax.txt", "bx.txt", "cx.txt", "abx.txt",
		"held", "held2", "hel", "x/held", "q/keep", "q/keep/z", "q/r/keep", "keep", "x/a.bak", "x/y/a.bak", "a.bak",
		"file.txt", "file.txt.1", "x/file.txt", "d", "dd", "x/d",
	}
	covers := func(p string) bool {
		for _, h := range holds {
			if policy.Covers(*h, p) {
				return true
			}
		}
		return false
	}
	for _, rel := range rels {
		above := false
		for d := filepath.Dir(rel); d != "."; d = filepath.Dir(d) {
			above = above || covers(filepath.Join(root, d))
		}
		if above {
			continue
		}
		p := filepath.Join(root, rel)
		if got, want := pats.match(p) != "", covers(p); got != want {
			t.Errorf("%s: entry pattern %v, Covers %v", rel, got, want)
		}
	}
}

// A temporary name fits in a file name however long the original is, and
// the names openat parks files under are temporary names too.
func TestTempNameFitsAndParkedNamesAreTemp(t *testing.T) {
	long := strings.Repeat("x", 250)
	if n := itempath.TempName(long); len(n) > 255 || !itempath.IsTemp(n) {
		t.Errorf("TempName(250 bytes) = %d bytes, IsTemp %v", len(n), itempath.IsTemp(n))
	}
	if openat.ParkPrefix != TempPrefix || !itempath.IsTemp(openat.ParkPrefix+"0123456789ab") {
		t.Errorf("openat parks files as %q…, which the clean-up would not recognise", openat.ParkPrefix)
	}
	// End to end: a file with a 250-byte name can be rewritten.
	dir := t.TempDir()
	p := filepath.Join(dir, long)
	if err := os.WriteFile(p, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tr, err := OpenTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.Rewrite(p, snap(t, p), func(w io.Writer) error {
		_, err := io.WriteString(w, "new\n")
		return err
	}); err != nil {
		t.Fatalf("rewrite of a file with a 250-byte name: %v", err)
	}
}
