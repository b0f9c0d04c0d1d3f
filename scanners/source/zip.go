package source

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"sync"

	"github.com/klauspost/compress/flate"
)

// Zip archives are read here rather than with archive/zip, whose Reader
// holds every entry of the central directory as a *zip.File (hundreds of
// bytes each: 3 million entries took 675 MB) and cannot be told to stop.
// This reader walks the central directory twice, keeping 16 bytes per
// entry in between:
//
//  1. a survey counts the entries (refusing more than Limits.MaxEntries),
//     adds up the sizes they declare (refusing an archive whose entries
//     declare more than Limits.MaxRatio times its size) and checks that
//     no two entries share bytes: sorted by offset, each entry's local
//     header and data must end before the next one starts. Entries that
//     overlap (all pointing into one compressed block, as in the
//     "better zip bomb") are refused before anything is decompressed.
//  2. the entries are then read in directory order, each checked exactly
//     against the next entry's offset once its local header is read, and
//     none may decompress to more than it declares.

const (
	zipLocalLen     = 30 // a local file header, without name and extra
	zipDirLen       = 46 // a central directory header, without name, extra and comment
	zipEndLen       = 22 // the end of central directory record, without comment
	zip64LocatorLen = 20
	zip64EndLen     = 56

	zipLocalSig   = 0x04034b50
	zipDirSig     = 0x02014b50
	zipEndSig     = 0x06054b50
	zip64LocSig   = 0x07064b50
	zip64EndSig   = 0x06064b50
	zip64ExtraID  = 0x0001
	zipFlagCrypto = 0x1
)

// zipArchive is the layout of a zip archive read through ra.
type zipArchive struct {
	ra       io.ReaderAt
	size     int64
	base     int64  // bytes before the archive proper (a self-extracting stub)
	dirStart int64  // where the central directory starts
	records  uint64 // how many entries the end record declares
}

// zipEntry is one central directory entry.
type zipEntry struct {
	name    []byte // valid until the next entry is read
	flags   uint16
	method  uint16
	crc     uint32
	comp    uint64
	size    uint64 // uncompressed
	offset  int64  // of the local header, in ra
	creator byte   // the system that made the entry (high byte of "version made by")
	attrs   uint32 // external attributes
}

// skip reports whether the entry holds no content to scan: a directory,
// or a symbolic link (whose content is the link's target). Other types a
// Unix zip records are read: zip records what it reads from a pipe
// (mysqldump | zip dump.zip -) as a named pipe, with the data.
func (e *zipEntry) skip() bool {
	if n := len(e.name); n > 0 && e.name[n-1] == '/' {
		return true
	}
	switch e.creator {
	case 3, 19: // Unix, OS X: st_mode in the high 16 bits
		t := e.attrs >> 16 & 0xf000
		return t == 0x4000 || t == 0xa000 // directory, symbolic link
	case 0, 11, 14: // FAT, NTFS, VFAT: the MS-DOS directory attribute
		return e.attrs&0x10 != 0
	}
	return false
}

// openZip reads the end of central directory record (zip64 too) of the
// archive ra of size bytes. Its errors wrap ErrCorrupt.
func openZip(ra io.ReaderAt, size int64) (*zipArchive, error) {
	// The end record is in the last 22 bytes plus up to 64 KiB of comment.
	var buf []byte
	var end int64 = -1
	for _, n := range []int64{1024, 65 * 1024} {
		n = min(n, size)
		buf = make([]byte, n)
		if _, err := ra.ReadAt(buf, size-n); err != nil && err != io.EOF {
			return nil, err
		}
		if p := findZipEnd(buf); p >= 0 {
			buf, end = buf[p:], size-n+int64(p)
			break
		}
		if n == size {
			break
		}
	}
	if end < 0 {
		return nil, fmt.Errorf("%w: no end of central directory record", ErrCorrupt)
	}
	le := binary.LittleEndian
	records := uint64(le.Uint16(buf[10:]))
	dirSize := uint64(le.Uint32(buf[12:]))
	dirOff := uint64(le.Uint32(buf[16:]))
	if records == 0xffff || dirSize == 0xffffffff || dirOff == 0xffffffff {
		if p, ok := findZip64End(ra, end); ok {
			var b [zip64EndLen]byte
			if _, err := ra.ReadAt(b[:], p); err != nil {
				return nil, fmt.Errorf("%w: zip64 end record: %v", ErrCorrupt, err)
			}
			if le.Uint32(b[:]) != zip64EndSig {
				return nil, fmt.Errorf("%w: bad zip64 end record", ErrCorrupt)
			}
			records, dirSize, dirOff = le.Uint64(b[32:]), le.Uint64(b[40:]), le.Uint64(b[48:])
			end = p
		}
	}
	if dirSize > 1<<62 || dirOff > 1<<62 {
		return nil, fmt.Errorf("%w: bad central directory offset", ErrCorrupt)
	}
	z := &zipArchive{ra: ra, size: size, records: records}
	z.base = end - int64(dirSize) - int64(dirOff)
	if z.base+int64(dirOff) < 0 || z.base+int64(dirOff) >= size {
		return nil, fmt.Errorf("%w: central directory outside the archive", ErrCorrupt)
	}
	// As archive/zip does: when the offsets read as they are point at a
	// central directory, they are right and the sizes are not.
	if z.base > 0 {
		var sig [4]byte
		if _, err := ra.ReadAt(sig[:], int64(dirOff)); err == nil && le.Uint32(sig[:]) == zipDirSig {
			z.base = 0
		}
	}
	z.dirStart = z.base + int64(dirOff)
	return z, nil
}

