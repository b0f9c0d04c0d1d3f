package finding

import (
	"strings"
	"unicode/utf8"

	"github.com/piiscan/piiscan/internal/itempath"
)

// File names are bytes, and a finding path holds them as they are, valid
// UTF-8 or not. A JSON string cannot hold invalid UTF-8: encoding/json
// writes each bad byte as U+FFFD, so "a\xff.log" and "a\xfe.log" would both
// read "a\ufffd.log". The JSON reports (jsonl, json, shard findings files,
// webhook alerts and the state's records) write a path with EncodePath
// instead, and the readers of those files undo it with DecodePath.
//
// EncodePath writes each byte of an invalid UTF-8 sequence as the four
// characters \xNN (lower-case hex; NN is always 80 to ff), in the escape
// language finding paths already use for '!' and '\' (see Finding.Path).
// Because a '\' of a real name is always written \\ in a finding path, a
// \x never occurs in one otherwise, and DecodePath returns exactly the
// path EncodePath was given.

const hexDigits = "0123456789abcdef"

// EncodePath returns the form of the finding path p in a JSON report: p
// itself when it is valid UTF-8, else p with each byte of invalid UTF-8
// written \xNN.
func EncodePath(p string) string {
	if utf8.ValidString(p) {
		return p
	}
	var b strings.Builder
	b.Grow(len(p) + 8)
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRuneInString(p[i:])
		if r == utf8.RuneError && size == 1 {
			c := p[i]
			b.WriteString(`\x`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
		} else {
			b.WriteString(p[i : i+size])
		}
		i += size
	}
	return b.String()
}

// DecodePath returns the finding path whose form in a JSON report is s:
// the inverse of EncodePath. The escapes \\ and \! are left as they are,
// for itempath.Split to read.
func DecodePath(s string) string {
	if !strings.Contains(s, `\x`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		if s[i+1] == 'x' && i+3 < len(s) {
			hi, lo := unhex(s[i+2]), unhex(s[i+3])
			if hi >= 8 && lo >= 0 {
				b.WriteByte(byte(hi<<4 | lo))
				i += 3
				continue
			}
		}
		// \\, \! or a '\' of an old path that escaped nothing: as it is.
		b.WriteByte(c)
		if n := s[i+1]; n == '\\' || n == itempath.MemberSep {
			b.WriteByte(n)
			i++
		}
	}
	return b.String()
}

// unhex returns the value of a hex digit, or -1.
func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
