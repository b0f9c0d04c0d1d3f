//go:build unix

package retention

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// A neighbour swaps a log and a FIFO back and forth while purge plans and
// works out record actions: no open ever waits on the FIFO (it is refused,
// or the file is seen), and the whole run finishes.
func TestFIFOSwappedInNeverBlocks(t *testing.T) {
	const rounds = 40
	base := t.TempDir()
	finished := make(chan struct{})
	var abort atomic.Bool
	dirOf := func(round int) string { return filepath.Join(base, fmt.Sprint(round)) }
	go func() {
		defer close(finished)
		for round := range rounds {
			if abort.Load() {
				return
			}
			dir := dirOf(round)
			log, fifo := filepath.Join(dir, "logs", "x.log"), filepath.Join(dir, "logs", "p")
			mkfile(t, log, swapContent("victim"), 0o644, ago(2*day))
			if err := syscall.Mkfifo(fifo, 0o644); err != nil {
				t.Error(err)
				return
			}
			c := loadPolicy(t, dir, "locations:\n  - name: logs\n    paths: [$DIR/logs]\n    retention: {max_age: 30d, from: record}\n")
			stop, done := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(done)
				for {
					select {
					case <-stop:
						return
					default:
					}
					exchange(log, fifo)
					time.Sleep(20 * time.Microsecond)
				}
			}()
			p, err := PlanPurge(context.Background(), c, PlanOptions{Now: now})
			if err == nil {
				x := &Executor{Config: c}
				err = x.Apply(context.Background(), p)
				x.Close()
			}
			close(stop)
			<-done
			if err != nil {
				t.Error(err)
			}
		}
	}()
	select {
	case <-finished:
	case <-time.After(30 * time.Second):
		// Let the blocked open go, so that the test can end.
		abort.Store(true)
		for {
			for round := range rounds {
				for _, name := range []string{"x.log", "p"} {
					if f, err := os.OpenFile(filepath.Join(dirOf(round), "logs", name), os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
						f.Close()
					}
				}
			}
			select {
			case <-finished:
				t.Fatal("an open blocked on a FIFO swapped in for the file")
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
}

// The audit log names the file acted on by its device and inode, in the
// intent and in the result.
func TestAuditNamesTheFileActedOn(t *testing.T) {
	dir := t.TempDir()
	a := swapActions[0] // delete
	c := swapTree(t, dir, a)
	p := swapPlan(t, dir, c, a)
	fi, err := os.Lstat(filepath.Join(dir, "logs/a/x.log"))
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	x, auditPath := swapExecutor(t, c, a)
	defer x.Close()
	if err := x.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d entries:\n%s", len(lines), data)
	}
	for _, line := range lines {
		var e struct {
			Phase    string
			Dev, Ino uint64
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		if e.Dev != uint64(st.Dev) || e.Ino != uint64(st.Ino) {
			t.Errorf("%s entry names %d:%d, the file is %d:%d", e.Phase, e.Dev, e.Ino, st.Dev, st.Ino)
		}
	}
}
