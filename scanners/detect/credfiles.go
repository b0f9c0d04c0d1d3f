package detect

import (
	"bytes"
	"encoding/base64"
	"strings"
	"unicode/utf8"

	"github.com/piiscan/piiscan/finding"
)

// FileKind is a kind of credential file, known by its name, whose lines
// hold passwords with no field name a detector could read.
type FileKind uint8

// The credential files the credential_file detector reads. What each
// reports:
//
//   - FilePgpass, libpq's ~/.pgpass (pgpass.conf on Windows):
//     host:port:database:user:password lines, '\' escaping ':' and '\',
//     '*' a wildcard in the first four fields; the password is reported.
//   - FileNetrc, ~/.netrc and _netrc: "machine h login u password p",
//     tokens apart by any white space, also across lines; the value after
//     "password" is reported (quoted values as curl reads them).
//   - FileUserlist, pgbouncer's userlist.txt: "user" "password" lines.
//     Plaintext passwords are reported, and so are "md5" + 32 hex ones:
//     PostgreSQL's md5 method authenticates with the hash itself, so it is
//     a password (pass the hash). SCRAM-SHA-256$ verifiers are not: they
//     do not log in, only let a thief guess offline, as the bcrypt hashes
//     of password fields are not reported either.
//   - FileHtpasswd, Apache's .htpasswd: user:hash lines. Hashes
//     ($apr1$, $2y$, $5$, $6$, {SHA}, 13-character crypt) are not
//     reported, for the same reason; a value of no hash form is a
//     plaintext password (htpasswd -p) and is reported at medium
//     confidence.
//
// Docker's ~/.docker/config.json and .dockercfg keep "auth":
// "base64(user:password)"; that form is read in any file (dockerAuth).
// .git-credentials holds URLs with credentials, which url_credential
// finds in any file.
const (
	FileNone FileKind = iota
	FilePgpass
	FileNetrc
	FileUserlist
	FileHtpasswd
)

// CredentialFile returns the kind of credential file path names (its base
// name; the path of an archive member, "x.tar!home/u/.pgpass", counts by
// the member's name), or FileNone.
func CredentialFile(path string) FileKind {
	base := path
	if k := strings.LastIndexAny(base, "/\\!"); k >= 0 {
		base = base[k+1:]
	}
	switch base {
	case ".pgpass", "pgpass.conf":
		return FilePgpass
	case ".netrc", "_netrc":
		return FileNetrc
	case "userlist.txt":
		return FileUserlist
	case ".htpasswd", "htpasswd":
		return FileHtpasswd
	}
	return FileNone
}

// SetFile tells the Matcher the kind of credential file the text of the
// next scans comes from (FileNone for any other file).
func (s *Matcher) SetFile(k FileKind) { s.file = k }

// credFile reports the passwords of the credential file being scanned.
func (s *Matcher) credFile() {
	if s.file == FileNetrc {
		s.netrc()
		return
	}
	b := s.b
	for p := 0; p < len(b); {
		e := lineEnd(b, p)
		end := e
		if end > p && b[end-1] == '\r' {
			end--
		}
		switch s.file {
		case FilePgpass:
			s.pgpassLine(p, end)
		case FileUserlist:
			s.userlistLine(p, end)
		case FileHtpasswd:
			s.htpasswdLine(p, end)
		}
		p = e + 1
	}
}

// pgpassLine reads a .pgpass line b[p:end].
func (s *Matcher) pgpassLine(p, end int) {
	b := s.b
	if p < end && b[p] == '#' {
		return
	}
	field := 0
	for k := p; k < end; k++ {
		switch b[k] {
		case '\\':
			k++
		case ':':
			field++
			if field == 4 {
				if v := b[k+1 : end]; !placeholder(v) {
					s.emit(dCredentialFile, k+1, end, finding.ConfidenceHigh)
				}
				return
			}
		}
	}
}

// userlistLine reads a pgbouncer userlist.txt line b[p:end]:
// "user" "password", a quote inside written "".
func (s *Matcher) userlistLine(p, end int) {
	b := s.b
	quoted := func(q int) (int, int) { // value start, end; -1 when none
		for q < end && (b[q] == ' ' || b[q] == '\t') {
			q++
		}
		if q >= end || b[q] != '"' {
			return -1, -1
		}
		for k := q + 1; k < end; k++ {
			if b[k] == '"' {
				if k+1 < end && b[k+1] == '"' {
					k++
					continue
				}
				return q + 1, k
			}
		}
		return -1, -1
	}
	_, ue := quoted(p)
	if ue < 0 {
		return
	}
	vs, ve := quoted(ue + 1)
	if vs < 0 {
		return
	}
	v := b[vs:ve]
	if bytes.HasPrefix(v, []byte("SCRAM-SHA-256$")) || placeholder(v) {
		return
	}
	s.emit(dCredentialFile, vs, ve, finding.ConfidenceHigh)
}

