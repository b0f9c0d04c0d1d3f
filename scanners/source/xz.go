package source

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"

	"github.com/ulikunitz/xz/lzma"
)

// The .xz container (https://tukaani.org/xz/xz-file-format.txt) is read
// here rather than by github.com/ulikunitz/xz's Reader, which allocates
// whatever dictionary each block declares, up to 4 GiB, and checks
// nothing of it. Every block of every concatenated stream has its LZMA2
// dictionary checked before the decoder (lzma.Reader2) allocates it:
//
//   - a block declaring more than maxWindow is refused (ErrBomb);
//   - a block that declares its uncompressed size gets a dictionary no
//     larger than that, since LZMA2 never reaches back before the start
//     of its block;
//   - what blocks allocate in all is bounded by maxWindow plus
//     xzDictPerByte per byte decompressed so far: a small file of many
//     tiny blocks each declaring 256 MiB would otherwise allocate (and
//     zero) 256 MiB per 24 bytes of input. A block past that allowance
//     is decoded with a smaller dictionary, which is enough unless it
//     really reaches further back; then it fails as ErrBomb.
//
// Integrity is checked as xz does: header and index CRCs, each block's
// check (CRC32, CRC64 or SHA-256; other check types are skipped), the
// index against the blocks read, the footer, and stream padding.

// xzDictPerByte is how many bytes of dictionary the blocks of one .xz may
// allocate per byte they decompress, past the first maxWindow.
const xzDictPerByte = 16

var (
	xzMagic       = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	xzFooterMagic = []byte{'Y', 'Z'}
	crc64Table    = crc64.MakeTable(crc64.ECMA)
)

// xzCheckSizes gives the size of a block's check field by check type.
var xzCheckSizes = [16]int{0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64}

// xzInput reads the compressed bytes and counts them.
type xzInput struct {
	r  io.Reader
	br io.ByteReader // r as a ByteReader, when it is one
	n  int64
}

func (in *xzInput) Read(p []byte) (int, error) {
	n, err := in.r.Read(p)
	in.n += int64(n)
	return n, err
}

func (in *xzInput) ReadByte() (byte, error) {
	if in.br != nil {
		b, err := in.br.ReadByte()
		if err == nil {
			in.n++
		}
		return b, err
	}
	var p [1]byte
	if _, err := io.ReadFull(in, p[:]); err != nil {
		return 0, err
	}
	return p[0], nil
}

// xzReader decompresses a .xz file: all its streams and their blocks.
type xzReader struct {
	in       xzInput
	maxDict  int64
	allowed  int64 // dictionary bytes blocks may still allocate
	started  bool  // a stream header was read
	inStream bool  // between a stream header and its footer
	check    byte  // the check type of the current stream
	flags    [2]byte

	// The current block (dec is nil between blocks).
	dec       io.Reader
	hash      hash.Hash
	headerLen int64
	dataStart int64 // in.n where the compressed data starts
	declComp  int64 // -1: not declared
	declOut   int64 // -1: not declared
	out       int64
	declDict  int64 // the dictionary the block declares
	dict      int64 // the dictionary the decoder was given
	capped    bool  // dict is less than the block needs by its header

	// What the index of the current stream must list.
	blocks  uint64
	records uint32 // CRC32 over the (unpadded, uncompressed) sizes of the blocks

	err error
}

// newXZReader returns a reader of the .xz data r whose blocks may not
// declare dictionaries over maxDict.
func newXZReader(r io.Reader, maxDict int64) *xzReader {
	x := &xzReader{in: xzInput{r: r}, maxDict: maxDict, allowed: maxDict}
	x.in.br, _ = r.(io.ByteReader)
	return x
}

// Read decompresses into p.
func (x *xzReader) Read(p []byte) (int, error) {
	for x.err == nil {
		if x.dec == nil {
			if err := x.next(); err != nil {
				x.err = err
				break
			}
			continue
		}
		n, err := x.dec.Read(p)
		if err != nil && err != io.EOF && x.capped {
			err = fmt.Errorf("%w: xz block decoded with a dictionary of %d bytes (what this input may still allocate) instead of the %d it declares: %v",
				ErrBomb, x.dict, x.declDict, err)
		}
		if n > 0 {
			x.hash.Write(p[:n])
			x.out += int64(n)
			x.allowed += int64(n) * xzDictPerByte
			if x.declOut >= 0 && x.out > x.declOut {
				err = errors.New("xz: block larger than its header declares")
			}
		}
		if err == io.EOF {
			x.dec = nil
			err = x.endBlock()
		}
		if err != nil {
			x.err = err
		}
		if n > 0 || len(p) == 0 {
			return n, x.err
		}
	}
	return 0, x.err
}

// next reads what comes between blocks: stream padding and headers, a
// block header (starting the block's decoder), or an index and footer.
// It returns io.EOF after the last stream.
func (x *xzReader) next() error {
	if !x.inStream {
		if err := x.streamHeader(); err != nil {
			return err
		}
	}
	size, err := x.in.ReadByte()
	if err != nil {
		return unexpected(err)
	}
	if size == 0 {
		return x.index()
	}
	return x.blockHeader(int(size)*4 + 4)
}

