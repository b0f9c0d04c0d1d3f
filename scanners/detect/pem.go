package detect

import (
	"bytes"

	"github.com/piiscan/piiscan/finding"
)

// privateKey reports a PEM private key on its BEGIN marker,
// "-----BEGIN [RSA |EC |OPENSSH |ENCRYPTED ...]PRIVATE KEY-----", and returns
// the end of the marker (or 0 when there is none at i).
//
// A marker is a key when a body follows it (see PrivateKeyBlockEnd), or
// when it ends the text open, its body perhaps in the next block of the
// stream: a marker alone on its line, or followed by prose or by another
// marker, is not. The look-ahead for the body stops at the first line that
// cannot be part of the block, and a marker inside a block already looked
// at (in its header lines) starts no look-ahead of its own: the work is
// linear in the text, however many markers it holds.
func (s *Matcher) privateKey(i int) int {
	b := s.b
	const begin = "-----BEGIN "
	if !bytes.HasPrefix(b[i:], []byte(begin)) {
		return 0
	}
	rest := b[i+len(begin):]
	if len(rest) > 64 {
		rest = rest[:64]
	}
	e := bytes.Index(rest, []byte("-----"))
	if e < 0 {
		return 0
	}
	label := rest[:e]
	for _, c := range label {
		if (c < 'A' || c > 'Z') && c != ' ' {
			return 0 // labels are upper-case words on the marker's line
		}
	}
	if !bytes.HasSuffix(label, []byte("PRIVATE KEY")) && !bytes.Equal(label, []byte("PGP PRIVATE KEY BLOCK")) {
		return 0
	}
	end := i + len(begin) + e + 5
	if i < s.pemEnd {
		return end // inside the block of an earlier marker
	}
	blockEnd, body, more := privateKeyBlock(b, i, end, label)
	s.pemEnd = blockEnd
	if body || more {
		s.emit(dPrivateKey, i, end, finding.ConfidenceHigh)
	}
	return end
}

// PrivateKeyBody returns the base64 body of the PEM block whose BEGIN
// marker is b[start:end] (a private_key match), for fingerprinting: the same
// key found twice gets the same fingerprint, and two keys of the same type
// do not. It reads the block as PrivateKeyBlockEnd finds it, and skips line
// breaks, escaped ones ("\n" in JSON) included.
func PrivateKeyBody(b []byte, start, end int) []byte {
	blockEnd, _ := PrivateKeyBlockEnd(b, start, end)
	rest := b[end:blockEnd]
	if k := bytes.Index(rest, []byte("-----END")); k >= 0 {
		rest = rest[:k]
	}
	body := make([]byte, 0, len(rest))
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c == '\\' && i+1 < len(rest) && (rest[i+1] == 'n' || rest[i+1] == 'r'):
			i++
		case isAlnum[c] || c == '+' || c == '/' || c == '=':
			body = append(body, c)
		}
	}
	return body
}

// MaxPrivateKeyBlock bounds a private-key block: PrivateKeyBlockEnd reads
// at most this many bytes from the start of the BEGIN marker. The largest
// PEM private keys (16384-bit RSA) are about 13 KiB.
const MaxPrivateKeyBlock = 64 << 10

// PrivateKeyBlockEnd returns the end of the PEM private-key block whose
// BEGIN marker is b[start:end] (a private_key match): the end of the
// matching "-----END <label>-----" marker or, when there is none, the end
// of the key's base64 body after the marker. It returns end when b[start:end]
// is no private-key BEGIN marker or nothing of a body follows it.
//
// The block's lines may be broken by real line breaks (indented, as in a
// YAML block scalar, or CRLF), by escaped ones ("\n", "\r\n", "\\n" in JSON
// and .env values), or not at all ("-----BEGIN ...----- MIIE... -----END
// ...-----" on one line). RFC 1421 headers ("Proc-Type: 4,ENCRYPTED",
// "DEK-Info: ...") and blank lines may come before the body. Without an END
// marker, the body ends at the first line that is not base64; a truncated
// last line inside a string ("...\nMIIEpA") belongs to it.
//
// more reports that the block reaches the end of b open (no END marker,
// and within MaxPrivateKeyBlock of start): text after b may continue it.
func PrivateKeyBlockEnd(b []byte, start, end int) (blockEnd int, more bool) {
	const begin = "-----BEGIN "
	if start < 0 || end > len(b) || end-start < len(begin)+5 ||
		!bytes.HasPrefix(b[start:], []byte(begin)) || !bytes.HasSuffix(b[:end], []byte("-----")) {
		return end, false
	}
	label := b[start+len(begin) : end-5]
	if bytes.Contains(label, []byte("-----")) || !bytes.HasSuffix(label, []byte("PRIVATE KEY")) && !bytes.Equal(label, []byte("PGP PRIVATE KEY BLOCK")) {
		return end, false
	}
	blockEnd, _, more = privateKeyBlock(b, start, end, label)
	return blockEnd, more
}

