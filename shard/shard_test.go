package shard

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Shard
		err  string
	}{
		{"0/4", Shard{0, 4}, ""},
		{"3/4", Shard{3, 4}, ""},
		{" 0/1 ", Shard{0, 1}, ""},
		{"4/4", Shard{}, "want 0 to 3"},
		{"-1/4", Shard{}, "want 0 to 3"},
		{"0/0", Shard{}, "want 1 to"},
		{"1", Shard{}, "want INDEX/COUNT"},
		{"a/4", Shard{}, "bad index"},
		{"1/b", Shard{}, "bad count"},
		{"0/10001", Shard{}, "want 1 to 10000"},
	} {
		got, err := Parse(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Parse(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestResolve(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		name  string
		flag  string
		count int
		env   map[string]string
		want  Shard
		err   string
	}{
		{"nothing", "", 0, nil, Shard{}, ""},
		{"count alone shards nothing", "", 4, nil, Shard{}, ""},
		{"flag", "1/3", 0, nil, Shard{1, 3}, ""},
		{"flag beats the Job", "1/3", 4, map[string]string{IndexEnv: "2"}, Shard{1, 3}, ""},
		{"indexed job", "", 4, map[string]string{IndexEnv: "2"}, Shard{2, 4}, ""},
		{"indexed job without a count", "", 0, map[string]string{IndexEnv: "2"}, Shard{}, "shard count is not"},
		{"index past the count", "", 2, map[string]string{IndexEnv: "2"}, Shard{}, "want 0 to 1"},
		{"bad index", "", 2, map[string]string{IndexEnv: "x"}, Shard{}, IndexEnv},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Resolve(tc.flag, tc.count, env(tc.env))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("= %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// The assignment is part of the on-disk contract: shards of one scan may
// run different builds, and per-shard state assumes it does not move.
func TestOfIsStable(t *testing.T) {
	golden := map[string]int{}
	for i := range 8 {
		p := fmt.Sprintf("s3://logs/app/2026/11/%02d/part-%d.gz", i, i)
		golden[p] = Of(p, 16)
	}
	want := map[string]int{
		"s3://logs/app/2026/11/00/part-0.gz": 5, "s3://logs/app/2026/11/01/part-1.gz": 0,
		"s3://logs/app/2026/11/02/part-2.gz": 10, "s3://logs/app/2026/11/03/part-3.gz": 14,
		"s3://logs/app/2026/11/04/part-4.gz": 11, "s3://logs/app/2026/11/05/part-5.gz": 13,
		"s3://logs/app/2026/11/06/part-6.gz": 10, "s3://logs/app/2026/11/07/part-7.gz": 7,
	}
	for p, w := range want {
		if golden[p] != w {
			t.Errorf("Of(%q, 16) = %d, want %d", p, golden[p], w)
		}
	}
}

func TestSpreadAndMovement(t *testing.T) {
	const n = 40000
	for _, count := range []int{2, 4, 7, 16} {
		per := make([]int, count)
		moved := 0
		for i := range n {
			p := fmt.Sprintf("/var/log/hosts/web-%03d/app.log.%d", i%300, i)
			s := Of(p, count)
			per[s]++
			next := Of(p, count+1)
			if next != s {
				moved++
				if next != count {
					t.Fatalf("%s moved from %d to %d when a shard was added; only moves to the new shard are allowed", p, s, next)
				}
			}
			if !(Shard{s, count}).Owns(p) || (Shard{(s + 1) % count, count}).Owns(p) {
				t.Fatalf("%s: Owns disagrees with Of", p)
			}
		}
		for i, c := range per {
			if want := n / count; c < want*9/10 || c > want*11/10 {
				t.Errorf("%d shards: shard %d has %d of %d items, want about %d", count, i, c, n, want)
			}
		}
		if want := n / (count + 1); moved < want*9/10 || moved > want*11/10 {
			t.Errorf("%d→%d shards moved %d items, want about %d", count, count+1, moved, want)
		}
	}
}

func TestFileName(t *testing.T) {
	s := Shard{2, 4}
	if got := s.FileName(); got != "shard-00002-of-00004.jsonl" {
		t.Fatalf("FileName = %q", got)
	}
	if got, ok := ParseFileName(s.FileName()); !ok || got != s {
		t.Fatalf("ParseFileName = %v, %v", got, ok)
	}
	for _, bad := range []string{"shard-2-of-4.jsonl", "shard-00004-of-00004.jsonl", "shard-00002-of-00004.jsonl.tmp",
		".shard-00002-of-00004.jsonl.123.tmp", "report.jsonl"} {
		if _, ok := ParseFileName(bad); ok {
			t.Errorf("ParseFileName(%q) accepted", bad)
		}
	}
}

func TestDirStore(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "out")
	st, err := OpenStore(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	// What a crashed writer left is not a findings file.
	os.WriteFile(filepath.Join(dir, "."+Shard{0, 2}.FileName()+".123.tmp"), []byte("old"), 0o600)
	p, err := st.Create(ctx, Shard{0, 2}.FileName())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(p, "one\n")
	// Nothing is visible before the commit.
	if got, _ := st.Shards(ctx, ""); len(got) != 0 {
		t.Fatalf("uncommitted file listed: %v", got)
	}
	if err := p.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	q, _ := st.Create(ctx, Shard{1, 2}.FileName())
	io.WriteString(q, "partial")
	q.Abort()
	got, err := st.Shards(ctx, "")
	if err != nil || len(got) != 1 || got[Shard{0, 2}].name == "" {
		t.Fatalf("Shards = %v, %v", got, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 { // the crashed writer's and the published file
		t.Fatalf("left behind: %v", entries)
	}
	if fi, _ := os.Stat(filepath.Join(dir, Shard{0, 2}.FileName())); fi.Mode().Perm() != 0o600 {
		t.Errorf("findings file mode %v", fi.Mode())
	}
	r, err := st.open(ctx, got[Shard{0, 2}])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "one\n" {
		t.Fatalf("content %q", b)
	}
	if _, err := OpenStore("s3://bucket/prefix", nil); err == nil {
		t.Fatal("a bucket without a client was accepted")
	}
}

func TestStatePath(t *testing.T) {
	if got := (Shard{}).StatePath("/var/lib/piiscan/state.db"); got != "/var/lib/piiscan/state.db" {
		t.Errorf("unsharded: %s", got)
	}
	if got := (Shard{2, 4}).StatePath("/var/lib/piiscan/state.db"); got != "/var/lib/piiscan/state.shard-2.db" {
		t.Errorf("sharded: %s", got)
	}
}