// streamHeader reads stream padding and the header of the next stream;
// io.EOF means there is none.
func (x *xzReader) streamHeader() error {
	var h [12]byte
	for {
		n, err := io.ReadFull(&x.in, h[:4])
		if err == io.EOF && x.started {
			return io.EOF // the end, after a stream and its padding
		}
		if err != nil {
			if n > 0 {
				return errors.New("xz: stream padding is not a multiple of 4 bytes")
			}
			return unexpected(err)
		}
		if x.started && bytes.Equal(h[:4], []byte{0, 0, 0, 0}) {
			continue // stream padding
		}
		break
	}
	if _, err := io.ReadFull(&x.in, h[4:]); err != nil {
		return unexpected(err)
	}
	if !bytes.Equal(h[:6], xzMagic) {
		return errors.New("xz: unexpected data after a stream (no stream header)")
	}
	if h[6] != 0 || h[7]&0xf0 != 0 {
		return errors.New("xz: unsupported stream flags")
	}
	if crc32.ChecksumIEEE(h[6:8]) != binary.LittleEndian.Uint32(h[8:]) {
		return errors.New("xz: stream header checksum mismatch")
	}
	x.started, x.inStream = true, true
	x.flags = [2]byte{h[6], h[7]}
	x.check = h[7]
	x.blocks, x.records = 0, 0
	return nil
}

// blockHeader reads a block header of size bytes (its first byte read
// already) and starts the block's decoder.
func (x *xzReader) blockHeader(size int) error {
	h := make([]byte, size)
	h[0] = byte(size/4 - 1)
	if _, err := io.ReadFull(&x.in, h[1:]); err != nil {
		return unexpected(err)
	}
	if crc32.ChecksumIEEE(h[:size-4]) != binary.LittleEndian.Uint32(h[size-4:]) {
		return errors.New("xz: block header checksum mismatch")
	}
	flags := h[1]
	if flags&0x3c != 0 {
		return errors.New("xz: unsupported block flags")
	}
	r := bytes.NewReader(h[2 : size-4])
	x.declComp, x.declOut = -1, -1
	if flags&0x40 != 0 {
		v, err := uvarint(r)
		if err != nil || v == 0 {
			return errors.New("xz: bad compressed size in block header")
		}
		x.declComp = int64(v)
	}
	if flags&0x80 != 0 {
		v, err := uvarint(r)
		if err != nil {
			return errors.New("xz: bad uncompressed size in block header")
		}
		x.declOut = int64(v)
	}
	if flags&0x03 != 0 {
		return errors.New("xz: filters other than LZMA2 alone are not supported")
	}
	id, err1 := uvarint(r)
	n, err2 := uvarint(r)
	if err1 != nil || err2 != nil {
		return errors.New("xz: bad filter flags in block header")
	}
	if id != 0x21 {
		return fmt.Errorf("xz: filter %#x is not supported (only LZMA2)", id)
	}
	if n != 1 {
		return errors.New("xz: bad LZMA2 filter properties")
	}
	prop, _ := r.ReadByte()
	for r.Len() > 0 {
		if b, _ := r.ReadByte(); b != 0 {
			return errors.New("xz: non-zero block header padding")
		}
	}
	if prop > 40 {
		return errors.New("xz: bad LZMA2 dictionary size")
	}
	dict := int64(1<<32 - 1)
	if prop < 40 {
		dict = int64(2|prop&1) << (prop/2 + 11)
	}
	if dict > x.maxDict {
		return fmt.Errorf("%w: xz dictionary of %d bytes exceeds %d", ErrBomb, dict, x.maxDict)
	}
	x.declDict = dict
	// LZMA2 never reaches back before the start of its block, so a block
	// that declares its size needs no more dictionary than that.
	need := dict
	if x.declOut >= 0 && x.declOut < need {
		need = x.declOut
	}
	need = max(need, lzma.MinDictCap)
	x.capped = false
	if need > x.allowed {
		need, x.capped = max(x.allowed, lzma.MinDictCap), true
	}
	x.allowed -= need
	x.dict = need
	x.headerLen = int64(size)
	x.dataStart = x.in.n
	x.out = 0
	switch x.check {
	case 0x00:
		x.hash = noHash{}
	case 0x01:
		x.hash = crc32.NewIEEE()
	case 0x04:
		x.hash = crc64.New(crc64Table)
	case 0x0a:
		x.hash = sha256.New()
	default:
		x.hash = noHash{} // a check xz knows but this reader does not: skipped
	}
	dec, err := lzma.Reader2Config{DictCap: int(need)}.NewReader2(&x.in)
	if err != nil {
		return err
	}
	x.dec = dec
	return nil
}

