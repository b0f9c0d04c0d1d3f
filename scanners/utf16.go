package scanners

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// UTF-16 text is what many Windows tools write: PowerShell transcripts and
// Out-File, SQL Server's ERRORLOG, reg export, setupapi logs. It holds a
// NUL in every other byte of ASCII text, so read as bytes it looks binary.
// Such a stream is decoded to UTF-8 as it is read (never loaded whole) and
// scanned as text, wherever it comes from: a file, a compressed file, an
// archive member, an object.
//
// Findings in it have the line numbers of the text. Columns and lengths
// count bytes of the line decoded to UTF-8, as for any text: in ASCII
// text, characters. (They are not offsets in the file, where every
// character takes two or four bytes.)
//
// The positions of an incremental scan stay offsets in the file's own
// bytes: the end of a line is the byte after its encoded newline (0A 00
// in UTF-16LE), always even, so a file resumed there is decoded from the
// start of a code unit. utf16Len maps decoded text back to the bytes it
// came from.
//
// A byte-order mark (FF FE little-endian, FE FF big-endian) says the
// stream is UTF-16. Without one, a head of ASCII-heavy text with a NUL in
// every other byte is taken for UTF-16 too (see utf16Heuristic).
// Malformed UTF-16 (a lone surrogate, an odd byte at the end) decodes to
// U+FFFD, one for each code unit (or the odd byte) that is not part of a
// character.

// utf8BOM is the byte-order mark some Windows tools start UTF-8 text with.
// It is scanned as it is (columns on the first line count it), but it is
// no part of the first line's names (a CSV header, an SQL dump's first
// comment).
var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// textEncoding is how the bytes of a text stream encode it.
type textEncoding int

const (
	encUTF8    textEncoding = iota // UTF-8 or anything else scanned as bytes
	encUTF16LE                     // UTF-16, little-endian
	encUTF16BE                     // UTF-16, big-endian
)

// encodingOf tells, from the head of a stream (its first bytes), how it
// is encoded, and how many bytes its byte-order mark takes (0 or 2).
func encodingOf(head []byte) (textEncoding, int) {
	switch {
	case len(head) >= 4 && head[0] == 0xff && head[1] == 0xfe && head[2] == 0 && head[3] == 0:
		// FF FE 00 00 is the mark of UTF-32LE, which is not decoded.
		return encUTF8, 0
	case len(head) >= 2 && head[0] == 0xff && head[1] == 0xfe:
		return encUTF16LE, 2
	case len(head) >= 2 && head[0] == 0xfe && head[1] == 0xff:
		return encUTF16BE, 2
	}
	return utf16Heuristic(head), 0
}

// IsUTF16 reports whether a stream whose first bytes are head is UTF-16
// text, which the scanner decodes: it starts with a byte-order mark, or
// holds ASCII-heavy text with a NUL in every other byte.
func IsUTF16(head []byte) bool {
	enc, _ := encodingOf(head)
	return enc != encUTF8
}

// utf16Heuristic recognises UTF-16 without a byte-order mark in the first
// KiB of a stream: at least 16 code units, none NUL, none a C0 or C1
// control other than tab, CR and LF, none a lone surrogate, and at least
// 75% of them printable ASCII (a NUL in every other byte). Binaries fail
// it: their heads hold NUL units (ELF, .class, sqlite, UTF-32) or units
// far from ASCII (PNG, gzip).
func utf16Heuristic(head []byte) textEncoding {
	head = head[:min(len(head), 1024)&^1]
	units := len(head) / 2
	if units < 16 || bytes.IndexByte(head, 0) < 0 {
		return encUTF8 // (UTF-16 of ASCII holds NUL bytes: most text has none)
	}
	for _, enc := range [...]textEncoding{encUTF16LE, encUTF16BE} {
		ascii, ok := 0, true
		for i := 0; i < len(head) && ok; i += 2 {
			if (i/2-ascii)*4 > units {
				ok = false // more than a quarter not ASCII
				break
			}
			u := unit(head[i:], enc == encUTF16BE)
			switch {
			case u >= 0x20 && u < 0x7f, u == '\t', u == '\n', u == '\r':
				ascii++
			case u < 0xa0:
				ok = false // NUL, controls, DEL
			case utf16.IsSurrogate(rune(u)):
				if u >= 0xdc00 || i+3 >= len(head) {
					ok = i+3 >= len(head) && u < 0xdc00 // a pair cut by the head's end
					continue
				}
				next := unit(head[i+2:], enc == encUTF16BE)
				ok = next >= 0xdc00 && next < 0xe000
				i += 2
			}
		}
		if ok && ascii*4 >= units*3 {
			return enc
		}
	}
	return encUTF8
}

// unit reads the UTF-16 code unit at the start of b.
func unit(b []byte, be bool) uint16 {
	if be {
		return uint16(b[0])<<8 | uint16(b[1])
	}
	return uint16(b[0]) | uint16(b[1])<<8
}

// decodedUTF16 returns a reader of the stream br as UTF-8, when it is
// UTF-16 as head (the start of the stream's file) says, and the decoded
// head; otherwise it returns br and head as they are, and enc is encUTF8.
// atStart says br is at the start of the stream, before its byte-order
// mark, which is dropped (bom says how long it was); a stream resumed
// elsewhere has none.
func decodedUTF16(br *bufio.Reader, head []byte, atStart bool) (out *bufio.Reader, text []byte, enc textEncoding, bom int) {
	enc, bom = encodingOf(head)
	if enc == encUTF8 {
		return br, head, enc, 0
	}
	be := enc == encUTF16BE
	if atStart {
		br.Discard(bom)
		out = bufio.NewReaderSize(newUTF16Reader(br, be), 64<<10)
		text, _ = out.Peek(8 << 10)
		return out, text, enc, bom
	}
	// Resumed: the head was read from the start of the file, apart.
	text = make([]byte, 0, len(head)*3/2+4)
	text = appendUTF16(text, head[bom:], be)
	return bufio.NewReaderSize(newUTF16Reader(br, be), 64<<10), text, enc, 0
}

