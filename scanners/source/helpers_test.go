package source

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// regression ends a test whose outcome shows the return of a bug that was
// fixed: it names the bug so the failure explains itself.
func regression(t *testing.T, bug, format string, args ...any) {
	t.Helper()
	t.Fatalf("regression (%s): %s", bug, fmt.Sprintf(format, args...))
}

// helloBzip2 is bz2.compress(b"hello from bzip2\n") from Python's bz2
// module: the standard library has no bzip2 writer.
const helloBzip2Hex = "425a683931415926535955e9afe5000003d9800010400010001366d0102000229a3269e91fa840000d2af426e0bf2c0162ee48a70a120abd35fca0"

func helloBzip2(t testing.TB) []byte {
	t.Helper()
	b, err := hex.DecodeString(helloBzip2Hex)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstdBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func xzBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := xz.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// entry is one member of a tar or zip built by a test.
type entry struct {
	name string
	body string
	// typ is a tar type flag; zero means a regular file. For zips, a
	// name ending in '/' is a directory and typ == tar.TypeSymlink a link.
	typ byte
	// store keeps a zip member uncompressed.
	store bool
}

func reg(name, body string) entry { return entry{name: name, body: body} }

func tarBytes(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: 0o644, ModTime: time.Unix(1700000000, 0), Typeflag: tar.TypeReg}
		switch e.typ {
		case 0, tar.TypeReg:
			hdr.Size = int64(len(e.body))
		case tar.TypeSymlink, tar.TypeLink:
			hdr.Typeflag, hdr.Linkname = e.typ, e.body
		default:
			hdr.Typeflag = e.typ
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := io.WriteString(tw, e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipBytes(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		fh := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: time.Unix(1700000000, 0)}
		if e.store || strings.HasSuffix(e.name, "/") {
			fh.Method = zip.Store
		}
		switch {
		case strings.HasSuffix(e.name, "/"):
			fh.SetMode(os.ModeDir | 0o755)
		case e.typ == tar.TypeSymlink:
			fh.SetMode(os.ModeSymlink | 0o777)
		default:
			fh.SetMode(0o644)
		}
		w, err := zw.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// noise returns n deterministic bytes that do not compress.
func noise(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// text returns n bytes of printable, mildly compressible text.
func text(n int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 1))
	var sb strings.Builder
	for sb.Len() < n {
		fmt.Fprintf(&sb, "line %d: value=%08x\n", r.IntN(1000), r.Uint32())
	}
	return sb.String()[:n]
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// stream is one stream delivered to a StreamFunc.
type stream struct {
	path    string
	content string
}

// memberErr is one call of Expander.MemberError.
type memberErr struct {
	path string
	err  error
}

// recorder records what an expansion delivers.
type recorder struct {
	streams  []stream
	readErrs map[string]error // errors the StreamFunc got while reading
	members  []memberErr
}

func newRecorder() *recorder { return &recorder{readErrs: map[string]error{}} }

// fn reads each stream in full and returns the read error, if any, as a
// StreamFunc must for Expand to see decompression failures.
func (r *recorder) fn(path string, br *bufio.Reader, _ *Table) error {
	b, err := io.ReadAll(br)
	r.streams = append(r.streams, stream{path, string(b)})
	if err != nil {
		r.readErrs[path] = err
	}
	return err
}

func (r *recorder) expander(lim Limits) *Expander {
	return &Expander{Limits: lim, MemberError: func(p string, err error) {
		r.members = append(r.members, memberErr{p, err})
	}}
}

func (r *recorder) paths() []string {
	var ps []string
	for _, s := range r.streams {
		ps = append(ps, s.path)
	}
	return ps
}

// expandFile expands the file at p the way the scanner does: with the open
// file as reader and, when inPlace, as ReaderAt too.
func expandFile(t testing.TB, p string, lim Limits, inPlace bool) (*recorder, error) {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	var ra io.ReaderAt
	if inPlace {
		ra = f
	}
	err = rec.expander(lim).Expand(context.Background(), p, f, ra, fi.Size(), rec.fn)
	return rec, err
}

// expandBytes expands data read from a stream, without random access.
func expandBytes(t testing.TB, name string, data []byte, lim Limits) (*recorder, error) {
	t.Helper()
	rec := newRecorder()
	err := rec.expander(lim).Expand(context.Background(), name, bytes.NewReader(data), nil, -1, rec.fn)
	return rec, err
}

// checkStreams compares delivered streams, in order, with want.
func checkStreams(t *testing.T, rec *recorder, want []stream) {
	t.Helper()
	if len(rec.streams) != len(want) {
		t.Errorf("got %d streams %q, want %d %q", len(rec.streams), rec.paths(), len(want), streamPaths(want))
	}
	for i := range min(len(rec.streams), len(want)) {
		g, w := rec.streams[i], want[i]
		if g.path != w.path {
			t.Errorf("stream %d: path %q, want %q", i, g.path, w.path)
		}
		if g.content != w.content {
			t.Errorf("stream %d (%s): content %s, want %s", i, g.path, abbrev(g.content), abbrev(w.content))
		}
	}
}

// checkMembers compares MemberError calls, in order, with want (paths and
// the error each must wrap).
func checkMembers(t *testing.T, rec *recorder, want []memberErr) {
	t.Helper()
	if len(rec.members) != len(want) {
		t.Errorf("got %d member errors %v, want %d %v", len(rec.members), rec.members, len(want), want)
	}
	for i := range min(len(rec.members), len(want)) {
		g, w := rec.members[i], want[i]
		if g.path != w.path {
			t.Errorf("member error %d: path %q, want %q", i, g.path, w.path)
		}
		if !errors.Is(g.err, w.err) {
			t.Errorf("member error %d (%s): %v, want an error wrapping %v", i, g.path, g.err, w.err)
		}
	}
}

func streamPaths(ss []stream) []string {
	var ps []string
	for _, s := range ss {
		ps = append(ps, s.path)
	}
	return ps
}

func abbrev(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%q...(%d bytes)", s[:40], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// dirEntries lists the names in dir, to check that spool files are removed.
func dirEntries(t testing.TB, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func (m memberErr) String() string { return fmt.Sprintf("%s: %v", m.path, m.err) }
