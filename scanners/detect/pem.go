package detect

import (
	"bytes"

	"github.com/piiscan/piiscan/finding"
)

// privateKey reports a PEM private key on its BEGIN marker,
// "-----BEGIN [RSA |EC |OPENSSH |ENCRYPTED ...]PRIVATE KEY-----", and returns
// the end of the marker (or 0 when there is none at i).
func (s *Scanner) privateKey(i int) int {
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
	s.emit(dPrivateKey, i, end, finding.ConfidenceHigh)
	return end
}

// PrivateKeyBody returns the base64 body of the PEM block whose BEGIN
// marker ends at end, for fingerprinting: the same key found twice gets the
// same fingerprint, and two keys of the same type do not. It looks at most
// 16 KiB ahead and skips line breaks, escaped ones ("\n" in JSON) included.
func PrivateKeyBody(b []byte, end int) []byte {
	rest := b[end:min(len(b), end+16<<10)]
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
