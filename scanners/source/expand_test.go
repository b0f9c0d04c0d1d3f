package source

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestExpandSingleStream(t *testing.T) {
	hello := []byte("hello, plain world\n")
	long := text(200<<10, 1) // larger than the 64 KiB read buffer
	tests := []struct {
		name string // the file name: it must not matter
		data []byte
		want string
	}{
		{"plain.txt", hello, string(hello)},
		{"empty.txt", nil, ""},
		{"long.txt", []byte(long), long},
		{"a.gz", gzipBytes(t, hello), string(hello)},
		{"long.gz", gzipBytes(t, []byte(long)), long},
		{"a.zst", zstdBytes(t, hello), string(hello)},
		{"long.zst", zstdBytes(t, []byte(long)), long},
		{"a.bz2", helloBzip2(t), "hello from bzip2\n"},
		{"a.xz", xzBytes(t, hello), string(hello)},
		{"long.xz", xzBytes(t, []byte(long)), long},
		{"empty.gz", gzipBytes(t, nil), ""},
		{"gzip named backup.bak", gzipBytes(t, hello), string(hello)},
		{"plain named not.gz", hello, string(hello)},
		{"plain named fake.zip", []byte("PK but not a zip"), "PK but not a zip"},
		{"multi-member.gz", concat(gzipBytes(t, []byte("first\n")), gzipBytes(t, []byte("second\n"))), "first\nsecond\n"},
		{"gz of zst", gzipBytes(t, zstdBytes(t, hello)), string(hello)},
		{"xz of gz of bz2", xzBytes(t, gzipBytes(t, helloBzip2(t))), "hello from bzip2\n"},
	}
	for _, tt := range tests {
		for _, inPlace := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/inPlace=%v", tt.name, inPlace), func(t *testing.T) {
				p := writeFile(t, t.TempDir(), tt.name, tt.data)
				rec, err := expandFile(t, p, Limits{}, inPlace)
				if err != nil {
					t.Fatalf("Expand: %v", err)
				}
				checkStreams(t, rec, []stream{{p, tt.want}})
				checkMembers(t, rec, nil)
			})
		}
	}
}

// tarMembers is the content of the archives of TestExpandTar; the stream
// paths it should produce are tarWant.
var tarMembers = []entry{
	reg("./a/b.txt", "member b\n"),
	{name: "dir/", typ: tar.TypeDir},
	{name: "link", body: "a/b.txt", typ: tar.TypeSymlink},
	{name: "hard", body: "a/b.txt", typ: tar.TypeLink},
	{name: "fifo", typ: tar.TypeFifo},
	reg("dir/c.csv", "name,email\nAda,ada@example.com\n"),
	reg("empty.txt", ""),
	reg("../up.txt", "no escape\n"),
	reg("/abs.txt", "absolute\n"),
	reg("x//y/./z.txt", "messy\n"),
}

var tarWant = []stream{
	{"a/b.txt", "member b\n"},
	{"dir/c.csv", "name,email\nAda,ada@example.com\n"},
	{"empty.txt", ""},
	{"up.txt", "no escape\n"},
	{"abs.txt", "absolute\n"},
	{"x/y/z.txt", "messy\n"},
}

func TestExpandTar(t *testing.T) {
	tarball := tarBytes(t, tarMembers...)
	tests := []struct {
		name string
		data []byte
	}{
		{"a.tar", tarball},
		{"a.tar.gz", gzipBytes(t, tarball)},
		{"a.tgz", gzipBytes(t, tarball)},
		{"a.tar.zst", zstdBytes(t, tarball)},
		{"a.tar.xz", xzBytes(t, tarball)},
		{"misnamed.txt", gzipBytes(t, tarball)},
	}
	if bz, err := exec.LookPath("bzip2"); err == nil {
		cmd := exec.Command(bz, "-c")
		cmd.Stdin = bytes.NewReader(tarball)
		if out, err := cmd.Output(); err == nil {
			tests = append(tests, struct {
				name string
				data []byte
			}{"a.tar.bz2", out})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), tt.name, tt.data)
			rec, err := expandFile(t, p, Limits{}, true)
			if err != nil {
				t.Fatalf("Expand: %v", err)
			}
			var want []stream
			for _, s := range tarWant {
				want = append(want, stream{p + "!" + s.path, s.content})
			}
			checkStreams(t, rec, want)
			checkMembers(t, rec, nil)
		})
	}

	t.Run("v7 tar", func(t *testing.T) {
		rec, err := expandBytes(t, "old.tar", v7Tar("./old.txt", "from 1979\n"), Limits{})
		if err != nil {
			t.Fatalf("Expand: %v", err)
		}
		checkStreams(t, rec, []stream{{"old.tar!old.txt", "from 1979\n"}})
	})

	t.Run("empty tar", func(t *testing.T) {
		rec, err := expandBytes(t, "empty.tar", tarBytes(t, entry{name: "only-a-dir/", typ: tar.TypeDir}), Limits{})
		if err != nil {
			t.Fatalf("Expand: %v", err)
		}
		checkStreams(t, rec, nil)
	})
}

