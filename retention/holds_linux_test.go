package retention

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// A neighbour with the right to rename entries of the root (and none inside
// the held folder) exchanges the held folder and the folder purge deletes
// in, atomically, in a tight loop, from the moment the holds are resolved
// until the run ends: no held file is ever deleted. 40 rounds, each with a
// fresh tree.
func TestHeldFolderExchangeLoopDuringPurge(t *testing.T) {
	const rounds, files = 40, 3
	probe := t.TempDir()
	must(t, os.Mkdir(filepath.Join(probe, "a"), 0o755))
	must(t, os.Mkdir(filepath.Join(probe, "b"), 0o755))
	if err := unix.Renameat2(unix.AT_FDCWD, filepath.Join(probe, "a"), unix.AT_FDCWD, filepath.Join(probe, "b"), unix.RENAME_EXCHANGE); err != nil {
		t.Skip("renameat2 RENAME_EXCHANGE is not supported here:", err)
	}
	lost, refused, kept := 0, 0, 0
	for round := range rounds {
		dir := t.TempDir()
		for i := range files {
			name := string(rune('0'+i)) + ".log"
			mkfile(t, filepath.Join(dir, "logs/a", name), "victim\n", 0o644, ago(90*day))
			mkfile(t, filepath.Join(dir, "logs/held", name), "held!!\n", 0o644, ago(90*day))
		}
		c := loadPolicy(t, dir, `locations:
  - name: logs
    paths: [$DIR/logs]
    retention: {max_age: 30d}
holds:
  - paths: ["$DIR/logs/held/**"]
    reason: case 7
enforcement:
  quarantine_dir: $DIR/q
  breaker: {max_share: 1}
`)
		adir, hdir := filepath.Join(dir, "logs/a"), filepath.Join(dir, "logs/held")
		stop, done := make(chan struct{}), make(chan struct{})
		start := func() {
			go func() {
				defer close(done)
				for {
					select {
					case <-stop:
						return
					default:
					}
					unix.Renameat2(unix.AT_FDCWD, adir, unix.AT_FDCWD, hdir, unix.RENAME_EXCHANGE)
				}
			}()
		}
		p, err := PlanPurge(context.Background(), c, PlanOptions{Now: now, afterHolds: start})
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
		held := 0
		for _, d := range []string{adir, hdir} {
			for i := range files {
				data, _ := os.ReadFile(filepath.Join(d, string(rune('0'+i))+".log"))
				if strings.HasPrefix(string(data), "held!!") {
					held++
				}
			}
		}
		if held != files {
			lost++
			t.Errorf("round %d: %d of %d held files left (plan %v)", round, held, files, actions(p))
		}
		for _, it := range p.Items {
			switch {
			case errors.Is(it.Err, ErrHoldMoved):
				refused++
			case it.Held != "" && strings.Contains(it.Reason, "device and inode"):
				kept++
			}
		}
	}
	t.Logf("%d rounds: held files lost in %d; items refused as the hold moved %d, kept as held by identity %d", rounds, lost, refused, kept)
}
