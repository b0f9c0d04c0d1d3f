package source

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/piiscan/piiscan/internal/itempath"
)

// Limits bound the work one top-level input may cause, against
// decompression bombs and runaway nesting.
type Limits struct {
	// MaxDepth is how deep archives may nest: a member of a top-level
	// archive is at depth 1. Compression layers (a .gz around a .tar) do
	// not count. Default 3.
	MaxDepth int
	// MaxBytes is the most bytes decompressed from one top-level input,
	// across all its layers and members. Default 16 GiB.
	MaxBytes int64
	// MaxRatio is the largest decompressed:compressed ratio of one layer,
	// checked once a layer has produced RatioFloor bytes. Default 200.
	MaxRatio int64
	// RatioFloor is how much a layer may produce before MaxRatio applies,
	// so small, very compressible files are fine. Default 64 MiB.
	RatioFloor int64
	// MaxSpool is the largest zip archive read from a stream (a member of
	// another archive, or stdin) that is spooled to a temporary file for
	// random access. Default 4 GiB.
	MaxSpool int64
	// SpoolDir holds spooled archives. Default os.TempDir(). A spool
	// file has no name there while it is used (on Unix: it is removed
	// as soon as it is created), and spool files other runs left behind
	// are removed.
	SpoolDir string
	// MaxEntries is the most entries a zip archive may list; one with
	// more is refused as a bomb. Each entry costs 16 bytes while the
	// archive is read (its central directory is checked before any
	// member is). Default 1,000,000.
	MaxEntries int
}

// WithDefaults returns l with zero fields set to their defaults.
func (l Limits) WithDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = 3
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = 16 << 30
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = 200
	}
	if l.RatioFloor <= 0 {
		l.RatioFloor = 64 << 20
	}
	if l.MaxSpool <= 0 {
		l.MaxSpool = 4 << 30
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = 1_000_000
	}
	return l
}

// Errors that describe why an input was not (fully) read.
var (
	// ErrBomb means a limit against decompression bombs was reached.
	ErrBomb = errors.New("decompression limit reached (possible decompression bomb)")
	// ErrTooDeep means archives nest deeper than Limits.MaxDepth.
	ErrTooDeep = errors.New("archive nesting deeper than the configured limit")
	// ErrCorrupt means a compressed file or archive is malformed or truncated.
	ErrCorrupt = errors.New("corrupt or truncated")
)

// maxLayers bounds compression layers around one stream (.gz.gz.gz...).
const maxLayers = 4

// StreamFunc receives one stream of content: a plain file, a decompressed
// file or an archive member. path is the input's name for a plain or
// compressed file, and ARCHIVE!MEMBER (made with itempath.Join) for members.
// r is only valid during the call. An error wrapping a context error stops
// the walk of the input; any other error is reported for path and the walk
// goes on with the next member.
// t is nil but for a stream rendered from a table (see Table).
type StreamFunc func(path string, r *bufio.Reader, t *Table) error

// Expander opens inputs as streams, looking through compression and
// archives.
type Expander struct {
	Limits Limits
	// MemberError is called for a member of an archive that could not be
	// read; the rest of the archive is still read.
	MemberError func(path string, err error)
	// Beside, when not nil, opens the file beside the input on disk
	// whose name is the input's with suffix added (a database's
	// write-ahead log or rollback journal): nil where there is none, or
	// it is no regular file; an error where it is and cannot be read.
	Beside func(suffix string) (*os.File, error)
}

// Expand reads the input r (named name) and calls fn for every stream of
// content in it. name is the input's finding path (itempath.Escape of its real
// name), which the paths of its members extend. ra, when not nil, gives random access to the same bytes
// (size of them), so a zip archive is read in place; without it a zip is
// spooled to a temporary file. The returned error concerns name itself;
// errors of archive members go to MemberError.
func (x *Expander) Expand(ctx context.Context, name string, r io.Reader, ra io.ReaderAt, size int64, fn StreamFunc) error {
	ex := &expansion{ctx: ctx, x: x, lim: x.Limits.WithDefaults(), fn: fn}
	ex.remaining = ex.lim.MaxBytes
	dir := ex.lim.SpoolDir
	if dir == "" {
		dir = os.TempDir()
	}
	sweepSpool(dir) // once per process and directory
	if size < 0 {
		ra = nil
	}
	return ex.expand(name, r, size, ra, 0, 0)
}

type expansion struct {
	ctx       context.Context
	x         *Expander
	lim       Limits
	fn        StreamFunc
	remaining int64 // decompression budget left for this input
}

// Format is the detected format of a stream.
type Format int

