package retention

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// A directory of the path is replaced by a mount after the plan: a bind
// mount of the held folder (the same file system, the held file's inode),
// or another file system holding a file of the same name, size and time
// (another device). Either way the file found is not the planned one, and
// is left alone.
func TestMountOverDirectoryIsRefused(t *testing.T) {
	if os.Getenv("PIISCAN_TEST_MOUNTNS") != "1" {
		// Mounting needs a mount namespace of its own: the test runs
		// again in one, as root of a new user namespace.
		unshare, err := exec.LookPath("unshare")
		if err != nil {
			t.Skip("no unshare here")
		}
		cmd := exec.Command(unshare, "-rm", os.Args[0], "-test.run=^TestMountOverDirectoryIsRefused$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "PIISCAN_TEST_MOUNTNS=1")
		out, err := cmd.CombinedOutput()
		switch {
		case err != nil && !bytes.Contains(out, []byte("=== RUN")):
			t.Skipf("no user and mount namespaces here: %v: %s", err, out)
		case err != nil:
			t.Fatalf("in a mount namespace: %v\n%s", err, out)
		case bytes.Contains(out, []byte("--- SKIP")):
			t.Skipf("in a mount namespace:\n%s", out)
		}
		t.Logf("in a mount namespace:\n%s", out)
		return
	}
	mounts := map[string]func(t *testing.T, dir, target string){
		"bind mount of the held folder": func(t *testing.T, dir, target string) {
			if err := syscall.Mount(filepath.Join(dir, "logs/held"), target, "", syscall.MS_BIND, ""); err != nil {
				t.Skip("cannot bind mount:", err)
			}
		},
		"another file system": func(t *testing.T, dir, target string) {
			if err := syscall.Mount("tmpfs", target, "tmpfs", 0, "size=1m"); err != nil {
				t.Skip("cannot mount a tmpfs:", err)
			}
			mkfile(t, filepath.Join(target, "x.log"), swapContent("other"+"!"), 0o644, modTime(t, filepath.Join(dir, "logs/a.orig/x.log")))
		},
	}
	for name, mount := range mounts {
		for _, a := range []swapAction{swapActions[0], swapActions[2]} {
			t.Run(name+"/"+a.name, func(t *testing.T) {
				dir := t.TempDir()
				c := swapTree(t, dir, a)
				p := swapPlan(t, dir, c, a)
				// The planned file stays reachable (as a.orig) to
				// compare times with; a is the mount point.
				target := filepath.Join(dir, "logs/a")
				must(t, os.Rename(target, filepath.Join(dir, "logs/a.orig")))
				must(t, os.Mkdir(target, 0o755))
				mount(t, dir, target)
				t.Cleanup(func() { syscall.Unmount(target, syscall.MNT_DETACH) })
				before := fileState(filepath.Join(target, "x.log"))
				x := &Executor{Config: c, Enforce: true}
				defer x.Close()
				if err := x.Apply(context.Background(), p); err != nil {
					t.Fatal(err)
				}
				if got := fileState(filepath.Join(target, "x.log")); got != before {
					t.Errorf("the file on the mount changed:\n%s\nwas\n%s", got, before)
				}
				for _, it := range p.Items {
					if it.Action != Keep && (it.Done || !errors.Is(it.Err, ErrChanged)) {
						t.Errorf("%s: done %v, err %v", it.Action, it.Done, it.Err)
					}
				}
			})
		}
	}
}