func TestExpandZip(t *testing.T) {
	archive := zipBytes(t,
		reg("./x/a.txt", "deflated a\n"),
		entry{name: "s.txt", body: "stored s\n", store: true},
		entry{name: "d/"},
		entry{name: "ln", body: "s.txt", typ: tar.TypeSymlink},
		reg("../evil.txt", "cleaned\n"),
		reg("big.txt", text(100<<10, 2)),
	)
	want := func(name string) []stream {
		return []stream{
			{name + "!x/a.txt", "deflated a\n"},
			{name + "!s.txt", "stored s\n"},
			{name + "!evil.txt", "cleaned\n"},
			{name + "!big.txt", text(100<<10, 2)},
		}
	}

	t.Run("in place", func(t *testing.T) {
		spool := t.TempDir()
		p := writeFile(t, t.TempDir(), "a.zip", archive)
		// A zip read through its ReaderAt is not spooled, so the tiny
		// MaxSpool does not matter.
		rec, err := expandFile(t, p, Limits{MaxSpool: 1, SpoolDir: spool}, true)
		if err != nil {
			t.Fatalf("Expand: %v", err)
		}
		checkStreams(t, rec, want(p))
		checkMembers(t, rec, nil)
	})

	t.Run("from a stream", func(t *testing.T) {
		spool := t.TempDir()
		var spooled []string
		rec := newRecorder()
		x := rec.expander(Limits{SpoolDir: spool})
		// Look into the spool directory while the members are read.
		looked := false
		fn := func(p string, br *bufio.Reader, _ *Table) error {
			if !looked {
				spooled, looked = dirEntries(t, spool), true
			}
			return rec.fn(p, br, nil)
		}
		if err := x.Expand(context.Background(), "-", bytes.NewReader(archive), nil, -1, fn); err != nil {
			t.Fatalf("Expand: %v", err)
		}
		checkStreams(t, rec, want("-"))
		checkMembers(t, rec, nil)
		// Raw archive content must not outlive the run, even one killed
		// with SIGKILL: on Unix the spool file has no name while it is
		// read.
		if unlinkOpen && len(spooled) != 0 {
			regression(t, "a spool file keeps its name while in use",
				"spool directory while reading: %q, want it empty", spooled)
		}
		if left := dirEntries(t, spool); len(left) != 0 {
			t.Errorf("spool files left behind: %q", left)
		}
	})

	t.Run("unknown size ignores the ReaderAt", func(t *testing.T) {
		spool := t.TempDir()
		rec := newRecorder()
		x := rec.expander(Limits{SpoolDir: spool, MaxSpool: 10})
		r := bytes.NewReader(archive)
		err := x.Expand(context.Background(), "-", r, r, -1, rec.fn)
		if !errors.Is(err, ErrBomb) {
			t.Fatalf("Expand = %v, want ErrBomb from spooling past MaxSpool", err)
		}
		checkStreams(t, rec, nil)
		if left := dirEntries(t, spool); len(left) != 0 {
			t.Errorf("spool files left behind: %q", left)
		}
	})

	t.Run("MaxSpool boundary", func(t *testing.T) {
		for _, max := range []int64{int64(len(archive)), int64(len(archive)) - 1} {
			spool := t.TempDir()
			rec, err := expandBytes(t, "z", archive, Limits{SpoolDir: spool, MaxSpool: max})
			if max == int64(len(archive)) {
				if err != nil {
					t.Errorf("MaxSpool=size: Expand = %v, want nil", err)
				}
				checkStreams(t, rec, want("z"))
			} else if !errors.Is(err, ErrBomb) {
				t.Errorf("MaxSpool=size-1: Expand = %v, want ErrBomb", err)
			}
			if left := dirEntries(t, spool); len(left) != 0 {
				t.Errorf("spool files left behind: %q", left)
			}
		}
	})

	t.Run("empty zip", func(t *testing.T) {
		rec, err := expandBytes(t, "e.zip", zipBytes(t), Limits{SpoolDir: t.TempDir()})
		if err != nil {
			t.Fatalf("Expand: %v", err)
		}
		checkStreams(t, rec, nil)
	})

	t.Run("zip in a tar is spooled", func(t *testing.T) {
		spool := t.TempDir()
		outer := tarBytes(t, reg("in.zip", string(archive)), reg("after.txt", "after\n"))
		rec, err := expandBytes(t, "o.tar", outer, Limits{SpoolDir: spool})
		if err != nil {
			t.Fatalf("Expand: %v", err)
		}
		checkStreams(t, rec, append(want("o.tar!in.zip"), stream{"o.tar!after.txt", "after\n"}))
		if left := dirEntries(t, spool); len(left) != 0 {
			t.Errorf("spool files left behind: %q", left)
		}
	})

	t.Run("zip in a tar too big to spool", func(t *testing.T) {
		spool := t.TempDir()
		outer := tarBytes(t, reg("in.zip", string(archive)), reg("after.txt", "after\n"))
		rec, err := expandBytes(t, "o.tar", outer, Limits{SpoolDir: spool, MaxSpool: 100})
		if err != nil {
			t.Fatalf("Expand: %v", err)
		}
		checkStreams(t, rec, []stream{{"o.tar!after.txt", "after\n"}})
		checkMembers(t, rec, []memberErr{{"o.tar!in.zip", ErrBomb}})
		if left := dirEntries(t, spool); len(left) != 0 {
			t.Errorf("spool files left behind: %q", left)
		}
	})
}

