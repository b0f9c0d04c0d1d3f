package retention

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/bucket"
	"github.com/piiscan/piiscan/scanners/source"
)

// errNotText means a file is not a (compressed) text file that can be
// rewritten: an archive, or a compression piiscan cannot write.
var errNotText = errors.New("cannot be rewritten in place (archive or unsupported compression)")

// notText is errNotText with what the file is ("a tar archive inside
// gzip").
type notText struct{ kind string }

func (e *notText) Error() string        { return errNotText.Error() + ": " + e.kind }
func (e *notText) Is(target error) bool { return target == errNotText }

// textFile is the content of a file opened for a rewrite: text, plain or
// compressed with gzip or zstd, and how to write it back in its format.
type textFile struct {
	In        io.Reader
	NewWriter func(io.Writer) (io.WriteCloser, error)
	close     func()
}

// Close releases the decompressor.
func (t *textFile) Close() {
	if t.close != nil {
		t.close()
	}
}

// openText opens r as a text file that can be rewritten. Anything else is
// refused with errNotText, and says what it is: an archive (tar, zip) is
// only ever acted on whole, even when it is compressed (a .tar.gz is a
// gzip around a tar, not a gzipped log), and bzip2 and xz cannot be
// written back.
func openText(r io.Reader) (*textFile, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(512)
	outer := source.SniffReader(br, head)
	t := &textFile{}
	switch outer {
	case source.FormatPlain:
		if kind := binaryKind(head); kind != "" {
			return nil, &notText{kind}
		}
		t.In = br
		t.NewWriter = func(w io.Writer) (io.WriteCloser, error) { return nopCloser{w}, nil }
		return t, nil
	case source.FormatGzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		t.close = func() { zr.Close() }
		t.In = zr
		t.NewWriter = func(w io.Writer) (io.WriteCloser, error) { return gzip.NewWriterLevel(w, gzip.DefaultCompression) }
	case source.FormatZstd:
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		t.close = zr.Close
		t.In = zr
		t.NewWriter = func(w io.Writer) (io.WriteCloser, error) { return zstd.NewWriter(w, zstd.WithEncoderConcurrency(1)) }
	default:
		return nil, &notText{kindName(outer, source.FormatPlain)}
	}
	inner := bufio.NewReaderSize(t.In, 64<<10)
	ihead, err := inner.Peek(512)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) && len(ihead) == 0 {
		t.Close()
		return nil, fmt.Errorf("%s: %w", outer, err)
	}
	if f := source.SniffReader(inner, ihead); f != source.FormatPlain {
		t.Close()
		return nil, &notText{kindName(outer, f)}
	}
	if kind := binaryKind(ihead); kind != "" {
		t.Close()
		return nil, &notText{kind + " inside " + outer.String()}
	}
	t.In = inner
	return t, nil
}

// binaryKind names content that Sniff calls plain but that is not text a
// line-by-line rewrite may touch: archives of other formats (ar, cpio, 7z,
// rar), UTF-16 text, a log after a hole of NULs, and whatever the scanner
// skips as binary (NUL bytes, many control characters). "" means text.
func binaryKind(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("!<arch>\n")):
		return "an ar archive"
	case bytes.HasPrefix(head, []byte("070701")), bytes.HasPrefix(head, []byte("070702")),
		bytes.HasPrefix(head, []byte("070707")), bytes.HasPrefix(head, []byte{0xc7, 0x71}),
		bytes.HasPrefix(head, []byte{0x71, 0xc7}):
		return "a cpio archive"
	case bytes.HasPrefix(head, []byte("7z\xbc\xaf\x27\x1c")):
		return "a 7z archive"
	case bytes.HasPrefix(head, []byte("Rar!\x1a\x07")):
		return "a rar archive"
	case scanners.IsUTF16(head):
		return kindUTF16
	case len(head) > 0 && head[0] == 0:
		// The scanner reads the log after the hole; a rewrite is not
		// safe while its writer, which does not append, keeps its
		// offset.
		return "a log after a hole of NUL bytes (copytruncate with a writer that does not append; rewrite it once the writer has reopened it)"
	case scanners.LooksBinary(head):
		return "binary"
	}
	return ""
}

// kindUTF16 is the kind of UTF-16 text (with a byte-order mark or
// without): the scanner decodes it, but a rewrite works on UTF-8 lines and
// would not write it back as it was, so it is never rewritten.
const kindUTF16 = "UTF-16 text"

// notRewritten says in plain words, for a plan, that content of a kind
// binaryKind or contentKind named is not rewritten in place.
func notRewritten(kind string) string {
	if kind == kindUTF16 {
		return "UTF-16 text is not rewritten (piiscan reads it but writes only UTF-8)"
	}
	return kind + " cannot be rewritten in place"
}

// kindName names what a file that is not rewritable text is.
func kindName(outer, inner source.Format) string {
	name := func(f source.Format) string {
		switch f {
		case source.FormatTar, source.FormatZip:
			return "a " + f.String() + " archive"
		case source.FormatParquet:
			return "a Parquet file"
		case source.FormatAvro:
			return "an Avro file"
		case source.FormatMail:
			return "a mail message"
		case source.FormatMbox:
			return "an mbox of mail messages"
		case source.FormatSQLite:
			return "an SQLite database"
		}
		return f.String() + "-compressed"
	}
	if inner == source.FormatPlain {
		return name(outer)
	}
	return name(inner) + " inside " + outer.String()
}

// contentKind reads the head of a file or object and returns "" when its
// records can be rewritten (text, plain, gzip or zstd), or what it is
// ("a tar archive", "a zip archive inside gzip"). A file that cannot be
// opened gives "": acting on it fails later, and says why.
func contentKind(ctx context.Context, objects *bucket.Client, loc *config.Location, at place, path string) string {
	r := at.head(ctx, objects, loc, path)
	if r == nil {
		return ""
	}
	defer r.Close()
	t, err := openText(r)
	if err != nil {
		if nt := (*notText)(nil); errors.As(err, &nt) {
			return nt.kind
		}
		// A head cut short by the range is fine for gzip and zstd;
		// anything else could not be told.
		return ""
	}
	t.Close()
	return ""
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
