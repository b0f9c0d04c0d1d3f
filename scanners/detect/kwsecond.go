package detect

// kwSecond is the keyword table's second filter. The first, by the word's
// first two letters and length, lets through most words of a log once the
// table holds a few thousand drug names (every two-letter start has a drug
// of most lengths). This one looks at the first three letters, the last
// letter and the length together, hashed into a bit set small enough to
// stay in the L1 cache, so a word that is no keyword is still rejected
// without building a string or hashing it for the map. With the built-in
// keywords, of the words that pass the first filter, none of the benchmark
// log and about 1 in 15 of the README's prose get through to the map
// lookup (TestKeywordFilterWithDrugs).
type kwSecond [kwSecondBits / 64]uint64

const kwSecondBits = 1 << 16

// kwSecondIndex is the bit of the letters-only word w (at least two bytes).
func kwSecondIndex(w []byte) uint32 {
	l := len(w)
	var third byte
	if l > 2 {
		third = w[2] | 0x20
	}
	x := uint32(w[0]|0x20) | uint32(w[1]|0x20)<<8 | uint32(third)<<16 | uint32(w[l-1]|0x20)<<24
	x ^= uint32(l) * 0x9e3779b1
	x *= 0x85ebca6b
	x ^= x >> 15
	x *= 0xc2b2ae35
	return x >> (32 - 16)
}

// add records the lower-case letters-only word w.
func (f *kwSecond) add(w string) {
	h := kwSecondIndex([]byte(w))
	f[h/64] |= 1 << (h % 64)
}

// has reports whether the letters-only word w may be a keyword (in any
// case).
func (f *kwSecond) has(w []byte) bool {
	h := kwSecondIndex(w)
	return f[h/64]&(1<<(h%64)) != 0
}