func TestExpandNested(t *testing.T) {
	inner := zipBytes(t, reg("deep.txt", "deep content\n"), reg("deeper.gz", string(gzipBytes(t, []byte("gz in zip\n")))))
	outer := gzipBytes(t, tarBytes(t, reg("readme.txt", "top\n"), reg("inner.zip", string(inner)), reg("tail.txt", "tail\n")))
	p := writeFile(t, t.TempDir(), "outer.tar.gz", outer)
	rec, err := expandFile(t, p, Limits{SpoolDir: t.TempDir()}, true)
	if err != nil {
		t.Fatalf("Expand: %v", err)
	}
	checkStreams(t, rec, []stream{
		{p + "!readme.txt", "top\n"},
		{p + "!inner.zip!deep.txt", "deep content\n"},
		{p + "!inner.zip!deeper.gz", "gz in zip\n"},
		{p + "!tail.txt", "tail\n"},
	})
	checkMembers(t, rec, nil)
}

// Depth semantics, from expand.go: the top-level input is at depth 0, the
// members of a top-level archive at depth 1, and an archive at depth d is
// opened only if d < MaxDepth. Compression layers do not count. So with the
// default MaxDepth of 3, a.tar.gz!b.zip!c.tar!file is read (c.tar is at
// depth 2) but an archive inside c.tar (depth 3) is refused.
func TestExpandDepth(t *testing.T) {
	leafZip := zipBytes(t, reg("z.txt", "z"))
	leafTar := tarBytes(t, reg("t.txt", "t"))
	tests := []struct {
		name    string
		maxD    int
		data    []byte
		streams []stream
		tooDeep []string // members refused with ErrTooDeep
	}{
		{
			name: "MaxDepth 1: a zip in a tar is refused, other members are read",
			maxD: 1,
			data: tarBytes(t,
				reg("first.txt", "1"),
				reg("inner.zip", string(leafZip)),
				reg("inner.tar", string(leafTar)),
				reg("inner.tar.gz", string(gzipBytes(t, leafTar))),
				reg("c.txt.gz", string(gzipBytes(t, []byte("decompressed")))),
				reg("last.txt", "2")),
			streams: []stream{{"a!first.txt", "1"}, {"a!c.txt.gz", "decompressed"}, {"a!last.txt", "2"}},
			tooDeep: []string{"a!inner.zip", "a!inner.tar", "a!inner.tar.gz"},
		},
		{
			name:    "MaxDepth 1: a top-level zip is read",
			maxD:    1,
			data:    zipBytes(t, reg("x.txt", "x"), reg("in.tar.gz", string(gzipBytes(t, leafTar)))),
			streams: []stream{{"a!x.txt", "x"}},
			tooDeep: []string{"a!in.tar.gz"},
		},
		{
			name:    "MaxDepth 1: compression layers around the top-level archive do not count",
			maxD:    1,
			data:    zstdBytes(t, gzipBytes(t, gzipBytes(t, leafTar))),
			streams: []stream{{"a!t.txt", "t"}},
		},
		{
			name:    "MaxDepth 2: tar in zip",
			maxD:    2,
			data:    zipBytes(t, reg("b.tar", string(tarBytes(t, reg("c.txt", "c"), reg("d.tar", string(leafTar)))))),
			streams: []stream{{"a!b.tar!c.txt", "c"}},
			tooDeep: []string{"a!b.tar!d.tar"},
		},
		{
			name: "default depth: tar.gz!zip!tar!file is read, one archive more is refused",
			data: gzipBytes(t, tarBytes(t, reg("b.zip", string(zipBytes(t,
				reg("c.tar", string(tarBytes(t,
					reg("d.txt", "three deep"),
					reg("e.zip", string(leafZip)),
					reg("f.txt.gz", string(gzipBytes(t, []byte("compressed, three deep")))),
				))),
			))))),
			streams: []stream{{"a!b.zip!c.tar!d.txt", "three deep"}, {"a!b.zip!c.tar!f.txt.gz", "compressed, three deep"}},
			tooDeep: []string{"a!b.zip!c.tar!e.zip"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := expandBytes(t, "a", tt.data, Limits{MaxDepth: tt.maxD, SpoolDir: t.TempDir()})
			if err != nil {
				t.Fatalf("Expand: %v", err)
			}
			checkStreams(t, rec, tt.streams)
			var want []memberErr
			for _, p := range tt.tooDeep {
				want = append(want, memberErr{p, ErrTooDeep})
			}
			checkMembers(t, rec, want)
			for _, m := range rec.members {
				var pe *fs.PathError
				if !errors.As(m.err, &pe) || pe.Path != m.path {
					t.Errorf("member error %v: want a *fs.PathError for %s", m.err, m.path)
				}
			}
		})
	}
}