// privateKeyBlock is PrivateKeyBlockEnd for a marker already checked, whose
// label is label; body reports that a body (or an END marker) was found.
func privateKeyBlock(b []byte, start, end int, label []byte) (blockEnd int, body, more bool) {
	limit := min(len(b), start+MaxPrivateKeyBlock)
	open := limit == len(b) && len(b) < start+MaxPrivateKeyBlock
	blockEnd = end
	first := true    // the segment is the rest of the marker's line
	escaped := false // the segment follows an escaped line break
	for p := end; ; first = false {
		i := skipBlanks(b, p, limit)
		if i == limit {
			return blockEnd, body, open
		}
		if e := endMarker(b, i, limit, label); e != 0 {
			return e, body, false
		}
		if !body && !first && isPEMHeader(b[i:limit]) {
			e := i
			for e < limit && b[e] != '\n' && b[e] != '\\' {
				e++
			}
			blockEnd = trimBlanks(b, i, e)
			i = e
		} else {
			// The body tokens of the segment: one base64 run, or several
			// separated by blanks on the marker's own line, where the first
			// must be as long as a key's line is ("-----BEGIN ...----- in
			// file x.pem" has no body).
			segEnd, short := blockEnd, false
			for {
				j := base64Run(b, i, limit)
				if j == i {
					break
				}
				short = short || first && segEnd == blockEnd && j-i < 16
				segEnd, i = j, j
				k := skipBlanks(b, i, limit)
				if e := endMarker(b, k, limit, label); e != 0 {
					return e, true, false
				}
				if !first || k == i {
					break
				}
				i = k
			}
			if short {
				return blockEnd, body, false // prose after the marker
			}
			i = skipBlanks(b, i, limit)
			lineEnd := i == limit || b[i] == '\n' || escapedBreak(b, i, limit) > i
			switch {
			case segEnd > blockEnd && (lineEnd || escaped):
				blockEnd, body = segEnd, true
			case segEnd == blockEnd && body && lineEnd:
				return blockEnd, body, false // a blank line ends the body
			}
			if !lineEnd {
				return blockEnd, body, false
			}
		}
		switch {
		case i == limit:
			return blockEnd, body, open
		case b[i] == '\n':
			p, escaped = i+1, false
		default:
			j := escapedBreak(b, i, limit)
			if j == i {
				return blockEnd, body, false
			}
			p, escaped = j, true
		}
	}
}

// skipBlanks returns the index of the first byte at or after i that is not
// a space, tab or carriage return.
func skipBlanks(b []byte, i, limit int) int {
	for i < limit && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// trimBlanks returns the end of b[i:e] without its trailing blanks.
func trimBlanks(b []byte, i, e int) int {
	for e > i && (b[e-1] == ' ' || b[e-1] == '\t' || b[e-1] == '\r') {
		e--
	}
	return e
}

// base64Run returns the end of the base64 run at i; "\/" (a slash escaped
// in JSON) is part of it.
func base64Run(b []byte, i, limit int) int {
	for i < limit {
		switch c := b[i]; {
		case isAlnum[c] || c == '+' || c == '/' || c == '=':
			i++
		case c == '\\' && i+1 < limit && b[i+1] == '/':
			i += 2
		default:
			return i
		}
	}
	return i
}

// escapedBreak returns the end of the escaped line breaks at i ("\n",
// "\r\n", "\\n" and runs of them), or i when there is none.
func escapedBreak(b []byte, i, limit int) int {
	for {
		j := i
		for j < limit && b[j] == '\\' {
			j++
		}
		if j == i || j == limit || b[j] != 'n' && b[j] != 'r' {
			return i
		}
		i = j + 1
	}
}

// endMarker returns the end of the "-----END <label>-----" marker at i, or
// 0 when there is none.
func endMarker(b []byte, i, limit int, label []byte) int {
	const end = "-----END "
	m := b[i:limit]
	if !bytes.HasPrefix(m, []byte(end)) || !bytes.HasPrefix(m[len(end):], label) ||
		!bytes.HasPrefix(m[len(end)+len(label):], []byte("-----")) {
		return 0
	}
	return i + len(end) + len(label) + 5
}

// isPEMHeader reports whether b starts with an RFC 1421 header name and its
// colon ("Proc-Type:", "DEK-Info:", "Version:").
func isPEMHeader(b []byte) bool {
	for i, c := range b {
		switch {
		case c == ':':
			return i > 0 && i+1 < len(b) && b[i+1] == ' '
		case !isAlnum[c] && (c != '-' || i == 0):
			return false
		}
	}
	return false
}
