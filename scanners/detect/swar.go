package detect

import (
	"encoding/binary"
	"math/bits"
)

// SWAR ("SIMD within a register") helpers: they look at eight bytes at a
// time with integer arithmetic.

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// geq returns a word whose byte k has its high bit set when byte k of w
// (which must be below 0x80) is >= c.
func geq(w uint64, c byte) uint64 { return ((w | msb) - lsb*uint64(c)) & msb }

// alnumMask returns the high bit of each byte of w that is an ASCII letter
// or digit.
func alnumMask(w uint64) uint64 {
	ascii := ^w & msb
	x := w | lsb*0x20 // fold upper case onto lower case
	lower := geq(x, 'a') &^ geq(x, 'z'+1)
	digit := geq(w, '0') &^ geq(w, '9'+1)
	return (lower | digit) & ascii
}

// alnumEnd returns the end of the run of ASCII letters and digits that
// starts at i.
func alnumEnd(b []byte, i int) int {
	for i+8 <= len(b) {
		m := ^alnumMask(binary.LittleEndian.Uint64(b[i:])) & msb
		if m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		i += 8
	}
	for i < len(b) && isAlnum[b[i]] {
		i++
	}
	return i
}