// htpasswdLine reads an .htpasswd line b[p:end], user:hash.
func (s *Matcher) htpasswdLine(p, end int) {
	b := s.b
	if p < end && b[p] == '#' {
		return
	}
	c := bytes.IndexByte(b[p:end], ':')
	if c <= 0 {
		return
	}
	vs := p + c + 1
	v := b[vs:end]
	if passwordHash(v) || placeholder(v) {
		return
	}
	s.emit(dCredentialFile, vs, end, finding.ConfidenceMedium)
}

// passwordHash reports whether an .htpasswd value is a hash: a crypt(3)
// "$id$…" form, {SHA}, or 13 characters of DES crypt's alphabet.
func passwordHash(v []byte) bool {
	if len(v) > 3 && v[0] == '$' && bytes.IndexByte(v[1:], '$') > 0 || bytes.HasPrefix(v, []byte("{SHA}")) {
		return true
	}
	if len(v) != 13 {
		return false
	}
	for _, c := range v {
		if !isAlnum[c] && c != '.' && c != '/' {
			return false
		}
	}
	return true
}

// netrc reads the tokens of a .netrc: the one after "password" is a
// password. "#" starts a comment at the start of a token, and a macdef's
// body runs to the next empty line.
func (s *Matcher) netrc() {
	b := s.b
	n := len(b)
	want := false // the next token is a password
	for p := 0; p < n; {
		c := b[p]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			p++
			continue
		}
		if c == '#' && !want {
			for p < n && b[p] != '\n' {
				p++
			}
			continue
		}
		ts, te, next := p, p, p
		if c == '"' {
			ts = p + 1
			k := ts
			for k < n && b[k] != '"' && b[k] != '\n' {
				if b[k] == '\\' {
					k++
				}
				k++
			}
			te, next = min(k, n), min(k+1, n)
		} else {
			for next < n && b[next] != ' ' && b[next] != '\t' && b[next] != '\n' && b[next] != '\r' {
				next++
			}
			te = next
		}
		tok := b[ts:te]
		switch {
		case want:
			if !placeholder(tok) {
				s.emit(dCredentialFile, ts, te, finding.ConfidenceHigh)
			}
			want = false
		case string(tok) == "password" || string(tok) == "passwd":
			want = true
		case string(tok) == "macdef":
			if k := bytes.Index(b[next:], []byte("\n\n")); k >= 0 {
				next += k + 2
			} else {
				next = n
			}
		}
		p = next
	}
}

// dockerAuth reads the value of a JSON key "auth" whose ':' is at b[i]
// (Docker's config.json and .dockercfg): base64 of user:password, which
// is reported when it decodes to printable text holding ':' between a
// user and a password. It returns the end of the value, or i+1.
func (s *Matcher) dockerAuth(i int) int {
	b := s.b
	k := i
	for k > 0 && (b[k-1] == ' ' || b[k-1] == '\t') {
		k--
	}
	if k < 6 || b[k-1] != '"' || !bytes.Equal(b[k-5:k-1], []byte("auth")) || b[k-6] != '"' {
		return i + 1
	}
	p := i + 1
	for p < len(b) && (b[p] == ' ' || b[p] == '\t') {
		p++
	}
	if p >= len(b) || b[p] != '"' {
		return i + 1
	}
	vs := p + 1
	ve := runOf(b, vs, func(c byte) bool { return isAlnum[c] || c == '+' || c == '/' || c == '=' })
	// Up to 64 KiB: registries that log in with a key file write it whole
	// (GCR's _json_key: about 2,900 bytes; ECR's AWS: tokens about 3,400).
	if ve >= len(b) || b[ve] != '"' || ve-vs < 8 || ve-vs > 64<<10 {
		return i + 1
	}
	if !userPassword(b[vs:ve]) {
		return i + 1
	}
	s.emit(dCredentialFile, vs, ve, finding.ConfidenceHigh)
	return ve + 1
}

// userPassword reports whether v is base64 (padded or not) of printable
// UTF-8 "user:password" with both parts set.
func userPassword(v []byte) bool {
	enc := base64.StdEncoding
	if v[len(v)-1] != '=' && len(v)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	dec := make([]byte, enc.DecodedLen(len(v)))
	n, err := enc.Decode(dec, v)
	if err != nil {
		return false
	}
	dec = dec[:n]
	if !utf8.Valid(dec) {
		return false
	}
	c := bytes.IndexByte(dec, ':')
	if c <= 0 || c == len(dec)-1 {
		return false
	}
	for k, ch := range dec {
		// A password may be a key file written whole (GCR's _json_key:
		// a service account's JSON, lines and all); the user may not.
		if ch == 0x7f || ch < ' ' && (k < c || ch != '\n' && ch != '\r' && ch != '\t') {
			return false
		}
	}
	return !placeholder(dec[c+1:])
}
