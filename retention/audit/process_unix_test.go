//go:build unix

package audit

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
)

// The helper process: the test binary run again with AUDIT_HELPER set
// acts on the log named by AUDIT_LOG and exits.
func TestMain(m *testing.M) {
	switch os.Getenv("AUDIT_HELPER") {
	case "":
		os.Exit(m.Run())
	case "kill-after-intent":
		// Two actions: the first finishes, the process dies during the
		// second, after its intent.
		l := Open(os.Getenv("AUDIT_LOG"), key)
		p, err := l.Begin(Entry{Action: "delete", Location: "web", Path: "/logs/a.log", Rule: "retention", BytesBefore: 10})
		if err != nil {
			os.Exit(2)
		}
		if err := p.Done(Entry{}); err != nil {
			os.Exit(2)
		}
		if _, err := l.Begin(Entry{Action: "rewrite", Location: "app", Path: "/logs/b.log", Rule: "retention"}); err != nil {
			os.Exit(2)
		}
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	case "append":
		l := Open(os.Getenv("AUDIT_LOG"), key)
		n, _ := strconv.Atoi(os.Getenv("AUDIT_N"))
		for i := range n {
			p, err := l.Begin(Entry{Action: "delete", Path: fmt.Sprintf("/logs/%d-%d", os.Getpid(), i)})
			if err == nil {
				err = p.Done(Entry{Records: int64(i)})
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
		}
		os.Exit(0)
	}
	os.Exit(3)
}

func helper(t *testing.T, mode, path string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{"AUDIT_HELPER=" + mode, "AUDIT_LOG=" + path}, env...)...)
	cmd.Stderr = os.Stderr
	return cmd
}

func TestKilledActionIsListedUnresolved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	if _, err := Open(path, key).Check(); err != nil {
		t.Fatal(err)
	}
	err := helper(t, "kill-after-intent", path).Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("helper: %v, want killed", err)
	}
	res, err := Verify(path, key)
	if err != nil || res.Entries != 3 {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
	if len(res.Unresolved) != 1 {
		t.Fatalf("unresolved %+v, want the rewrite of b.log", res.Unresolved)
	}
	u := res.Unresolved[0]
	if u.Seq != 3 || u.Phase != PhaseIntent || u.Action != "rewrite" || u.Path != "/logs/b.log" || u.Location != "app" {
		t.Errorf("unresolved %+v", u)
	}
	// The next run can go on appending.
	if _, err := Open(path, key).Check(); err != nil {
		t.Errorf("Check after the kill: %v", err)
	}
}

func TestConcurrentProcessesKeepTheChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := helper(t, "append", path, "AUDIT_N=40").Run(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	res, err := Verify(path, key)
	if err != nil || res.Entries != 240 || len(res.Unresolved) != 0 || len(res.Notes) != 0 {
		t.Errorf("Verify = %d entries, %d unresolved, notes %v, %v", res.Entries, len(res.Unresolved), res.Notes, err)
	}
}
