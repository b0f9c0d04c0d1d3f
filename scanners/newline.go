package scanners

import (
	"encoding/binary"
	"math/bits"
)

// lastNewline is bytes.LastIndexByte(b, '\n') eight bytes at a time: the
// standard library's is a byte loop, and findings look back from each
// finding to the start of its line.
func lastNewline(b []byte) int {
	const (
		low7 = 0x7f7f7f7f7f7f7f7f
		nl   = 0x0a0a0a0a0a0a0a0a
	)
	i := len(b)
	for i >= 8 {
		x := binary.LittleEndian.Uint64(b[i-8:]) ^ nl
		// The high bit of each zero byte of x, exactly (no borrow
		// between bytes).
		if m := ^((x&low7 + low7) | x | low7); m != 0 {
			return i - 8 + (63-bits.LeadingZeros64(m))/8
		}
		i -= 8
	}
	for i > 0 {
		i--
		if b[i] == '\n' {
			return i
		}
	}
	return -1
}
