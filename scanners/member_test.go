package scanners

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/policy"
	"github.com/piiscan/piiscan/scanners/allow"
	"github.com/piiscan/piiscan/scanners/source"
)

func TestScanTarMemberWithBangSplitsBack(t *testing.T) {
	tarCmd, err := exec.LookPath("tar")
	if err != nil {
		t.Skip("no tar command")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	writeFile(t, filepath.Join(src, "a!b.txt"), []byte("mail ada@example.com\n"))
	writeFile(t, filepath.Join(src, "a"), []byte("clean\n"))
	archive := filepath.Join(dir, "logs.tar")
	if out, err := exec.Command(tarCmd, "-cf", archive, "-C", src, "a", "a!b.txt").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}

	got, stats := collect(t, testOptions(t), archive)
	if len(stats.Problems) > 0 {
		t.Fatalf("problems: %+v", stats.Problems)
	}
	if len(got) != 1 {
		t.Fatalf("findings %q, want one", keys(got))
	}
	outer, members := itempath.Split(got[0].Path)
	if outer != archive || !slices.Equal(members, []string{"a!b.txt"}) {
		t.Errorf("finding path %q splits into %q, %q; want %q, [a!b.txt]", got[0].Path, outer, members, archive)
	}
}

func TestScanFileNameWithBang(t *testing.T) {
	dir := t.TempDir()
	clean := filepath.Join(dir, "report")
	dirty := filepath.Join(dir, "report!2026-11.log")
	writeFile(t, clean, []byte("nothing here\n"))
	writeFile(t, dirty, []byte("card 4111 1111 1111 1111 mail ada@example.com\n"))

	opts := testOptions(t)
	var mu sync.Mutex // Place is called by concurrent readers
	var placed []string
	opts.Place = func(p string) *policy.Placement {
		mu.Lock()
		defer mu.Unlock()
		placed = append(placed, p)
		return &policy.Placement{Location: "logs"}
	}
	got, stats := collect(t, opts, dir)
	if len(stats.Problems) > 0 {
		t.Fatalf("problems: %+v", stats.Problems)
	}
	if len(got) != 2 {
		t.Fatalf("findings %q, want two", keys(got))
	}
	for _, f := range got {
		if want := itempath.Escape(dirty); f.Path != want {
			t.Errorf("finding path %q, want %q", f.Path, want)
		}
		file, in := itempath.Outer(f.Path)
		if file != dirty || in {
			t.Errorf("Outer(%q) = %q, %v; want %q, false", f.Path, file, in, dirty)
		}
		if _, err := os.Stat(file); err != nil {
			t.Errorf("the top file of a finding cannot be opened: %v", err)
		}
	}
	slices.Sort(placed)
	if want := []string{clean, dirty}; !slices.Equal(placed, want) {
		t.Errorf("placed %q, want the real names %q", placed, want)
	}
}

func TestScanProblemOfFileNameWithBang(t *testing.T) {
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(bytes.Repeat([]byte("dave@example.com\n"), 2000))
	zw.Close()
	broken := filepath.Join(dir, "a!b.log.gz")
	writeFile(t, broken, gz.Bytes()[:gz.Len()/2]) // truncated
	writeFile(t, filepath.Join(dir, "z.log"), []byte("fine\n"))

	opts := testOptions(t)
	var done []string
	opts.ItemDone = func(it source.Item) { done = append(done, it.Path) }
	_, stats := collect(t, opts, dir)
	if len(stats.Problems) != 1 || stats.Problems[0].Path != itempath.Escape(broken) {
		t.Fatalf("problems %+v, want one of %q", stats.Problems, itempath.Escape(broken))
	}
	// The damaged file comes first in the walk: a checkpoint never passes it.
	if len(done) > 0 {
		t.Errorf("ItemDone called for %q after an unreadable file", done)
	}
}

func TestAllowPathNamesWithBang(t *testing.T) {
	list, err := NewAllowlist(allow.Rules{Paths: []string{"report!*.log", "**/fixtures!/**", "x!y.csv"}}, nil, "US")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want bool
	}{
		{itempath.Escape("/var/log/report!2026-11.log"), true},
		{itempath.Escape("/var/log/report"), false},
		{itempath.Join(itempath.Escape("/data/fixtures!/a.tar"), "m.log"), true},
		{itempath.Join("/b/a.tar", "dir/x!y.csv"), true},
		{itempath.Join("/b/report", "2026-11.log"), false},
	}
	for _, tt := range tests {
		if got := list.Path(tt.path, ""); got != tt.want {
			t.Errorf("Path(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}