// findZipEnd returns where the end record starts in b, or -1.
func findZipEnd(b []byte) int {
	for i := len(b) - zipEndLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(b[i:]) == zipEndSig {
			n := int(binary.LittleEndian.Uint16(b[i+zipEndLen-2:]))
			if i+zipEndLen+n <= len(b) {
				return i
			}
		}
	}
	return -1
}

// findZip64End returns the offset of the zip64 end record named by the
// locator before the end record at end.
func findZip64End(ra io.ReaderAt, end int64) (int64, bool) {
	if end < zip64LocatorLen {
		return 0, false
	}
	var b [zip64LocatorLen]byte
	if _, err := ra.ReadAt(b[:], end-zip64LocatorLen); err != nil {
		return 0, false
	}
	le := binary.LittleEndian
	if le.Uint32(b[:]) != zip64LocSig || le.Uint32(b[4:]) != 0 || le.Uint32(b[16:]) != 1 {
		return 0, false
	}
	p := le.Uint64(b[8:])
	if p > 1<<62 {
		return 0, false
	}
	return int64(p), true
}

// zipDirReader reads central directory entries one after the other.
type zipDirReader struct {
	z   *zipArchive
	r   *bufio.Reader
	buf []byte
	e   zipEntry
	n   uint64 // entries read
}

func (z *zipArchive) dir() *zipDirReader {
	return &zipDirReader{z: z, r: bufio.NewReaderSize(io.NewSectionReader(z.ra, z.dirStart, z.size-z.dirStart), 64<<10)}
}

// next returns the next entry, or nil after the last one. Like
// archive/zip, it reads entries until something else follows, and only
// then compares their count with the one declared (modulo 65536: old
// writers wrap it).
func (d *zipDirReader) next() (*zipEntry, error) {
	var h [zipDirLen]byte
	if sig, err := d.r.Peek(4); err != nil || binary.LittleEndian.Uint32(sig) != zipDirSig {
		if uint16(d.n) != uint16(d.z.records) {
			return nil, fmt.Errorf("%w: central directory has %d entries, its end record %d", ErrCorrupt, d.n, d.z.records)
		}
		return nil, nil
	}
	if _, err := io.ReadFull(d.r, h[:]); err != nil {
		return nil, fmt.Errorf("%w: central directory cut short", ErrCorrupt)
	}
	le := binary.LittleEndian
	e := &d.e
	*e = zipEntry{
		creator: h[5],
		flags:   le.Uint16(h[8:]),
		method:  le.Uint16(h[10:]),
		crc:     le.Uint32(h[16:]),
		comp:    uint64(le.Uint32(h[20:])),
		size:    uint64(le.Uint32(h[24:])),
		attrs:   le.Uint32(h[38:]),
		offset:  int64(le.Uint32(h[42:])),
	}
	nameLen, extraLen, commentLen := int(le.Uint16(h[28:])), int(le.Uint16(h[30:])), int(le.Uint16(h[32:]))
	n := nameLen + extraLen + commentLen
	if cap(d.buf) < n {
		d.buf = make([]byte, n)
	}
	d.buf = d.buf[:n]
	if _, err := io.ReadFull(d.r, d.buf); err != nil {
		return nil, fmt.Errorf("%w: central directory cut short", ErrCorrupt)
	}
	e.name = d.buf[:nameLen]
	needComp, needOff := e.comp == 0xffffffff, e.offset == 0xffffffff
	for extra := d.buf[nameLen : nameLen+extraLen]; len(extra) >= 4; {
		id, sz := le.Uint16(extra), int(le.Uint16(extra[2:]))
		extra = extra[4:]
		if sz > len(extra) {
			break
		}
		field := extra[:sz]
		extra = extra[sz:]
		if id != zip64ExtraID {
			continue
		}
		// The zip64 field holds the values that did not fit, in this order.
		for _, v := range []*uint64{&e.size, &e.comp} {
			if *v != 0xffffffff {
				continue
			}
			if len(field) < 8 {
				return nil, fmt.Errorf("%w: bad zip64 extra field", ErrCorrupt)
			}
			*v, field = le.Uint64(field), field[8:]
		}
		if e.offset == 0xffffffff {
			if len(field) < 8 {
				return nil, fmt.Errorf("%w: bad zip64 extra field", ErrCorrupt)
			}
			e.offset = int64(le.Uint64(field))
		}
		needComp, needOff = false, false
		break
	}
	if needComp || needOff || e.comp > 1<<62 || e.size > 1<<62 || e.offset > 1<<62 {
		return nil, fmt.Errorf("%w: bad sizes or offset in the central directory", ErrCorrupt)
	}
	e.offset += d.z.base
	d.n++
	return e, nil
}

