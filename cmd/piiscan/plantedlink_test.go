//go:build unix

package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A root job writing its report into /tmp does not follow a link a local
// user planted there: scan -o and report merge -o refuse it (exit 2) and
// the link's target stays as it was.
func TestOutputRefusesAPlantedLink(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to give the link another owner")
	}
	base := t.TempDir()
	tmp := filepath.Join(base, "tmp")
	os.Mkdir(tmp, 0o700)
	if err := os.Chmod(tmp, 0o777|fs.ModeSticky); err != nil {
		t.Fatal(err)
	}
	shadow := filepath.Join(base, "etc", "shadow")
	os.Mkdir(filepath.Dir(shadow), 0o755)
	os.WriteFile(shadow, []byte("root:secret"), 0o640)
	link := filepath.Join(tmp, "pii.json")
	os.Symlink(shadow, link)
	if err := os.Lchown(link, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	tree := filepath.Join(base, "tree")
	shardTree(t, tree)
	out := filepath.Join(base, "out")
	for i := range 2 {
		runCLI(t, "", "scan", "--format", "jsonl", "--shard", fmt.Sprintf("%d/2", i), "--shard-output", out, tree)
	}
	want := link + ": a symbolic link owned by uid 65534 in a shared sticky directory: not followed; remove it or write elsewhere"
	for name, args := range map[string][]string{
		"scan":         {"scan", "--format", "json", "-o", link, tree},
		"report merge": {"report", "merge", "--format", "json", "-o", link, out},
	} {
		code, stdout, errs := runCLI(t, "", args...)
		if code != exitUsage || stdout != "" || !strings.Contains(errs, want) {
			t.Errorf("%s: exit %d, %d bytes out\n%s", name, code, len(stdout), errs)
		}
		if b, _ := os.ReadFile(shadow); string(b) != "root:secret" {
			t.Fatalf("%s: the link's target holds %.80q", name, b)
		}
		if typ := fileType(t, link); typ != fs.ModeSymlink {
			t.Errorf("the link is %v now", typ)
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(shadow)); len(entries) != 1 {
		t.Errorf("left beside the target: %v", entries)
	}
}