// Formats recognised by their magic bytes.
const (
	FormatPlain Format = iota
	FormatGzip
	FormatZstd
	FormatBzip2
	FormatXz
	FormatZip
	FormatTar
	FormatParquet
	FormatAvro
	FormatMail
	FormatMbox
	FormatSQLite
)

var formatNames = [...]string{"plain", "gzip", "zstd", "bzip2", "xz", "zip", "tar", "parquet", "avro", "mail", "mbox", "sqlite"}

func (f Format) String() string { return formatNames[f] }

// Sniff detects a format from the first bytes of a stream (512 bytes are
// enough for all of them). The name is not consulted: a .bak that is a
// gzip is a gzip.
func Sniff(head []byte) Format {
	switch {
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		return FormatGzip
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}),
		// A skippable frame first, as pzstd writes.
		len(head) >= 4 && head[0]&0xf0 == 0x50 && head[1] == 0x2a && head[2] == 0x4d && head[3] == 0x18:
		return FormatZstd
	case len(head) >= 4 && head[0] == 'B' && head[1] == 'Z' && head[2] == 'h' && head[3] >= '1' && head[3] <= '9':
		return FormatBzip2
	case bytes.HasPrefix(head, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return FormatXz
	case bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return FormatZip
	case isTarHeader(head):
		return FormatTar
	case bytes.HasPrefix(head, []byte("PAR1")), bytes.HasPrefix(head, []byte("PARE")):
		return FormatParquet
	case bytes.HasPrefix(head, avroMagic):
		return FormatAvro
	case isSQLite(head):
		return FormatSQLite
	case isMbox(head):
		return FormatMbox
	case isMessage(head):
		return FormatMail
	}
	return FormatPlain
}

// SniffReader detects the format of what br reads, from its first bytes
// (not consumed): 512 are enough for every format but mail, whose header
// may take more before a field only mail has (SpamAssassin's, first); a
// head that starts like a header is looked at up to 16 KiB. head is the
// first 512 bytes.
func SniffReader(br *bufio.Reader, head []byte) Format {
	f := Sniff(head)
	if f != FormatPlain || len(head) < 512 || !maybeHeader(head) {
		return f
	}
	more, _ := br.Peek(min(16<<10, br.Size()))
	if isMessage(more) {
		return FormatMail
	}
	return f
}

// isTarHeader recognises a POSIX/GNU tar header by its magic, or an old
// (v7) one by its checksum.
func isTarHeader(h []byte) bool {
	if len(h) < 512 {
		return false
	}
	if bytes.HasPrefix(h[257:], []byte("ustar")) {
		return true
	}
	chk := bytes.TrimRight(bytes.TrimLeft(h[148:156], " \x00"), " \x00")
	want, err := strconv.ParseInt(string(chk), 8, 64)
	if err != nil || len(chk) == 0 {
		return false
	}
	var sum int64
	for i, c := range h[:512] {
		if i >= 148 && i < 156 {
			c = ' '
		}
		sum += int64(c)
	}
	return sum == want && h[0] != 0
}

func (ex *expansion) expand(name string, r io.Reader, size int64, ra io.ReaderAt, depth, layers int) error {
	if err := ex.ctx.Err(); err != nil {
		return err
	}
	b := getBuffer(r)
	defer putBuffer(b)
	br := b.br
	head, err := br.Peek(512)
	if err != nil && err != io.EOF && len(head) == 0 {
		return readError(name, "read", err)
	}
	// A stream that fails within its first 512 bytes (a truncated .gz)
	// goes on all the same: its reader gives the bytes read, then the
	// error again, so what came before the damage is scanned and the
	// damage reported.
	switch f := SniffReader(br, head); f {
	case FormatGzip, FormatZstd, FormatBzip2, FormatXz:
		if layers >= maxLayers {
			return &fs.PathError{Op: "decompress", Path: name, Err: fmt.Errorf("%w: more than %d compression layers", ErrBomb, maxLayers)}
		}
		in := &countingReader{r: br}
		dr, closeFn, err := decompressor(f, in)
		if err != nil {
			return &fs.PathError{Op: f.String(), Path: name, Err: fmt.Errorf("%w: %v", ErrCorrupt, err)}
		}
		defer closeFn()
		out := &limitedReader{r: dr, in: in, ex: ex, format: f}
		err = ex.expand(name, out, -1, nil, depth, layers+1)
		return err
	case FormatTar:
		return ex.tar(name, br, depth)
	case FormatZip:
		return ex.zip(name, br, size, ra, depth)
	case FormatParquet:
		return ex.parquet(name, br, size, ra)
	case FormatAvro:
		return ex.avro(name, br)
	case FormatMail:
		return ex.mail(name, br, depth, nil)
	case FormatMbox:
		return ex.mbox(name, br, depth)
	case FormatSQLite:
		return ex.sqlite(name, br, size, ra, depth == 0 && layers == 0)
	}
	return ex.fn(name, br, nil)
}

