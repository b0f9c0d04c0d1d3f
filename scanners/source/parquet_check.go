package source

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
	"github.com/pierrec/lz4/v4"
)

// The Parquet reader trusts the sizes a file declares: a list length in
// its metadata, a page's size, a compressed block's length each become
// an allocation before anything is checked, and a damaged LZ4 page makes
// it double its buffer forever. A file of a few hundred bytes could so
// take all the memory of the process, which no recover survives.
// checkParquet reads the file's structure first, allocating nothing that
// the file does not hold, and refuses a file whose declared sizes do not
// fit.

const (
	// maxParquetPage bounds a page's uncompressed size. Writers make
	// pages of about 1 MiB (8 MiB for large dictionaries).
	maxParquetPage = 256 << 20
	// maxParquetValues bounds the values of one page.
	maxParquetValues = 1 << 24
	// maxRowGroupPages bounds the pages of one row group the reader
	// holds at once, one per column: the sum of each column's largest.
	maxRowGroupPages = 512 << 20
	// pageRatioFloor is the uncompressed size up to which a page may
	// have any compression ratio; a larger one may not exceed MaxRatio.
	pageRatioFloor = 1 << 20
	// maxThriftDepth bounds the nesting of structures in metadata.
	maxThriftDepth = 32
)

var errParquetStructure = errors.New("damaged Parquet structure")

// checkThrift walks one Thrift compact-protocol structure at the start of
// b without decoding it, and returns its length: every list, map and
// string must fit in b.
func checkThrift(b []byte) (int, error) {
	c := thriftCheck{b: b}
	if err := c.structure(0); err != nil {
		return 0, err
	}
	return c.i, nil
}

type thriftCheck struct {
	b []byte
	i int
}

func (c *thriftCheck) byte() (byte, error) {
	if c.i >= len(c.b) {
		return 0, errParquetStructure
	}
	c.i++
	return c.b[c.i-1], nil
}

func (c *thriftCheck) varint() (uint64, error) {
	v, n := binary.Uvarint(c.b[c.i:])
	if n <= 0 {
		return 0, errParquetStructure
	}
	c.i += n
	return v, nil
}

// skip moves past n bytes that must be there.
func (c *thriftCheck) skip(n uint64) error {
	if n > uint64(len(c.b)-c.i) {
		return errParquetStructure
	}
	c.i += int(n)
	return nil
}

func (c *thriftCheck) structure(depth int) error {
	if depth > maxThriftDepth {
		return errParquetStructure
	}
	for {
		h, err := c.byte()
		if err != nil {
			return err
		}
		if h == 0 { // stop
			return nil
		}
		if h>>4 == 0 { // a long field id follows
			if _, err := c.varint(); err != nil {
				return err
			}
		}
		if err := c.value(h&0x0f, depth); err != nil {
			return err
		}
	}
}

// value walks one value of compact type t.
func (c *thriftCheck) value(t byte, depth int) error {
	switch t {
	case 1, 2: // bool true, false (as a field: no payload)
		return nil
	case 3: // byte
		return c.skip(1)
	case 4, 5, 6: // i16, i32, i64
		_, err := c.varint()
		return err
	case 7: // double
		return c.skip(8)
	case 8: // binary
		n, err := c.varint()
		if err != nil {
			return err
		}
		return c.skip(n)
	case 9, 10: // list, set
		h, err := c.byte()
		if err != nil {
			return err
		}
		n := uint64(h >> 4)
		if n == 15 {
			if n, err = c.varint(); err != nil {
				return err
			}
		}
		et := h & 0x0f
		// Every element takes a byte at least (a bool in a list does).
		if n > uint64(len(c.b)-c.i) {
			return errParquetStructure
		}
		for range n {
			if err := c.element(et, depth); err != nil {
				return err
			}
		}
		return nil
	case 11: // map
		n, err := c.varint()
		if err != nil || n == 0 {
			return err
		}
		kv, err := c.byte()
		if err != nil {
			return err
		}
		if 2*n > uint64(len(c.b)-c.i) {
			return errParquetStructure
		}
		for range n {
			if err := c.element(kv>>4, depth); err != nil {
				return err
			}
			if err := c.element(kv&0x0f, depth); err != nil {
				return err
			}
		}
		return nil
	case 12: // struct
		return c.structure(depth + 1)
	}
	return errParquetStructure
}

// element walks a list, set or map element, where a bool is a byte.
func (c *thriftCheck) element(t byte, depth int) error {
	if t == 1 || t == 2 {
		return c.skip(1)
	}
	return c.value(t, depth+1)
}