// endBlock checks the sizes, padding and check of the block just decoded.
func (x *xzReader) endBlock() error {
	comp := x.in.n - x.dataStart
	if x.declComp >= 0 && comp != x.declComp || x.declOut >= 0 && x.out != x.declOut {
		return errors.New("xz: block sizes differ from its header")
	}
	pad := int((4 - (x.headerLen+comp)%4) % 4)
	size := xzCheckSizes[x.check&0x0f]
	buf := make([]byte, pad+size)
	if _, err := io.ReadFull(&x.in, buf); err != nil {
		return unexpected(err)
	}
	for _, b := range buf[:pad] {
		if b != 0 {
			return errors.New("xz: non-zero block padding")
		}
	}
	if sum := x.hash.Sum(nil); len(sum) > 0 && !bytes.Equal(checkBytes(sum), buf[pad:]) {
		return errors.New("xz: block check mismatch")
	}
	x.blocks++
	x.records = recordDigest(x.records, uint64(x.headerLen+comp)+uint64(size), uint64(x.out))
	return nil
}

// index reads the index of a stream (its indicator byte read already) and
// the stream footer.
func (x *xzReader) index() error {
	crc := crc32.NewIEEE()
	crc.Write([]byte{0})
	r := &xzTee{r: &x.in, crc: crc}
	n, err := uvarint(r)
	if err != nil {
		return unexpected(err)
	}
	if n != x.blocks {
		return fmt.Errorf("xz: index lists %d blocks, the stream has %d", n, x.blocks)
	}
	var digest uint32
	for range n {
		unpadded, err1 := uvarint(r)
		out, err2 := uvarint(r)
		if err := errors.Join(err1, err2); err != nil {
			return unexpected(err)
		}
		digest = recordDigest(digest, unpadded, out)
	}
	if digest != x.records {
		return errors.New("xz: index does not match the blocks")
	}
	size := 1 + r.n
	pad := make([]byte, (4-size%4)%4)
	if _, err := io.ReadFull(r, pad); err != nil {
		return unexpected(err)
	}
	if !bytes.Equal(pad, make([]byte, len(pad))) {
		return errors.New("xz: non-zero index padding")
	}
	sum := crc.Sum32()
	var f [16]byte // index CRC32, then the 12-byte footer
	if _, err := io.ReadFull(&x.in, f[:]); err != nil {
		return unexpected(err)
	}
	if binary.LittleEndian.Uint32(f[:4]) != sum {
		return errors.New("xz: index checksum mismatch")
	}
	size += int64(len(pad)) + 4
	foot := f[4:]
	switch {
	case crc32.ChecksumIEEE(foot[4:10]) != binary.LittleEndian.Uint32(foot[:4]):
		return errors.New("xz: stream footer checksum mismatch")
	case int64(binary.LittleEndian.Uint32(foot[4:8])) != size/4-1:
		return errors.New("xz: stream footer disagrees with the index size")
	case foot[8] != x.flags[0] || foot[9] != x.flags[1]:
		return errors.New("xz: stream footer flags differ from the header")
	case !bytes.Equal(foot[10:], xzFooterMagic):
		return errors.New("xz: bad stream footer")
	}
	x.inStream = false
	return nil
}

// recordDigest adds a block's index record to a running CRC32, so the
// index can be checked against the blocks without keeping a list.
func recordDigest(d uint32, unpadded, out uint64) uint32 {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], unpadded)
	binary.LittleEndian.PutUint64(b[8:], out)
	return crc32.Update(d, crc32.IEEETable, b[:])
}

// checkBytes returns a check value as xz stores it: CRC32 and CRC64
// little-endian (hash.Hash.Sum gives them big-endian), SHA-256 as is.
func checkBytes(sum []byte) []byte {
	if len(sum) == 4 || len(sum) == 8 {
		for i, j := 0, len(sum)-1; i < j; i, j = i+1, j-1 {
			sum[i], sum[j] = sum[j], sum[i]
		}
	}
	return sum
}

// uvarint reads an xz variable-length integer (at most 9 bytes, shortest
// form).
func uvarint(r io.ByteReader) (uint64, error) {
	var v uint64
	for i := 0; i < 9; i++ {
		b, err := r.ReadByte()
		if err != nil {
			return 0, err
		}
		v |= uint64(b&0x7f) << (7 * i)
		if b&0x80 == 0 {
			if b == 0 && i > 0 {
				return 0, errors.New("xz: integer not in its shortest form")
			}
			return v, nil
		}
	}
	return 0, errors.New("xz: integer too long")
}

// unexpected turns the end of the input inside the format into
// io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// xzTee reads bytes from r into a running CRC32 and counts them.
type xzTee struct {
	r   *xzInput
	crc hash.Hash32
	n   int64
}

func (t *xzTee) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.crc.Write(p[:n])
	t.n += int64(n)
	return n, err
}

func (t *xzTee) ReadByte() (byte, error) {
	b, err := t.r.ReadByte()
	if err == nil {
		t.crc.Write([]byte{b})
		t.n++
	}
	return b, err
}

// noHash is the check of a stream without one.
type noHash struct{}

func (noHash) Write(p []byte) (int, error) { return len(p), nil }
func (noHash) Sum(b []byte) []byte         { return b }
func (noHash) Reset()                      {}
func (noHash) Size() int                   { return 0 }
func (noHash) BlockSize() int              { return 1 }