// buffer is the buffered reader a stream is read through. Its errors
// stick: bufio.Reader.Peek hands an error out once and forgets it, and a
// decompressor need not return it twice.
type buffer struct {
	br  *bufio.Reader
	src stickyReader
}

// buffers recycles buffers: an archive of a million small members must not
// allocate 64 KiB for each.
var buffers = sync.Pool{New: func() any {
	b := &buffer{}
	b.br = bufio.NewReaderSize(&b.src, 64<<10)
	return b
}}

func getBuffer(r io.Reader) *buffer {
	b := buffers.Get().(*buffer)
	b.src = stickyReader{r: r}
	b.br.Reset(&b.src)
	return b
}

func putBuffer(b *buffer) {
	b.src = stickyReader{}
	b.br.Reset(&b.src)
	buffers.Put(b)
}

// stickyReader returns the first error of r for good.
type stickyReader struct {
	r   io.Reader
	err error
}

func (s *stickyReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	s.err = err
	return n, err
}

// readError wraps a read failure, keeping decompression errors recognisable
// as corrupt input.
func readError(name, op string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) || errors.Is(err, ErrBomb) {
		return err
	}
	return &fs.PathError{Op: op, Path: name, Err: err}
}

func (ex *expansion) member(archive, member string) string {
	return itempath.Join(archive, memberName(member))
}

// memberName cleans the name of an archive's member: no "..", no
// leading "/" or "./".
func memberName(member string) string {
	return strings.TrimPrefix(path.Clean("/"+member), "/")
}

// fatal reports whether err must stop the whole input rather than one member.
func fatal(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errBudget)
}

func (ex *expansion) memberError(p string, err error) error {
	if err == nil {
		return nil
	}
	if fatal(err) {
		return err
	}
	if ex.x.MemberError != nil {
		ex.x.MemberError(p, err)
	}
	return nil
}

func (ex *expansion) tar(name string, r io.Reader, depth int) error {
	if depth >= ex.lim.MaxDepth {
		return &fs.PathError{Op: "tar", Path: name, Err: fmt.Errorf("%w (%d)", ErrTooDeep, ex.lim.MaxDepth)}
	}
	in := &countingReader{r: r}
	tr := tar.NewReader(in)
	for {
		if err := ex.ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if fatal(err) || errors.Is(err, ErrBomb) || errors.Is(err, ErrCorrupt) {
				return err
			}
			return &fs.PathError{Op: "tar", Path: name, Err: fmt.Errorf("%w: %v", ErrCorrupt, err)}
		}
		if hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeGNUSparse {
			continue
		}
		p := ex.member(name, hdr.Name)
		var member io.Reader = tarMember{tr}
		if sparse(hdr) {
			// A sparse member expands holes that take no space in the
			// archive: 139 bytes of tar.gz can hold a terabyte of zeros.
			member = &limitedReader{r: member, in: in, ex: ex, format: FormatTar}
		}
		if err := ex.expand(p, member, hdr.Size, nil, depth+1, 0); err != nil {
			if err := ex.memberError(p, err); err != nil {
				return err
			}
		}
	}
}

// sparse reports whether a tar member is stored sparse (GNU or PAX form).
func sparse(hdr *tar.Header) bool {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// tarMember reads a tar member, reporting one cut short as corrupt.
type tarMember struct{ r io.Reader }

func (t tarMember) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err == io.ErrUnexpectedEOF {
		err = fmt.Errorf("tar: %w: member cut short", ErrCorrupt)
	}
	return n, err
}

func (ex *expansion) zip(name string, br *bufio.Reader, size int64, ra io.ReaderAt, depth int) error {
	if depth >= ex.lim.MaxDepth {
		return &fs.PathError{Op: "zip", Path: name, Err: fmt.Errorf("%w (%d)", ErrTooDeep, ex.lim.MaxDepth)}
	}
	if ra == nil {
		f, n, err := ex.spool(name, br, "zip archive")
		if err != nil {
			return err
		}
		defer CloseSpool(f)
		ra, size = f, n
	}
	z, err := openZip(ra, size)
	if err != nil {
		return &fs.PathError{Op: "zip", Path: name, Err: corrupt(err)}
	}
	survey, err := z.survey(ex.lim)
	if err != nil {
		return &fs.PathError{Op: "zip", Path: name, Err: corrupt(err)}
	}
	doc := ex.officeLayout(z, survey) // nil but for an office document
	defer doc.close()
	d := z.dir()
	for {
		if err := ex.ctx.Err(); err != nil {
			return err
		}
		e, err := d.next()
		if err != nil {
			return &fs.PathError{Op: "zip", Path: name, Err: corrupt(err)}
		}
		if e == nil {
			return nil
		}
		if e.skip() {
			continue
		}
		m := memberName(string(e.name))
		p := itempath.Join(name, m)
		done := false
		if doc != nil {
			done, err = ex.officePart(doc, p, m, z, e, survey)
		}
		if !done {
			err = ex.zipMember(p, z, e, survey, depth)
		}
		if err != nil {
			if errors.Is(err, errOverlap) {
				return &fs.PathError{Op: "zip", Path: name, Err: err}
			}
			if err := ex.memberError(p, err); err != nil {
				return err
			}
		}
	}
}