// zipSpan is the part of an archive an entry may occupy: from its local
// header to the end of its data.
type zipSpan struct{ start, end int64 }

// zipSurvey is what the first pass over the central directory learns.
type zipSurvey struct {
	spans []zipSpan // sorted by offset
	total uint64    // uncompressed bytes the regular files declare
}

// survey reads the central directory once: the number of entries, the
// sizes they declare, and whether their bytes overlap. Its errors wrap
// ErrBomb or ErrCorrupt.
func (z *zipArchive) survey(lim Limits) (*zipSurvey, error) {
	if z.records > uint64(lim.MaxEntries) {
		return nil, fmt.Errorf("%w: the archive declares %d entries, more than %d", ErrBomb, z.records, lim.MaxEntries)
	}
	var spans []zipSpan
	if z.records <= uint64(z.size/zipDirLen) {
		spans = make([]zipSpan, 0, z.records)
	}
	var total uint64
	d := z.dir()
	for {
		e, err := d.next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			break
		}
		if len(spans) >= lim.MaxEntries {
			return nil, fmt.Errorf("%w: more than %d entries", ErrBomb, lim.MaxEntries)
		}
		// The local header's name and extra field may differ from the
		// central directory's: until it is read, the span is at least
		// the fixed header and the data.
		spans = append(spans, zipSpan{e.offset, e.offset + zipLocalLen + int64(e.comp)})
		if !e.skip() && !lim.ratioBomb(e.size, e.comp) {
			total += e.size // a member over the ratio is refused alone
		}
	}
	slices.SortFunc(spans, func(a, b zipSpan) int { return cmp.Compare(a.start, b.start) })
	for i, sp := range spans {
		next := z.dirStart
		if i+1 < len(spans) {
			next = spans[i+1].start
		}
		if sp.end > next {
			if i+1 < len(spans) && next == sp.start {
				return nil, fmt.Errorf("%w: entries overlap (several start at offset %d)", ErrBomb, sp.start-z.base)
			}
			return nil, fmt.Errorf("%w: entries overlap (the entry at offset %d runs into what starts at %d)", ErrBomb, sp.start-z.base, next-z.base)
		}
	}
	if lim.ratioBomb(total, uint64(z.size)) {
		return nil, fmt.Errorf("%w: entries declare %d bytes in all, a ratio of %d:1 to the archive, over %d:1",
			ErrBomb, total, total/uint64(max(z.size, 1)), lim.MaxRatio)
	}
	return &zipSurvey{spans: spans, total: total}, nil
}

// ratioBomb reports whether size bytes made from comp bytes exceed the
// ratio limit (size > comp*MaxRatio, without overflow).
func (l Limits) ratioBomb(size, comp uint64) bool {
	c, r := max(comp, 1), uint64(l.MaxRatio)
	return size > uint64(l.RatioFloor) && (size/c > r || size/c == r && size%c != 0)
}

