package detect

import "bytes"

// Byte classes for the prefilter pass. Every byte of the input is looked up
// once in class; only the rare classes do any further work.
const (
	cOther byte = iota
	cLetter
	cDigit
	cAt     // '@': emails, credentials in URLs
	cColon  // ':': IPv6, key: value
	cEquals // '=': key=value
	cDash   // '-': PEM markers
	cPct    // '%': URL-encoded '@' (%40)
	cLess   // '<': XML elements (<password>...</password>)
)

var (
	class   [256]byte
	isAlnum [256]bool
	isLower [256]bool // maps to lower case letter check after |0x20
	// isKeyByte holds the bytes of an unquoted field name (see keyChar).
	isKeyByte [256]bool
	// isV6Byte holds the bytes of an IPv6 candidate: hex digits, ':' and
	// '.' (an IPv4 tail).
	isV6Byte [256]bool
)

func init() {
	for c := 'a'; c <= 'z'; c++ {
		class[c] = cLetter
		class[c-'a'+'A'] = cLetter
		isAlnum[c] = true
		isAlnum[c-'a'+'A'] = true
		isLower[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		class[c] = cDigit
		isAlnum[c] = true
	}
	isKeyByte = isAlnum
	isKeyByte['_'], isKeyByte['-'], isKeyByte['.'] = true, true, true
	for c := range 256 {
		isV6Byte[c] = isHex(byte(c)) || c == ':' || c == '.'
	}
	class['@'] = cAt
	class[':'] = cColon
	class['='] = cEquals
	class['-'] = cDash
	class['%'] = cPct
	class['<'] = cLess
}

func isDigit(c byte) bool  { return c-'0' < 10 }
func isLetter(c byte) bool { return (c|0x20)-'a' < 26 }
func isUpper(c byte) bool  { return c-'A' < 26 }
func isHex(c byte) bool    { return c-'0' < 10 || (c|0x20)-'a' < 6 }
func toLower(c byte) byte {
	if isUpper(c) {
		return c | 0x20
	}
	return c
}

// wordChar reports whether c continues a word for boundary checks: letters,
// digits and '_' (the same set as \w in regular expressions).
func wordChar(c byte) bool { return isAlnum[c] || c == '_' }

// boundaryBefore reports whether position i starts a word: i is 0 or the byte
// before it is not a word character.
func boundaryBefore(b []byte, i int) bool { return i == 0 || !wordChar(b[i-1]) }

// boundaryAfter reports whether position i ends a word.
func boundaryAfter(b []byte, i int) bool { return i >= len(b) || !wordChar(b[i]) }

// digitRun returns the end of the run of ASCII digits that starts at i.
func digitRun(b []byte, i int) int {
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i
}

// equalFoldASCII reports whether b equals the lower-case ASCII word w,
// ignoring the case of b.
func equalFoldASCII(b []byte, w string) bool {
	if len(b) != len(w) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if toLower(b[i]) != w[i] {
			return false
		}
	}
	return true
}

// hasPrefixFold reports whether b starts with the lower-case ASCII string w,
// ignoring the case of b.
func hasPrefixFold(b []byte, w string) bool {
	return len(b) >= len(w) && equalFoldASCII(b[:len(w)], w)
}

// indexFold returns the index of the lower-case ASCII word w (not empty)
// in b, in any case, or -1. Its first letter, in either case, is found by
// bytes.IndexByte.
func indexFold(b []byte, w string) int {
	n := len(b) - len(w) + 1 // where w may start
	if n <= 0 {
		return -1
	}
	b0, lc := b[:n], w[0]
	uc := lc &^ 0x20
	if !isLower[lc] {
		uc = lc
	}
	lower, upper := indexByteFrom(b0, lc, 0), indexByteFrom(b0, uc, 0)
	for {
		x := min(lower, upper)
		if x == n {
			return -1
		}
		if hasPrefixFold(b[x:], w) {
			return x
		}
		if x == lower {
			lower = indexByteFrom(b0, lc, x+1)
		}
		if x == upper {
			upper = indexByteFrom(b0, uc, x+1)
		}
	}
}

// indexByteFrom returns the index of the first c in b at or after from,
// or len(b).
func indexByteFrom(b []byte, c byte, from int) int {
	if d := bytes.IndexByte(b[from:], c); d >= 0 {
		return from + d
	}
	return len(b)
}

// lineStart returns the index of the first byte of the line holding b[i].
func lineStart(b []byte, i int) int {
	for i > 0 && b[i-1] != '\n' {
		i--
	}
	return i
}