// corrupt marks an error reading an archive's structure as ErrCorrupt,
// unless it says why already.
func corrupt(err error) error {
	if errors.Is(err, ErrCorrupt) || errors.Is(err, ErrBomb) || fatal(err) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrCorrupt, err)
}

func (ex *expansion) zipMember(p string, z *zipArchive, e *zipEntry, s *zipSurvey, depth int) error {
	r, closeFn, err := ex.memberReader(z, e, s)
	if err != nil {
		return &fs.PathError{Op: "unzip", Path: p, Err: err}
	}
	defer closeFn()
	return ex.expand(p, r, int64(e.size), nil, depth+1, 0)
}

// spool copies a file read from a stream into a temporary file, for the
// formats that need random access (what: "zip archive").
func (ex *expansion) spool(name string, r io.Reader, what string) (*os.File, int64, error) {
	f, err := CreateSpool(ex.lim.SpoolDir)
	if err != nil {
		return nil, 0, fmt.Errorf("spooling %s: %w", name, err)
	}
	n, err := io.Copy(f, io.LimitReader(ctxReader{ex.ctx, r}, ex.lim.MaxSpool+1))
	if err == nil && n > ex.lim.MaxSpool {
		err = fmt.Errorf("%w: %s larger than %d bytes cannot be spooled", ErrBomb, what, ex.lim.MaxSpool)
	}
	if err != nil {
		CloseSpool(f)
		if fatal(err) {
			return nil, 0, err
		}
		return nil, 0, readError(name, "spool", err)
	}
	return f, n, nil
}

// ContextReader returns a reader of r that stops, with ctx's error, once
// ctx is done: a long copy or parse stops at its next read.
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return ctxReader{ctx, r} }

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func decompressor(f Format, r io.Reader) (io.Reader, func(), error) {
	switch f {
	case FormatGzip:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() { zr.Close() }, nil
	case FormatZstd:
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxWindow), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, nil, err
		}
		return zr, zr.Close, nil
	case FormatBzip2:
		return bzip2.NewReader(r), func() {}, nil
	case FormatXz:
		// Every block's dictionary is checked (see xz.go).
		return newXZReader(r, maxWindow), func() {}, nil
	}
	return nil, nil, fmt.Errorf("not a compressed format: %v", f)
}

// maxWindow bounds the memory a decompressor may ask for: zstd windows and
// xz dictionaries (xz -9 uses 64 MiB).
const maxWindow = 256 << 20

// countingReader counts the compressed bytes a decompressor consumed.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ReadByte reads one byte, for decoders that read byte by byte (xz).
func (c *countingReader) ReadByte() (byte, error) {
	if br, ok := c.r.(io.ByteReader); ok {
		b, err := br.ReadByte()
		if err == nil {
			c.n++
		}
		return b, err
	}
	var p [1]byte
	if _, err := io.ReadFull(c, p[:]); err != nil {
		return 0, err
	}
	return p[0], nil
}

var errBudget = errors.New("budget")

// limitedReader enforces the byte budget of the input and the ratio of one
// layer, and marks decompression errors as corrupt input.
type limitedReader struct {
	r      io.Reader
	in     *countingReader
	ex     *expansion
	out    int64
	format Format
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if err := l.ex.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := l.r.Read(p)
	l.out += int64(n)
	l.ex.remaining -= int64(n)
	lim := l.ex.lim
	if l.ex.remaining < 0 {
		return n, fmt.Errorf("%w: %w: more than %d bytes decompressed from one input", errBudget, ErrBomb, lim.MaxBytes)
	}
	if l.out > lim.RatioFloor && l.out > max(l.in.n, 1)*lim.MaxRatio {
		return n, fmt.Errorf("%w: %s ratio above %d:1", ErrBomb, l.format, lim.MaxRatio)
	}
	if err != nil && err != io.EOF {
		if fatal(err) || errors.Is(err, ErrBomb) || errors.Is(err, ErrCorrupt) || errors.Is(err, ErrSQLite) {
			return n, err
		}
		return n, fmt.Errorf("%s: %w: %v", l.format, ErrCorrupt, err)
	}
	return n, err
}