func TestExpandStreamFuncErrors(t *testing.T) {
	archive := tarBytes(t, reg("1.txt", "one"), reg("2.txt", "two"), reg("3.txt", "three"))
	errX := errors.New("consumer failed")

	t.Run("member error is reported and the archive goes on", func(t *testing.T) {
		rec := newRecorder()
		x := rec.expander(Limits{})
		err := x.Expand(context.Background(), "a.tar", bytes.NewReader(archive), nil, -1, func(p string, br *bufio.Reader, _ *Table) error {
			if p == "a.tar!2.txt" {
				return errX
			}
			return rec.fn(p, br, nil)
		})
		if err != nil {
			t.Fatalf("Expand: %v", err)
		}
		checkStreams(t, rec, []stream{{"a.tar!1.txt", "one"}, {"a.tar!3.txt", "three"}})
		checkMembers(t, rec, []memberErr{{"a.tar!2.txt", errX}})
	})

	t.Run("no MemberError callback", func(t *testing.T) {
		var got []string
		x := &Expander{}
		err := x.Expand(context.Background(), "a.tar", bytes.NewReader(archive), nil, -1, func(p string, br *bufio.Reader, _ *Table) error {
			got = append(got, p)
			return errX
		})
		if err != nil {
			t.Fatalf("Expand: %v", err)
		}
		if want := []string{"a.tar!1.txt", "a.tar!2.txt", "a.tar!3.txt"}; !slices.Equal(got, want) {
			t.Errorf("streams %q, want %q", got, want)
		}
	})

	t.Run("top-level error is returned", func(t *testing.T) {
		rec := newRecorder()
		x := rec.expander(Limits{})
		err := x.Expand(context.Background(), "plain", bytes.NewReader([]byte("text")), nil, -1, func(string, *bufio.Reader, *Table) error { return errX })
		if !errors.Is(err, errX) {
			t.Errorf("Expand = %v, want %v", err, errX)
		}
		checkMembers(t, rec, nil)
	})

	for _, ctxErr := range []error{context.Canceled, context.DeadlineExceeded} {
		t.Run(fmt.Sprintf("%v stops the archive", ctxErr), func(t *testing.T) {
			rec := newRecorder()
			x := rec.expander(Limits{})
			var got []string
			err := x.Expand(context.Background(), "a.tar", bytes.NewReader(archive), nil, -1, func(p string, br *bufio.Reader, _ *Table) error {
				got = append(got, p)
				return fmt.Errorf("reading %s: %w", p, ctxErr)
			})
			if !errors.Is(err, ctxErr) {
				t.Errorf("Expand = %v, want %v", err, ctxErr)
			}
			if want := []string{"a.tar!1.txt"}; !slices.Equal(got, want) {
				t.Errorf("streams %q, want %q", got, want)
			}
			checkMembers(t, rec, nil)
		})
	}
}