// checkParquetFooter checks the metadata at the end of a file of size
// bytes before the reader decodes it.
func checkParquetFooter(ra io.ReaderAt, size int64) error {
	var tail [8]byte
	if _, err := ra.ReadAt(tail[:], size-8); err != nil {
		return err
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n <= 0 || n > size-12 {
		return fmt.Errorf("%w: a footer of %d bytes in a file of %d", errParquetStructure, n, size)
	}
	footer := make([]byte, n)
	if _, err := ra.ReadAt(footer, size-8-n); err != nil {
		return err
	}
	if _, err := checkThrift(footer); err != nil {
		return fmt.Errorf("footer: %w", err)
	}
	return nil
}

// checkParquetRowGroup checks the column chunks of a row group, and that
// the pages the reader holds at once, one per column, fit in
// maxRowGroupPages.
func checkParquetRowGroup(ra io.ReaderAt, size int64, rg *format.RowGroup, maxRatio int64) error {
	var held int64
	for i := range rg.Columns {
		largest, err := checkParquetChunk(ra, size, &rg.Columns[i].MetaData, maxRatio)
		if err != nil {
			return err
		}
		if held += largest; held > maxRowGroupPages {
			return fmt.Errorf("%w: a row group whose pages take more than %d bytes at once", ErrBomb, maxRowGroupPages)
		}
	}
	return nil
}

// checkParquetChunk walks the pages of a column chunk: each header must
// be sound, each page must fit in the chunk and hold no more than it
// says when decompressed, and a large page may not be compressed more
// than maxRatio:1. It returns the size of the largest page.
func checkParquetChunk(ra io.ReaderAt, size int64, md *format.ColumnMetaData, maxRatio int64) (largest int64, err error) {
	start := md.DataPageOffset
	if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
		start = md.DictionaryPageOffset
	}
	end := start + md.TotalCompressedSize
	if start < 4 || md.TotalCompressedSize < 0 || end > size-8 || end < start {
		return 0, fmt.Errorf("%w: a column chunk at %d..%d in a file of %d", errParquetStructure, start, end, size)
	}
	window := make([]byte, 0, 64<<10)
	var page, scratch []byte
	for pos := start; pos < end; {
		// A header holds the page's statistics, as long as its longest
		// value: read more while it does not fit.
		hn := 0
		for w := min(end-pos, 64<<10); ; w = min(end-pos, w*16, maxParquetPage) {
			if int64(cap(window)) < w {
				window = make([]byte, 0, w)
			}
			window = window[:w]
			if _, err := ra.ReadAt(window, pos); err != nil {
				return 0, err
			}
			if hn, err = checkThrift(window); err == nil {
				break
			}
			if w == end-pos || w >= maxParquetPage {
				return 0, fmt.Errorf("page header at %d: %w", pos, err)
			}
		}
		var h format.PageHeader
		if err := thrift.Unmarshal(new(thrift.CompactProtocol), window[:hn], &h); err != nil {
			return 0, fmt.Errorf("%w: page header at %d: %v", errParquetStructure, pos, err)
		}
		pos += int64(hn)
		cs, us := int64(h.CompressedPageSize), int64(h.UncompressedPageSize)
		if cs < 0 || us < 0 || cs > end-pos {
			return 0, fmt.Errorf("%w: a page of %d bytes (%d uncompressed) at %d in a chunk ending at %d", errParquetStructure, cs, us, pos, end)
		}
		if us > maxParquetPage || cs > maxParquetPage {
			return 0, fmt.Errorf("%w: a page of %d bytes (%d uncompressed), more than the %d read", ErrBomb, cs, us, maxParquetPage)
		}
		var values, levels int64
		compressed := true
		switch {
		case h.DataPageHeader.Valid:
			values = int64(h.DataPageHeader.V.NumValues)
		case h.DataPageHeaderV2.Valid:
			v := h.DataPageHeaderV2.V
			values = int64(v.NumValues)
			levels = int64(v.RepetitionLevelsByteLength) + int64(v.DefinitionLevelsByteLength)
			compressed = !v.IsCompressed.Valid || v.IsCompressed.V
		case h.DictionaryPageHeader.Valid:
			values = int64(h.DictionaryPageHeader.V.NumValues)
		}
		if values < 0 || values > maxParquetValues || levels < 0 || levels > cs || levels > us {
			return 0, fmt.Errorf("%w: a page of %d values (%d bytes of levels) at %d", errParquetStructure, values, levels, pos)
		}
		if compressed && md.Codec != format.Uncompressed && cs > levels {
			if int64(cap(page)) < cs {
				page = make([]byte, cs)
			}
			page = page[:cs]
			if _, err := ra.ReadAt(page, pos); err != nil {
				return 0, err
			}
			if err := checkPageData(md.Codec, page[levels:], us-levels, &scratch); err != nil {
				return 0, fmt.Errorf("%w: page at %d: %v", errParquetStructure, pos, err)
			}
		}
		if us > pageRatioFloor && us > cs*maxRatio {
			return 0, fmt.Errorf("%w: a page of %d bytes compressed to %d, a ratio above %d:1", ErrBomb, us, cs, maxRatio)
		}
		largest = max(largest, us)
		pos += cs
	}
	return largest, nil
}

// checkPageData checks that data decompresses with codec to at most max
// bytes. Snappy and zstd declare their size first; the others are
// decompressed, into a buffer no larger than max.
func checkPageData(codec format.CompressionCodec, data []byte, max int64, scratch *[]byte) error {
	var r io.Reader
	switch codec {
	case format.Snappy:
		n, err := snappy.DecodedLen(data)
		if err != nil {
			return err
		}
		if int64(n) > max {
			return fmt.Errorf("snappy block of %d bytes, page of %d", n, max)
		}
		return nil
	case format.Lz4Raw:
		// The reader's LZ4 codec grows its buffer without bound while a
		// block fails to decode.
		if int64(cap(*scratch)) < max {
			*scratch = make([]byte, max)
		}
		_, err := lz4.UncompressBlock(data, (*scratch)[:max])
		return err
	case format.Zstd:
		var h zstd.Header
		if err := h.Decode(data); err != nil {
			return err
		}
		if h.HasFCS && h.FrameContentSize > uint64(max) {
			return fmt.Errorf("zstd frame of %d bytes, page of %d", h.FrameContentSize, max)
		}
		fallthrough
	case format.Gzip:
		f := FormatZstd
		if codec == format.Gzip {
			f = FormatGzip
		}
		d, closeFn, err := decompressor(f, bytes.NewReader(data))
		if err != nil {
			return err
		}
		defer closeFn()
		r = d
	case format.Brotli:
		r = brotli.NewReader(bytes.NewReader(data))
	default:
		return nil // the reader refuses codecs it does not know
	}
	return copyAtMost(io.Discard, r, max)
}