// utf16Len returns how many bytes of UTF-16 the UTF-8 text b, decoded by
// a utf16Reader, came from: two for each character of the Basic
// Multilingual Plane (and each U+FFFD of a bad code unit), four for the
// others (a surrogate pair). A piece of a character cut off at the start
// of b counts with the piece that holds its first byte, so the lengths of
// consecutive pieces add up. (The U+FFFD of an odd byte at the very end
// of a stream is counted as two: it never ends a line.)
func utf16Len(b []byte) int64 {
	n := 0
	for _, c := range b {
		if c&0xc0 != 0x80 {
			n += 2 // the first byte of a character
		}
		if c >= 0xf0 {
			n += 2 // and one from outside the BMP
		}
	}
	return int64(n)
}

// utf16Reader decodes UTF-16 from r to UTF-8.
type utf16Reader struct {
	r    io.Reader
	be   bool
	src  []byte // src[s:e] is read and not yet decoded
	s, e int
	err  error   // r's error, once it failed or ended
	out  [4]byte // out[o:oe] is a character a short Read had no room for
	o    int
	oe   int
}

func newUTF16Reader(r io.Reader, be bool) *utf16Reader {
	return &utf16Reader{r: r, be: be, src: make([]byte, 32<<10)}
}

// Read implements io.Reader.
func (d *utf16Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if d.o < d.oe {
			n := copy(p, d.out[d.o:d.oe])
			d.o += n
			return n, nil
		}
		atEOF := d.err != nil
		if len(p) < utf8.UTFMax {
			nd, ns := decodeUTF16(d.out[:], d.src[d.s:d.e], d.be, atEOF)
			d.s += ns
			if nd > 0 {
				d.o, d.oe = 0, nd
				continue
			}
		} else {
			nd, ns := decodeUTF16(p, d.src[d.s:d.e], d.be, atEOF)
			d.s += ns
			if nd > 0 {
				return nd, nil
			}
		}
		if atEOF {
			// At the end everything left decodes: nothing is.
			return 0, d.err
		}
		rest := copy(d.src, d.src[d.s:d.e]) // at most three bytes
		d.s, d.e = 0, rest
		n, err := d.r.Read(d.src[d.e:])
		d.e += n
		if err != nil {
			d.err = err
		}
	}
}

// decodeUTF16 decodes src into dst as long as dst has room for any
// character, and returns the bytes written and read. It stops before a
// code unit that is not whole, or a lead surrogate whose next unit is not
// in src, unless atEOF: then they decode to U+FFFD.
func decodeUTF16(dst, src []byte, be, atEOF bool) (nd, ns int) {
	for nd+utf8.UTFMax <= len(dst) {
		if !be {
			// ASCII, most of a Windows log, goes four characters at a
			// time, then byte by byte.
			for nd+4 <= len(dst) && ns+8 <= len(src) {
				v := binary.LittleEndian.Uint64(src[ns:])
				if v&0xff80ff80ff80ff80 != 0 {
					break
				}
				dst[nd], dst[nd+1], dst[nd+2], dst[nd+3] = byte(v), byte(v>>16), byte(v>>32), byte(v>>48)
				nd, ns = nd+4, ns+8
			}
			for nd < len(dst) && ns+1 < len(src) && src[ns+1] == 0 && src[ns] < 0x80 {
				dst[nd] = src[ns]
				nd, ns = nd+1, ns+2
			}
			if nd+utf8.UTFMax > len(dst) {
				break
			}
		}
		if ns+1 >= len(src) {
			if ns < len(src) && atEOF {
				nd += utf8.EncodeRune(dst[nd:], utf8.RuneError) // an odd byte at the end
				ns++
				continue
			}
			break
		}
		u := unit(src[ns:], be)
		switch {
		case u < 0x80:
			dst[nd] = byte(u)
			nd, ns = nd+1, ns+2
		case u < 0xd800 || u >= 0xe000:
			nd += utf8.EncodeRune(dst[nd:], rune(u))
			ns += 2
		case u < 0xdc00: // a lead surrogate
			if ns+3 >= len(src) {
				if !atEOF {
					return nd, ns // its pair may be in the next read
				}
				nd += utf8.EncodeRune(dst[nd:], utf8.RuneError)
				ns += 2
				continue
			}
			if u2 := unit(src[ns+2:], be); u2 >= 0xdc00 && u2 < 0xe000 {
				nd += utf8.EncodeRune(dst[nd:], utf16.DecodeRune(rune(u), rune(u2)))
				ns += 4
			} else {
				nd += utf8.EncodeRune(dst[nd:], utf8.RuneError)
				ns += 2
			}
		default: // a trail surrogate alone
			nd += utf8.EncodeRune(dst[nd:], utf8.RuneError)
			ns += 2
		}
	}
	return nd, ns
}

// appendUTF16 appends the UTF-16 text src, decoded, to dst (a head: a
// unit cut off at its end decodes to U+FFFD).
func appendUTF16(dst, src []byte, be bool) []byte {
	for len(src) > 0 {
		dst = append(dst, make([]byte, 4096)...)
		buf := dst[len(dst)-4096:]
		nd, ns := decodeUTF16(buf, src, be, true)
		dst = dst[:len(dst)-4096+nd]
		src = src[ns:]
	}
	return dst
}