func TestExpandContext(t *testing.T) {
	zipped := zipBytes(t, reg("1.txt", "one"), reg("2.txt", "two"))
	tests := []struct {
		name string
		data []byte
	}{
		{"plain", []byte("plain")},
		{"gzip", gzipBytes(t, []byte("plain"))},
		{"tar", tarBytes(t, reg("1.txt", "one"), reg("2.txt", "two"))},
		{"zip", zipped},
	}
	for _, tt := range tests {
		t.Run("cancelled before/"+tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			rec := newRecorder()
			err := rec.expander(Limits{}).Expand(ctx, "in", bytes.NewReader(tt.data), nil, -1, rec.fn)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Expand = %v, want context.Canceled", err)
			}
			checkStreams(t, rec, nil)
			checkMembers(t, rec, nil)
		})
	}

	// Cancelled while a member is read: the next member is not started.
	t.Run("cancelled during a member/zip", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		p := writeFile(t, t.TempDir(), "a.zip", zipped)
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rec := newRecorder()
		err = rec.expander(Limits{}).Expand(ctx, p, f, f, int64(len(zipped)), func(path string, br *bufio.Reader, _ *Table) error {
			cancel()
			return rec.fn(path, br, nil)
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Expand = %v, want context.Canceled", err)
		}
		checkStreams(t, rec, []stream{{p + "!1.txt", "one"}})
		checkMembers(t, rec, nil)
	})
}

// The paths of members are the archive's name, '!', and the cleaned member
// name, whatever directory the archive is in.
func TestExpandMemberPathKeepsArchiveName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dir with spaces", "x!y")
	p := writeFile(t, dir, "a.tar", tarBytes(t, reg("m.txt", "m")))
	rec, err := expandFile(t, p, Limits{}, true)
	if err != nil {
		t.Fatal(err)
	}
	checkStreams(t, rec, []stream{{p + "!m.txt", "m"}})
}

// pzstd (parallel zstd, shipped with zstd) starts its files with a
// skippable frame holding the size of the next frame; the zstd decoder
// skips such frames, so the file is an ordinary .zst.
func TestExpandZstdSkippableFrame(t *testing.T) {
	frame := zstdBytes(t, []byte("hello pzstd\n"))
	skippable := []byte{0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, byte(len(frame)), byte(len(frame) >> 8), 0, 0}
	data := concat(skippable, frame)
	rec, err := expandBytes(t, "p.zst", data, Limits{})
	if err == nil && len(rec.streams) == 1 && rec.streams[0].content == string(data) {
		regression(t, "zstd files starting with a skippable frame are not recognised",
			"Sniff(%x...) = %v; the compressed bytes were delivered as plain text", data[:4], Sniff(data))
	}
	if err != nil {
		t.Fatalf("Expand = %v", err)
	}
	checkStreams(t, rec, []stream{{"p.zst", "hello pzstd\n"}})
}
