package detect

import "github.com/piiscan/piiscan/finding"

var localChars [256]bool

func init() {
	for c := 0; c < 256; c++ {
		localChars[c] = isAlnum[c]
	}
	for _, c := range []byte("._%+-") {
		localChars[c] = true
	}
}

func localChar(c byte) bool { return localChars[c] }

// email looks for an address around the '@' at i, which is atLen bytes
// long (3 for "%40", the URL-encoded form common in access logs): a
// dot-atom local part and a domain of at least two labels whose top-level
// domain exists. That rejects icon@2x.png, pkg@1.2.3, @scope/pkg,
// user@localhost and image@sha256:... .
func (s *Matcher) email(i, atLen int) {
	b := s.b
	n := len(b)
	st := i
	for st > 0 && i-st <= 64 && localChar(b[st-1]) {
		st--
	}
	if i-st > 64 || st == i {
		return
	}
	for st < i && (b[st] == '.' || b[st] == '-' || b[st] == '+') {
		st++
	}
	if st == i || b[i-1] == '.' {
		return
	}
	if st > 0 && b[st-1] == ':' && isURLUserinfo(b, st-1) {
		return // scheme://user:password@host: a credential, not an address
	}
	d := i + atLen
	en := d
	for en < n && en-d <= 254 && (isAlnum[b[en]] || b[en] == '.' || b[en] == '-') {
		en++
	}
	for en > d && (b[en-1] == '.' || b[en-1] == '-') {
		en--
	}
	if en-d > 254 || en == d {
		return
	}
	for k := st; k < i; k++ {
		if b[k] == '%' || k > st && b[k] == '.' && b[k-1] == '.' {
			return // "..", or a percent-escape inside the local part
		}
	}
	if !validDomain(b[d:en]) {
		return
	}
	s.emit(dEmail, st, en, finding.ConfidenceHigh)
}

// isURLUserinfo reports whether the ':' at c separates a user from a password
// in the userinfo of a URL: "://" comes before it with no '/' or '@' between.
func isURLUserinfo(b []byte, c int) bool {
	for k := c - 1; k >= 2 && c-k < 256; k-- {
		switch b[k] {
		case '/':
			return b[k-1] == '/' && b[k-2] == ':'
		case '@', ' ', '\n', '"', '\'':
			return false
		}
	}
	return false
}

// urlCredential reports the password of scheme://user:password@host at the
// '@' at i.
func (s *Matcher) urlCredential(i int) {
	b := s.b
	c := -1
	for k := i - 1; k >= 0 && i-k < 256; k-- {
		ch := b[k]
		if ch == ':' {
			c = k
			break
		}
		if ch == '/' || ch == '@' || ch == ' ' || ch == '\n' || ch == '"' || ch == '\'' {
			return
		}
	}
	if c < 0 || c+1 == i || !isURLUserinfo(b, c) {
		return
	}
	if placeholder(b[c+1:i]) || !hasAlnum(b[c+1:i]) {
		return // a pattern: "^(https?://)(.*?):(.*?)@"
	}
	s.emit(dURLCredential, c+1, i, finding.ConfidenceHigh)
}

// hasAlnum reports whether v holds an ASCII letter or digit.
func hasAlnum(v []byte) bool {
	for _, c := range v {
		if isAlnum[c] {
			return true
		}
	}
	return false
}