// data returns the compressed data of e after checking its local header
// and that it ends before the next entry (in offset order) starts.
func (z *zipArchive) data(e *zipEntry, s *zipSurvey) (*io.SectionReader, error) {
	var h [zipLocalLen]byte
	if _, err := z.ra.ReadAt(h[:], e.offset); err != nil {
		return nil, fmt.Errorf("%w: local header: %v", ErrCorrupt, err)
	}
	le := binary.LittleEndian
	if le.Uint32(h[:]) != zipLocalSig {
		return nil, fmt.Errorf("%w: bad local header", ErrCorrupt)
	}
	start := e.offset + zipLocalLen + int64(le.Uint16(h[26:])) + int64(le.Uint16(h[28:]))
	end := start + int64(e.comp)
	next := z.dirStart
	i, ok := slices.BinarySearchFunc(s.spans, e.offset, func(sp zipSpan, off int64) int { return cmp.Compare(sp.start, off) })
	if ok && i+1 < len(s.spans) {
		next = s.spans[i+1].start
	}
	if end > next {
		return nil, fmt.Errorf("%w: entries overlap (the data at offset %d runs into the entry at %d)", errOverlap, e.offset-z.base, next-z.base)
	}
	return io.NewSectionReader(z.ra, start, int64(e.comp)), nil
}

// errEncrypted is the error for an encrypted member: it is not corrupt,
// and it cannot be scanned.
var errEncrypted = errors.New("encrypted member: cannot be scanned")

// errOverlap marks overlapping entries found while reading: the rest of
// the archive is not read.
var errOverlap = fmt.Errorf("%w: overlapping zip entries", ErrBomb)

// inflaters recycles deflate decompressors, and inflateBufs the buffered
// readers they read through, between zip members.
var inflaters, inflateBufs sync.Pool

// zipReader decompresses one member, checking its size and CRC-32.
type zipReader struct {
	r     io.Reader
	fl    io.ReadCloser // the inflater to recycle, if any
	br    *bufio.Reader // its input, to recycle
	size  uint64        // declared
	crc   uint32        // declared
	n     uint64
	sum   uint32
	err   error
	check bool
}

// openMember returns a reader of e's content.
func openMember(e *zipEntry, data *io.SectionReader) (*zipReader, error) {
	if e.flags&zipFlagCrypto != 0 {
		return nil, errEncrypted
	}
	zr := &zipReader{size: e.size, crc: e.crc, check: e.crc != 0}
	switch e.method {
	case 0: // stored
		zr.r = data
	case 8: // deflate
		// The inflater reads through a bufio.Reader of its own unless
		// given one: both are recycled.
		if br, ok := inflateBufs.Get().(*bufio.Reader); ok {
			br.Reset(data)
			zr.br = br
		} else {
			zr.br = bufio.NewReaderSize(data, 16<<10)
		}
		if fl, ok := inflaters.Get().(io.ReadCloser); ok {
			if err := fl.(flate.Resetter).Reset(zr.br, nil); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
			}
			zr.fl = fl
		} else {
			zr.fl = flate.NewReader(zr.br)
		}
		zr.r = zr.fl
	default:
		return nil, fmt.Errorf("%w: unsupported compression method %d", ErrCorrupt, e.method)
	}
	return zr, nil
}

func (z *zipReader) Read(p []byte) (int, error) {
	if z.err != nil {
		return 0, z.err
	}
	n, err := z.r.Read(p)
	z.n += uint64(n)
	if z.check {
		z.sum = crc32.Update(z.sum, crc32.IEEETable, p[:n])
	}
	switch {
	case z.n > z.size:
		err = fmt.Errorf("%w: member larger than it declares (%d bytes)", ErrCorrupt, z.size)
	case err == io.EOF && z.n < z.size:
		err = fmt.Errorf("%w: member shorter than it declares (%d of %d bytes)", ErrCorrupt, z.n, z.size)
	case err == io.EOF && z.check && z.sum != z.crc:
		err = fmt.Errorf("%w: member checksum mismatch", ErrCorrupt)
	case err == io.ErrUnexpectedEOF:
		err = fmt.Errorf("%w: member data cut short", ErrCorrupt)
	}
	z.err = err
	return n, err
}

// Close recycles the inflater.
func (z *zipReader) Close() {
	if z.fl != nil {
		inflaters.Put(z.fl)
		z.fl = nil
	}
	if z.br != nil {
		z.br.Reset(nil)
		inflateBufs.Put(z.br)
		z.br = nil
	}
}
