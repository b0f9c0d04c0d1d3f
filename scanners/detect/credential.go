package detect

import (
	"bytes"
	"slices"

	"github.com/piiscan/piiscan/finding"
)

// Credentials are found in the forms configuration files, scripts and logs
// write them in: key/value fields (see Matcher.field) with any of the
// assignment operators of those files, setter calls such as
// setProperty("X_TOKEN", "...") (see Matcher.setterCall) and XML elements
// such as <password>...</password> (see Matcher.xmlElement). A key is a
// secret's name when it is one (exactFields), ends in one
// (secretSuffixes), or holds one as a word (secretWordKey): dbPassword,
// password_super_secure, RABBITMQ_DEFAULT_PASS, but not token_expiry,
// password_min_length or max_tokens.

// secretKey describes the evidence a secret's name and value give.
type secretKey uint16

const (
	// keyGeneric: the name is often used for other things ("token").
	keyGeneric secretKey = 1 << iota
	// keyWord: the name only holds a secret word (password_super_secure).
	keyWord
	// keySuffix: the name ends in a secret's name (DB_PASSWORD).
	keySuffix
	// keyDelimited: the value was written between delimiters (quotes, an
	// XML element), so punctuation inside it is part of it.
	keyDelimited
	// keyCode: the value follows an operator of source code (:=, =>, .=):
	// unquoted, it is an expression, not a literal.
	keyCode
	// keyDefine: the value follows ":=", which is Go's (an expression) and
	// make's (a literal).
	keyDefine
	// keyElement: the value is an XML element's text.
	keyElement
	// keyColon: the separator is ':' (YAML, JSON, a composite literal
	// of source code).
	keyColon
	// keyCommand: the value is a command's argument or a directive's
	// word, where no variable's name is written.
	keyCommand
	// keyMessage: the key starts a string or a call's arguments and
	// ends in ':' ("idtoken: ..."): a message's prefix, whose unquoted
	// value is prose when more follows it.
	keyMessage
	// keyCodeKey: the key is written as source code assigns: a
	// selector such as req.PageToken or p.nextToken before " = ", so a
	// bare identifier after it is a variable.
	keyCodeKey
)

// secretWords are the words of a key name that make its value a secret.
// "credential" is not one: X-Goog-Credential, CAP_CREDENTIALS and
// AllowCredentials name no secret (the exact names still do).
var secretWords = map[string]bool{
	"password": true, "passwd": true, "pwd": true, "pw": true, "passphrase": true,
	"secret": true, "token": true, "apikey": true,
	"privatekey": true, "secretkey": true, "signingkey": true, "encryptionkey": true,
	"masterkey": true, "authkey": true, "accountkey": true, "sharedkey": true, "clientsecret": true,
}

// secretPairs are secret names written as two words (api_key, privateKey).
var secretPairs = map[string]bool{
	"apikey": true, "privatekey": true, "secretkey": true, "signingkey": true, "encryptionkey": true,
	"masterkey": true, "authkey": true, "accountkey": true, "sharedkey": true,
}

// metaWords after a secret word make the key name something about the
// secret rather than the secret: token_expiry, password_min_length,
// SMTP_PASSWORD_FILE, secret_id, jwt.token-validity-seconds.
var metaWords = map[string]bool{
	"reset": true, "expiry": true, "expires": true, "expire": true, "expiration": true, "exp": true,
	"ttl": true, "lifetime": true, "lifespan": true, "validity": true, "valid": true, "timeout": true,
	"length": true, "len": true, "min": true, "max": true, "minimum": true, "maximum": true,
	"count": true, "size": true, "type": true, "types": true, "url": true, "uri": true,
	"endpoint": true, "path": true, "file": true, "filename": true, "dir": true, "policy": true,
	"required": true, "require": true, "enabled": true, "enable": true, "disabled": true,
	"hint": true, "id": true, "ids": true, "name": true, "arn": true, "header": true, "param": true,
	"field": true, "prefix": true, "format": true, "mode": true, "alg": true, "algorithm": true,
	"version": true, "age": true, "seconds": true, "minutes": true, "hours": true, "days": true,
	"ms": true, "interval": true, "limit": true, "rounds": true, "strength": true, "complexity": true,
	"history": true, "location": true, "source": true, "provider": true, "ref": true, "env": true,
	"label": true, "description": true, "prompt": true, "placeholder": true, "regex": true,
	"pattern": true, "generator": true, "encoder": true, "validator": true, "strategy": true,
	"rate": true, "refresh": true, "rotation": true, "store": true, "manager": true, "cmd": true,
	"command": true, "attempts": true, "retries": true, "lockout": true, "changed": true,
	"updated": true, "created": true, "at": true, "date": true, "time": true, "kind": true,
	"state": true, "start": true, "end": true, "pos": true, "func": true, "panic": true,
	"status": true, "index": true, "offset": true, "method": true, "var": true,
	"exception": true, "error": true, "sha256": true, "sha1": true, "md5": true,
	"fingerprint": true, "checksum": true, "digest": true, "use": true, "usage": true, "scope": true,
	"scopes": true, "audience": true, "maps": true, "map": true,
}

// mayHoldSecretWord is the cheap test before secretWordKey: the name holds
// "pas", "pw", "sec", "tok" or "key" in any case, as every secret word
// and pair does.
func mayHoldSecretWord(name []byte) bool {
	for k := 0; k+1 < len(name); k++ {
		second := stemSecond[name[k]]
		if second == 0 {
			continue
		}
		first, d := name[k]|0x20, name[k+1]|0x20
		if first == 'p' && d == 'w' {
			return true
		}
		if d == second && k+2 < len(name) && name[k+2]|0x20 == stemThird[first] {
			return true
		}
	}
	return false
}

// stemSecond and stemThird hold the second (by first letter, in either
// case) and third (by lower-case first letter) letters of the stems
// mayHoldSecretWord looks for; "pw" is tested on its own.
var stemSecond, stemThird [256]byte

func init() {
	for _, st := range []string{"pas", "sec", "tok", "key"} {
		for _, c := range []byte{st[0], st[0] - 'a' + 'A'} {
			stemSecond[c] = st[1]
		}
		stemThird[st[0]] = st[2]
	}
}

// nextWord returns the span of the first word of a key name at or after
// k (ws == we when there is none). Words are separated by anything but
// letters and digits, and by case changes: dbPassword, DBPassword,
// X_API_KEY.
func nextWord(name []byte, k int) (ws, we int) {
	for k < len(name) && !isAlnum[name[k]] {
		k++
	}
	ws = k
	if k == len(name) {
		return ws, ws
	}
	for k++; k < len(name) && isAlnum[name[k]]; k++ {
		if c := name[k]; isUpper(c) {
			prev := name[k-1]
			// A new word at "bP" (dbPassword) and at "BPa" (DBPassword).
			if isLower[prev] || isDigit(prev) || isUpper(prev) && k+1 < len(name) && isLower[name[k+1]] {
				break
			}
		}
	}
	return ws, k
}

// lowerWord writes w in lower case into buf and returns it, or nil when it
// does not fit.
func lowerWord(buf []byte, w []byte) []byte {
	if len(w) > len(buf) {
		return nil
	}
	for x, c := range w {
		buf[x] = toLower(c)
	}
	return buf[:len(w)]
}

// secretWordKey reports whether a key name holds a secret word (or two
// words that name a secret, api_key) with no word after it that makes the
// name one of a property of the secret.
func secretWordKey(name []byte) bool {
	found := false
	pass := false // the last word is "pass" (DB_PASS, not passThrough)
	var cur, prev, pair [32]byte
	pn := 0
	for k := 0; ; {
		ws, we := nextWord(name, k)
		if ws == we {
			break
		}
		k = we
		w := lowerWord(cur[:], name[ws:we])
		if w == nil {
			pn, pass = 0, false
			continue
		}
		if (found || pass) && metaWords[string(w)] {
			return false
		}
		pass = string(w) == "pass"
		if secretWords[string(w)] {
			// "pw" and "pwd" glued to other letters are a word only in
			// plain camel case (dbPw, adminPwd), not in generated keys
			// (zxBWPwAwN2fM, R5eoBUosjtPw).
			if len(w) > 3 || (ws == 0 || !isAlnum[name[ws-1]]) && (we == len(name) || !isAlnum[name[we]]) || plainCamel(name) {
				found = true
			}
		} else if pn > 0 && pn+len(w) <= len(pair) {
			copy(pair[:], prev[:pn])
			copy(pair[pn:], w)
			if secretPairs[string(pair[:pn+len(w)])] {
				found = true
			}
		}
		pn = copy(prev[:], w)
	}
	return found || pass
}

// plainCamel reports whether a name is written in plain camel case: no
// digits and at most three capitals (adminUserPwd).
func plainCamel(name []byte) bool {
	upper := 0
	for _, c := range name {
		switch {
		case isDigit(c):
			return false
		case isUpper(c):
			upper++
		}
	}
	return upper <= 3
}

// secretKeyName returns the kind of a key name, raw as written and norm
// normalised (see normalizeFieldName), and for a secret's name what makes
// it one: 0 for a name of exactFields, keySuffix for a name that ends in a
// secret's (DB_PASSWORD), keyWord for one that holds a secret word
// (password_super_secure). In a dotted name the word must be in the last
// part: spring.mail.password, not token.ADD or in.token.pos.
func secretKeyName(raw, norm []byte, filtered bool) (fieldKind, secretKey) {
	kind := fieldNone
	if filtered {
		kind = fieldName(norm)
	}
	if kind != fieldNone {
		if _, exact := exactFields[string(norm)]; kind == fieldSecret && !exact {
			return kind, keySuffix
		}
		return kind, 0
	}
	if _, listed := exactFields[string(norm)]; listed {
		return fieldNone, 0
	}
	if d := bytes.LastIndexByte(raw, '.'); d >= 0 {
		raw = raw[d+1:]
	}
	if mayHoldSecretWord(raw) && secretWordKey(raw) {
		return fieldSecret, keyWord
	}
	return fieldNone, 0
}

// referenceRoots start expressions that refer to a value kept elsewhere:
// Terraform's var.x and local.x, process.env.X, self.password, ...
var referenceRoots = map[string]bool{
	"var": true, "local": true, "locals": true, "module": true, "data": true, "each": true,
	"self": true, "this": true, "process": true, "env": true, "os": true, "config": true,
	"cfg": true, "conf": true, "settings": true, "params": true, "vars": true, "secrets": true,
	"values": true, "inputs": true, "props": true, "properties": true, "system": true,
	"environment": true, "args": true, "opts": true, "options": true, "ctx": true, "context": true,
	"request": true, "req": true,
}

// referenceValue looks at a value written as an identifier path. named
// is set when a part of it is a secret's name: a reference (cfg.Secret,
// settings.DB_PASSWORD, password = DB_PASSWORD) or, quoted, a name rather
// than a value (ClassCredential = "credential"). rooted is set for a path
// from a known object (var.db_password, process.env.X, local.api_token).
func referenceValue(v []byte) (named, rooted bool) {
	if len(v) == 0 || !isLetter(v[0]) && v[0] != '_' {
		return false, false
	}
	dots := 0
	for _, c := range v {
		if c == '.' {
			dots++
		} else if !wordChar(c) {
			return false, false
		}
	}
	for k, p := 0, v; ; k++ {
		part, rest, more := bytes.Cut(p, []byte("."))
		if len(part) == 0 || !isLetter(part[0]) && part[0] != '_' {
			return false, false
		}
		var buf [64]byte
		if norm := normalizeFieldName(buf[:0], part); norm != nil {
			if k == 0 && dots > 0 {
				rooted = referenceRoots[string(norm)]
			}
			if namesSecret(part, norm) {
				named = true
			}
		}
		if !more {
			return named, rooted
		}
		p = rest
	}
}

// namesSecret reports whether an identifier in a value is a secret's name:
// one of exactFields (secret, Password), or words that name one
// (DB_PASSWORD, url_credential, ClassCredential). One lower-case word that
// only ends like a name (rootpasswd) is a value.
func namesSecret(part, norm []byte) bool {
	if exactFields[string(norm)] == fieldSecret {
		return true
	}
	if !mayHoldSecretWord(part) {
		return false
	}
	if _, we := nextWord(part, 0); !hasWordAfter(part, we) {
		return false // one word
	}
	k, _ := secretKeyName(part, norm, true)
	return k == fieldSecret
}

// hasWordAfter reports whether a key name has a word at or after k.
func hasWordAfter(name []byte, k int) bool {
	ws, we := nextWord(name, k)
	return ws < we
}

// bareIdentifier reports whether v is an identifier or a selector of
// letters, '_' and '.' only: after Go's :=, a variable, not a literal.
func bareIdentifier(v []byte) bool {
	if len(v) == 0 || !isLetter(v[0]) && v[0] != '_' {
		return false
	}
	for _, c := range v {
		if !isLetter(c) && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// settingWords are values of settings, never secrets: log levels and
// switches (logging.level.io.jsonwebtoken=WARN, password_auth = required).
var settingWords = []string{
	"trace", "debug", "info", "warn", "warning", "error", "fatal", "off", "notice", "critical",
	"enabled", "disabled", "required", "optional", "yes", "strict", "auto", "default",
}

// wordKeyValues are further values that say a setting, for names that only
// hold a secret word.
var wordKeyValues = []string{"low", "medium", "high", "weak", "strong", "on", "no", "always", "never"}

// placeholderPhrases start the prose that templates put where a secret
// goes ("put your unique phrase here").
var placeholderPhrases = []string{"put your ", "your ", "enter your ", "insert your ", "replace with ", "change this", "change me"}

// secretField reports the value b[vs:ve] of a field whose name is a
// secret's.
func (s *Matcher) secretField(vs, ve int, key secretKey) {
	if !s.e.on(dCredentialField) {
		return
	}
	b := s.b
	for vs < ve && b[vs] == ' ' {
		vs++
	}
	for ve > vs && b[ve-1] == ' ' {
		ve--
	}
	raw := false
	if ve-vs >= 2 && b[vs] == '`' {
		// A raw string of Go or JavaScript, to its closing backquote
		// on the line (pmPrivateKey = `PRIVATE KEY`).
		vs++
		if b[ve-1] == '`' {
			raw = true
		} else {
			for e := ve; e < len(b) && e-vs < 4096 && b[e] != '\n'; e++ {
				if b[e] == '`' {
					ve, raw = e+1, true
					break
				}
			}
		}
	}
	if ve > vs && b[ve-1] == '`' {
		ve-- // `KEY=value` in Markdown
	}
	v := b[vs:ve]
	if raw && (upperWords(v) || len(v) > 0 && (v[0] == '{' || v[0] == '[') && bytes.IndexByte(v, '"') > 0) {
		return // a label (RSA PRIVATE KEY) or a JSON document ({"iss":"https://foo"})
	}
	if len(v) == 0 || placeholder(v) {
		return
	}
	quoted := raw || key&keyDelimited != 0 || vs > 0 && (b[vs-1] == '"' || b[vs-1] == '\'')
	named, rooted := referenceValue(v)
	if key&keyCommand != 0 {
		named, rooted = false, false
	}
	if named && !quoted && camelWord(v) && key&keyCodeKey == 0 && !codeFollows(b, ve, v, key) && !camelWord(s.key) && !s.keyNamesValue(v) {
		// One camel-case word under a name written as configuration
		// is written (aws_secret_access_key = notFromCredProcSecret) is
		// a value, though it holds a secret word.
		named = false
	}
	if named || !quoted && (rooted || key&keyCode != 0 || key&keyDefine != 0 && bareIdentifier(v)) {
		return
	}
	if !quoted && (codeValue(b, vs, ve, key) || key&keyMessage != 0 && bytes.IndexByte(v, '%') >= 0 ||
		v[0] == '*' && codeIdentifier(v[1:]) || commentLine(b, vs)) {
		// *aws_masterkey: a YAML alias; in a // comment, a grammar or an
		// example (token = 1*tchar).
		return // req.PageToken = x.NextPageToken, PrivateKey: priv,
	}
	if !quoted && camelWord(s.key) && lowerCamel(v) {
		return // retryToken = nopRelease: a variable, as code names them
	}
	if !quoted && cmdletCall(v) {
		return // $token = Get-AzAccessToken: PowerShell calls a cmdlet
	}
	if s.secretObject(v) || key&keyGeneric != 0 && bytes.Count(v, []byte(" ")) >= 3 {
		return // trustedCertsSecret: minio-trusted-certs; l.token = "comment length insufficient for parsing"
	}
	if key&(keyWord|keySuffix) != 0 && headerName(v) {
		return // MetaDataEncryptionKey = "X-Minio-Internal-Server-Side-Encryption-S3-Kms-Sealed-Key"
	}
	if ansiEscape(v) || bytes.HasSuffix(v, []byte("...")) || bytes.HasSuffix(v, []byte("…")) {
		return // PASS="\x1b[32mPASS": a color; "resume_token": "Af65...": a shortened example
	}
	if concatenated(v) {
		return // "Credential=" + accessKeyID + "/..."
	}
	for _, w := range settingWords {
		if equalFoldASCII(v, w) {
			return
		}
	}
	if !quoted && (numberLiteral(v) || v[0] == '\\' || constantName(v)) {
		return // SCM_CREDENTIALS = 0x2, TOKEN_READ = STANDARD_RIGHTS_READ | ...
	}
	if bytes.HasPrefix(v, []byte("-----")) && !bytes.Contains(v[:min(len(v), 48)], []byte("PRIVATE KEY")) || formatVerb(v) {
		return // a certificate or public key (not secret), "%+v"
	}
	if key&(keyWord|keySuffix) != 0 && allDigits(v) && len(v) < 6 {
		return // SYS_MEMFD_SECRET = 447
	}
	if key&keyWord != 0 {
		if allDigits(v) && len(v) < 8 {
			return // password_min_length=12, token_count=512
		}
		for _, w := range wordKeyValues {
			if equalFoldASCII(v, w) {
				return
			}
		}
		// A name that only holds a secret word is weaker evidence: a
		// value not between quotes must look made (a digit or
		// punctuation), and prose is no secret.
		if (!quoted || key&keyElement != 0) && !hasDigitOrPunct(v) || bytes.Count(v, []byte(" ")) >= 3 {
			return
		}
	}
	if bytes.IndexByte(v, ' ') > 0 {
		for _, p := range placeholderPhrases {
			if hasPrefixFold(v, p) {
				return
			}
		}
	}
	if secretValue(b, vs, ve, key&keyGeneric != 0, quoted) {
		s.emit(dCredentialField, vs, ve, finding.ConfidenceHigh)
	}
}

// numberLiteral reports whether v is a number as source code writes it:
// 0x1F, -25, 0x53c237_53c237, 1_000.
func numberLiteral(v []byte) bool {
	negative := len(v) > 0 && v[0] == '-'
	if negative {
		v = v[1:]
	}
	if len(v) > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X') {
		for _, c := range v[2:] {
			if !isHex(c) && c != '_' {
				return false
			}
		}
		return true
	}
	if len(v) == 0 || !isDigit(v[0]) {
		return false
	}
	for _, c := range v {
		if !isDigit(c) && c != '_' {
			return false
		}
	}
	return negative || bytes.IndexByte(v, '_') > 0
}

// constantName reports whether v is a constant's name: upper-case words
// joined by '_' (STANDARD_RIGHTS_REQUIRED).
func constantName(v []byte) bool {
	if bytes.IndexByte(v, '_') < 0 {
		return false
	}
	for _, c := range v {
		if !isUpper(c) && c != '_' && !isDigit(c) {
			return false
		}
	}
	return isUpper(v[0])
}

// formatVerb reports whether v is a printf verb (%s, %+v, %-10q).
func formatVerb(v []byte) bool {
	if len(v) < 2 || len(v) > 6 || v[0] != '%' {
		return false
	}
	for _, c := range v[1 : len(v)-1] {
		if !isDigit(c) && c != '+' && c != '-' && c != '#' && c != ' ' && c != '.' {
			return false
		}
	}
	return isLetter(v[len(v)-1])
}

// hasDigitOrPunct reports whether v has a digit or a character other than
// letters and spaces, as made secrets do and words do not.
func hasDigitOrPunct(v []byte) bool {
	for _, c := range v {
		if !isLetter(c) && c != ' ' {
			return true
		}
	}
	return false
}

// wrappedPlaceholder reports whether v is a name between brackets, as
// templates and redaction write it: <redacted>, [REDACTED], {token},
// <YOUR_API_TOKEN>, (hidden). A name has letters, '_', '-', '.' and
// spaces, never digits: an encrypted value such as {QmFz0...=} is a value.
func wrappedPlaceholder(v []byte) bool {
	if len(v) < 3 {
		return false
	}
	var closing byte
	switch v[0] {
	case '<':
		closing = '>'
	case '[':
		closing = ']'
	case '{':
		closing = '}'
	case '(':
		closing = ')'
	default:
		return false
	}
	if v[len(v)-1] != closing {
		return false
	}
	for _, c := range v[1 : len(v)-1] {
		if !isLetter(c) && c != '_' && c != '-' && c != '.' && c != ' ' {
			return false
		}
	}
	return true
}

// setterCall reads the arguments of a call that sets a named value,
// ("X_TOKEN", "value") after setProperty, define, setenv, put, set or
// setItem, whose name ends at p. It reports the value when the name is a
// secret's, and returns the end of what it read (0 when the call is not
// one).
func (s *Matcher) setterCall(p int) int {
	b := s.b
	n := len(b)
	if p >= n || b[p] != '(' {
		return 0
	}
	p++
	for p < n && b[p] == ' ' {
		p++
	}
	if p >= n || b[p] != '"' && b[p] != '\'' {
		return 0
	}
	q := b[p]
	ks := p + 1
	ke := ks
	for ke < n && ke-ks < 128 && keyChar(b[ke]) {
		ke++
	}
	if ke == ks || ke >= n || b[ke] != q {
		return 0
	}
	p = ke + 1
	for p < n && b[p] == ' ' {
		p++
	}
	if p >= n || b[p] != ',' {
		return 0
	}
	p++
	for p < n && (b[p] == ' ' || b[p] == '\t') {
		p++
	}
	if p >= n || b[p] != '"' && b[p] != '\'' {
		return 0 // a variable or a call: not a literal
	}
	key, ok := s.secretName(b[ks:ke], mayBeField(b, ks, ke))
	if !ok {
		return 0
	}
	vs, ve := fieldValue(b, p)
	s.secretField(vs, ve, keyDelimited|key)
	return ve
}

// secretName reads the key name name (filtered as for secretKeyName) and
// reports whether it names a secret, with its strength and keyGeneric
// when the name is one of genericSecretNames.
func (s *Matcher) secretName(name []byte, filtered bool) (secretKey, bool) {
	norm := normalizeFieldName(s.scratch, name)
	if norm == nil {
		return 0, false
	}
	s.scratch = norm[:0]
	kind, key := secretKeyName(name, norm, filtered)
	if kind != fieldSecret {
		return 0, false
	}
	if genericSecretNames[string(norm)] {
		key |= keyGeneric
	}
	return key, true
}

// xmlElement reads the element whose '<' is at i when its name is a
// secret's (<password>, <sonar.token>, <jdbcPassword>) and reports its
// text, which may be a CDATA section. It returns the end of the text, or
// i when there is none to report.
func (s *Matcher) xmlElement(i int) int {
	b := s.b
	n := len(b)
	ns := i + 1
	if ns >= n || !isLetter(b[ns]) {
		return i
	}
	ne := ns
	for ne < n && ne-ns < 128 && (keyChar(b[ne]) || b[ne] == ':') {
		ne++
	}
	gt := ne // the '>' that ends the start tag, after any attributes
	if gt < n && b[gt] == ' ' {
		for gt < n && gt-ne < 256 && b[gt] != '>' && b[gt] != '<' && b[gt] != '\n' {
			gt++
		}
		if gt < n && b[gt] == '>' && b[gt-1] == '/' {
			return i // <password/>
		}
	}
	if gt >= n || b[gt] != '>' {
		return i
	}
	name := b[ns:ne]
	if c := bytes.LastIndexByte(name, ':'); c >= 0 {
		name = name[c+1:] // a namespace prefix
	}
	if len(name) < 2 {
		return i
	}
	ks := ne - len(name)
	filtered := mayBeField(b, ks, ne)
	if !filtered && !mayHoldSecretWord(name) {
		return i
	}
	key, ok := s.secretName(name, filtered)
	if !ok {
		return i
	}
	vs, ve := elementText(b, gt+1)
	if ve < 0 {
		return i
	}
	s.secretField(vs, ve, keyDelimited|key|keyElement)
	return ve
}

// elementText returns the span of the text of an XML element that starts
// at vs, after its start tag: up to the "</" of its end tag on the same
// line, or the content of a CDATA section. ve is -1 when there is none.
func elementText(b []byte, vs int) (int, int) {
	n := len(b)
	ve := vs
	const cdata = "<![CDATA["
	if bytes.HasPrefix(b[vs:], []byte(cdata)) {
		vs += len(cdata)
		end := bytes.Index(b[vs:min(n, vs+4096)], []byte("]]>"))
		if end < 0 || bytes.IndexByte(b[vs:vs+end], '\n') >= 0 {
			return vs, -1
		}
		ve = vs + end
		if !bytes.HasPrefix(b[ve+3:], []byte("</")) {
			return vs, -1
		}
		return vs, ve
	}
	for ve < n && ve-vs < 4096 && b[ve] != '<' && b[ve] != '\n' {
		ve++
	}
	if ve+1 >= n || b[ve] != '<' || b[ve+1] != '/' {
		return vs, -1
	}
	return vs, ve
}

// namedValue reads the pairs of XML configuration files that name a
// setting in one attribute and hold its value in another or in the
// element's text: <add key="ApiSecret" value="..."/> (.NET), <property
// name="password" value="..."/> (Ant, Spring, Hibernate), <entry
// key="db.password">...</entry> (Java properties). p is the opening quote
// of the key="..." or name="..." attribute's value.
func (s *Matcher) namedValue(p int) {
	b := s.b
	n := len(b)
	q := b[p]
	ks := p + 1
	ke := ks
	for ke < n && ke-ks < maxKeyLen && keyChar(b[ke]) {
		ke++
	}
	if ke == ks || ke >= n || b[ke] != q {
		return
	}
	filtered := mayBeField(b, ks, ke)
	if !filtered && !mayHoldSecretWord(b[ks:ke]) {
		return
	}
	strength, ok := s.secretName(b[ks:ke], filtered)
	if !ok {
		return
	}
	key := keyDelimited | strength
	for t := ke + 1; t < n && t-ke < 512; t++ {
		switch b[t] {
		case '\n', '<':
			return
		case '>':
			if b[t-1] == '/' {
				return
			}
			if vs, ve := elementText(b, t+1); ve >= 0 {
				s.secretField(vs, ve, key|keyElement)
			}
			return
		case '=':
			if t+1 < n && (b[t+1] == '"' || b[t+1] == '\'') && t >= 6 && b[t-6] == ' ' && equalFoldASCII(b[t-5:t], "value") {
				vs, ve := fieldValue(b, t+1)
				s.secretField(vs, ve, key)
				return
			}
		}
	}
}

// codeIdentifier reports whether v is an identifier of source code: letters,
// digits and '_', not starting with a digit.
func codeIdentifier(v []byte) bool {
	if len(v) == 0 || isDigit(v[0]) {
		return false
	}
	for _, c := range v {
		if !wordChar(c) {
			return false
		}
	}
	return true
}

// camelWord reports whether v is one camel-case word of letters and
// digits (notFromCredProcSecret, CorrectHorseBatteryStaple): no '_', a
// lower-case and an upper-case letter.
func camelWord(v []byte) bool {
	up, low := false, false
	for _, c := range v {
		switch {
		case isUpper(c):
			up = true
		case isLower[c]:
			low = true
		case !isDigit(c):
			return false
		}
	}
	return up && low
}

// selectorPath reports whether v is a selector of source code,
// identifiers joined by dots (x.NextPageToken, result.Marker, out.File),
// whose parts are words with at most trailing digits (v1, e30). A token
// with digits inside its parts (hvs.QmR2x7Lp9Kw4Zt8Vn3Yb) is no selector.
func selectorPath(v []byte) bool {
	if bytes.IndexByte(v, '.') < 0 {
		return false
	}
	for part := range bytes.SplitSeq(v, []byte(".")) {
		if len(part) == 0 || isDigit(part[0]) {
			return false
		}
		k := 0
		for k < len(part) && (isLetter(part[k]) || part[k] == '_') {
			k++
		}
		for k < len(part) && isDigit(part[k]) {
			k++
		}
		if k < len(part) {
			return false
		}
	}
	return true
}

// codeValue reports whether the unquoted value b[vs:ve] is source code
// rather than a secret: a selector (x.NextPageToken), or an identifier
// where code is written (see codeFollows, keyCodeKey), or a word of a
// message ("idtoken: unable to ...", "// ... \"id_token\": The ID token").
func codeValue(b []byte, vs, ve int, key secretKey) bool {
	v := b[vs:ve]
	if selectorPath(v) {
		return true
	}
	if !codeIdentifier(v) {
		return false
	}
	if key&keyCodeKey != 0 || codeFollows(b, ve, v, key) || commentLine(b, vs) {
		return true
	}
	if slices.Contains(codeWords, string(v)) {
		return true // signingKey = await this.getSigningKey(...)
	}
	if key&keyColon != 0 && ve+1 < len(b) && (b[ve] == ' ' || b[ve] == '\'') && isLetter(b[ve+1]) {
		return true // prose goes on: an error message, a doc comment, couldn't
	}
	if key&keyMessage != 0 && ve+1 < len(b) && b[ve] == ' ' && b[ve+1] != '#' {
		return true // "enc.EncodeToken: StartElement %s"
	}
	return false
}

// codeWords are keywords of programming languages that start an
// expression: after "key = " they are code, not a value.
var codeWords = []string{"await", "new", "function", "func", "yield", "typeof", "lambda", "async", "make", "not", "static", "final"}

// keyNamesValue reports whether the camel-case value v starts or ends
// with the last word of the key being read (token: tokenValue, token =
// newToken): a variable named for the field it fills.
func (s *Matcher) keyNamesValue(v []byte) bool {
	key := s.key
	if len(key) == 0 {
		return false
	}
	ks, ke := lastWord(key)
	if ks == ke {
		return false
	}
	_, we := nextWord(v, 0)
	vs, ve := lastWord(v)
	return bytes.EqualFold(key[ks:ke], v[:we]) || bytes.EqualFold(key[ks:ke], v[vs:ve])
}

// lastWord returns the span of the last word of a name (see nextWord).
func lastWord(name []byte) (ws, we int) {
	for k := 0; ; {
		a, z := nextWord(name, k)
		if a == z {
			return ws, we
		}
		ws, we, k = a, z, z
	}
}

// codeFollows reports whether what follows the identifier v, which ends at
// ve, makes it an operand of source code: a ')' or '}' (a call's
// argument, an object literal's field), a ',' ending the line or after
// a ':' field (Go's and JavaScript's composite literals), or a ',' after
// a word with no digits.
func codeFollows(b []byte, ve int, v []byte, key secretKey) bool {
	p := ve
	for p < len(b) && (b[p] == ' ' || b[p] == '\t') {
		p++
	}
	if p >= len(b) {
		return false
	}
	switch b[p] {
	case ')', '}':
		return true
	case '+':
		return true // RefreshToken: upn + "-rt",
	case ',':
		if key&keyColon != 0 || !hasDigit(v) {
			return true
		}
		p++
		for p < len(b) && (b[p] == ' ' || b[p] == '\t' || b[p] == '\r') {
			p++
		}
		return p >= len(b) || b[p] == '\n'
	}
	return false
}

// commentLine reports whether the line holding p is a comment of source
// code ("//" after indentation).
func commentLine(b []byte, p int) bool {
	ls := p
	for ls > 0 && b[ls-1] != '\n' && p-ls < 512 {
		ls--
	}
	for ls < p && (b[ls] == ' ' || b[ls] == '\t') {
		ls++
	}
	return ls+1 < p && b[ls] == '/' && b[ls+1] == '/'
}

// concatenated reports whether a quoted value is the code between two
// string literals joined by '+' ("Credential=" + accessKeyID + "/...",
// `{"access_token": "` + tokenValue + `"}`), or between two calls.
func concatenated(v []byte) bool {
	v = bytes.TrimSpace(v)
	n := len(v)
	if n < 3 {
		return false
	}
	// "RootPass: ") + color.Bold("%s", ...): a call's end and another's
	// start.
	first, last := v[0], v[n-1]
	return (first == '+' || first == ')') && v[1] == ' ' || (last == '+' || last == '(') && bytes.IndexByte(v, ' ') > 0
}

func hasDigit(v []byte) bool {
	for _, c := range v {
		if isDigit(c) {
			return true
		}
	}
	return false
}

// credForm is how a word of credentialWords gives its password.
type credForm uint8

const (
	// credDirective: a configuration directive at the start of a line,
	// whose value is the next word (requirepass foobared).
	credDirective credForm = iota + 1
	// credDirectiveAfter: a directive whose password follows one more
	// word (sentinel auth-pass mymaster s3cr3t).
	credDirectiveAfter
	// credQuotedDirective: a directive at the start of a line whose value
	// counts only quoted (BIND's secret "c2VjcmV0";).
	credQuotedDirective
	// credInline: a phrase that may follow other words on its line
	// (HAProxy's user admin insecure-password s3cr3t).
	credInline
	credMySQL    // mysql -pS3cret, --password=S3cret
	credSSHPass  // sshpass -p S3cret
	credCurl     // curl -u user:S3cret, --user user:S3cret
	credLogin    // docker login -p S3cret, --password S3cret
	credRedisCLI // redis-cli -a S3cret
	credHtpasswd // htpasswd -b file user S3cret
	// credRedisServer: redis-server --requirepass S3cret, --masterauth
	credRedisServer
	// credSecureString: PowerShell's ConvertTo-SecureString 'S3cret'
	// -AsPlainText -Force, the plain-text password of a script.
	credSecureString
)

// credentialWords are the commands that take a password on their command
// line (shell history, scripts, cron jobs, ps output in logs) and the
// configuration directives that hold one, space-separated: Redis's
// requirepass and masterauth (masteruser is a user name), Sentinel's
// auth-pass, OpenLDAP's rootpw, ldap.conf's and nslcd's bindpw,
// keepalived's auth_pass, squid's cachemgr_passwd, BIND's secret and
// HAProxy's insecure-password. Keys are written as the keyword table
// holds them: the first word, then the rest of the phrase.
var credentialWords = map[string]credForm{
	// Directives.
	"requirepass": credDirective, "masterauth": credDirective, "rootpw": credDirective,
	"bindpw": credDirective, "auth pass": credDirective, "cachemgr passwd": credDirective,
	"sentinel auth-pass": credDirectiveAfter, "secret": credQuotedDirective,
	"insecure-password": credInline,

	// Commands.
	"mysql": credMySQL, "mysqldump": credMySQL, "mysqladmin": credMySQL, "mysqlimport": credMySQL,
	"mysqlcheck": credMySQL, "mysqlshow": credMySQL, "mysqlpump": credMySQL, "mariadb": credMySQL,
	"mariadb-dump": credMySQL, "mariadb-admin": credMySQL,
	"sshpass": credSSHPass, "curl": credCurl, "docker": credLogin, "podman": credLogin,
	"nerdctl": credLogin, "redis-cli": credRedisCLI, "htpasswd": credHtpasswd,
	"redis-server": credRedisServer, "convertto-securestring": credSecureString,
}

// credentialWord reads what follows a word of credentialWords (phrase, as
// the keyword table holds it) that spans b[i:end], and reports the password
// it gives. It returns 0: the prefilter goes on through the arguments,
// which may hold other findings (a URL's credentials, a bearer token).
func (s *Matcher) credentialWord(i, end int, phrase string) int {
	form := credentialWords[phrase]
	b := s.b
	switch form {
	case 0:
		return 0
	case credDirective, credDirectiveAfter, credQuotedDirective:
		if !atLineStart(b, i) {
			return 0
		}
		fallthrough
	case credInline:
		ts, te := nextArg(b, end)
		if ts == te || ts == end {
			return 0 // no space after the directive
		}
		if form == credDirectiveAfter {
			if ts, te = nextArg(b, te); ts == te {
				return 0
			}
		}
		if b[te-1] == ';' {
			te-- // BIND's statements end in ';'
		} else if form == credQuotedDirective {
			return 0
		}
		quoted := te-ts >= 2 && (b[ts] == '"' || b[ts] == '\'') && b[te-1] == b[ts]
		if form == credQuotedDirective && !quoted {
			return 0
		}
		if quoted {
			ts, te = ts+1, te-1
		} else if nts, _ := nextArg(b, te); nts < len(b) && b[nts] != '#' && b[nts] != '\n' && form != credInline && phrase != "cachemgr passwd" {
			return 0 // more words: prose, not a directive
		}
		// The directive's value is one word: its punctuation is part of
		// it ({SSHA}W6ph5...).
		s.commandSecret(ts, te, true)
		return 0
	}
	// A command: at the start of a line, after a shell operator or a
	// quote, or as the last part of a path (/usr/bin/mysql).
	if i > 0 {
		switch b[i-1] {
		case ' ', '\t', '\n', '|', ';', '&', '(', '`', '"', '\'', '/':
		default:
			return 0
		}
	}
	// A command in quotes: sh -c "mysql -pS3cret db" ends at the closing
	// quote; ["redis-server", "--requirepass", "S3cret"] (the exec form
	// of Dockerfiles and Compose files) is a list of quoted arguments.
	limit, exec := len(b), byte(0)
	if i > 0 && (b[i-1] == '"' || b[i-1] == '\'') {
		q := b[i-1]
		if end < len(b) && b[end] == q {
			exec = q
		} else if c := bytes.IndexByte(b[end:min(len(b), end+1024)], q); c >= 0 {
			limit = end + c
		}
	}
	if exec == 0 && (end >= len(b) || b[end] != ' ' && b[end] != '\t') {
		return 0
	}
	next := func(p int) (int, int) {
		if exec == 0 {
			return nextArgBefore(b, p, limit)
		}
		if p < len(b) && b[p] == exec {
			p++
		}
		for p < len(b) && (b[p] == ' ' || b[p] == ',') {
			p++
		}
		if p >= len(b) || b[p] != exec {
			return p, p
		}
		c := bytes.IndexByte(b[p+1:min(len(b), p+1024)], exec)
		if c < 0 || bytes.IndexByte(b[p+1:p+1+c], '\n') >= 0 {
			return p, p
		}
		return p + 1, p + 1 + c
	}
	login, plain := false, false
	var literal [2]int // ConvertTo-SecureString's string
	var positional [3][2]int
	np, batch, nofile := 0, false, false
	p := end
	for {
		ts, te := next(p)
		if ts == te {
			break
		}
		p = te
		a := b[ts:te]
		if len(a) == 0 || shellOperator(a[0]) {
			break
		}
		var vs, ve int // a password's span
		switch form {
		case credMySQL:
			switch {
			case bytes.HasPrefix(a, []byte("--password=")):
				vs, ve = ts+len("--password="), te
			case len(a) > 2 && a[0] == '-' && a[1] == 'p':
				vs, ve = ts+2, te
			}
		case credSSHPass, credRedisCLI, credLogin:
			short, long := byte('p'), "--password"
			if form == credRedisCLI {
				short, long = 'a', "--pass"
			}
			if form == credLogin && string(a) == "login" {
				login = true
			}
			switch {
			case len(a) == 2 && a[0] == '-' && a[1] == short, string(a) == long:
				if vs, ve = next(te); vs < ve {
					p = ve
				}
			case len(a) > 2 && a[0] == '-' && a[1] == short && form != credLogin:
				vs, ve = ts+2, te
			case bytes.HasPrefix(a, []byte(long+"=")):
				vs, ve = ts+len(long)+1, te
			}
			if form == credLogin && !login {
				vs, ve = 0, 0
			}
		case credCurl:
			us, ue := 0, 0
			switch {
			case string(a) == "-u" || string(a) == "--user" || string(a) == "-U" || string(a) == "--proxy-user":
				if us, ue = next(te); us < ue {
					p = ue
				}
			case len(a) > 2 && a[0] == '-' && (a[1] == 'u' || a[1] == 'U'):
				us, ue = ts+2, te
			}
			if us < ue {
				if b[us] == '"' || b[us] == '\'' {
					us, ue = us+1, ue-1
				}
				if c := bytes.IndexByte(b[us:ue], ':'); c >= 0 {
					vs, ve = us+c+1, ue
				}
			}
		case credRedisServer:
			if string(a) == "--requirepass" || string(a) == "--masterauth" {
				if vs, ve = next(te); vs < ve {
					p = ve
				}
			}
		case credSecureString:
			switch {
			case equalFoldASCII(a, "-asplaintext"):
				plain = true
			case equalFoldASCII(a, "-string"):
				if ls, le := next(te); ls < le {
					literal, p = [2]int{ls, le}, le
				}
			case a[0] == '\'' || a[0] == '"':
				if literal[1] == 0 {
					literal = [2]int{ts, te}
				}
			}
		case credHtpasswd:
			switch {
			case a[0] == '-' && len(a) > 1:
				batch = batch || bytes.IndexByte(a, 'b') > 0
				nofile = nofile || bytes.IndexByte(a, 'n') > 0
			case np < len(positional):
				positional[np] = [2]int{ts, te}
				np++
			}
		}
		if vs < ve {
			quoted := false
			if b[vs] == '"' || b[vs] == '\'' {
				vs, ve, quoted = vs+1, ve-1, true
			}
			if vs < ve {
				s.commandSecret(vs, ve, quoted)
			}
		}
	}
	if form == credSecureString && plain && literal[1]-literal[0] > 2 {
		vs, ve := literal[0], literal[1]
		if q := b[vs]; (q == '\'' || q == '"') && b[ve-1] == q {
			// A double-quoted string that expands a variable is no
			// literal: "$env:DB_PASSWORD" is a reference.
			s.commandSecret(vs+1, ve-1, true)
		}
	}
	if form == credHtpasswd && batch {
		k := 2
		if nofile {
			k = 1
		}
		if k < np {
			vs, ve := positional[k][0], positional[k][1]
			quoted := b[vs] == '"' || b[vs] == '\''
			if quoted {
				vs, ve = vs+1, ve-1
			}
			s.commandSecret(vs, ve, quoted)
		}
	}
	return 0
}

// commandSecret reports a password given to a command or a directive,
// b[vs:ve], unless it is a placeholder or a reference ($DB_PASSWORD,
// ${PASS}, $(cat file), <password>).
func (s *Matcher) commandSecret(vs, ve int, quoted bool) {
	key := keySuffix | keyCommand
	if quoted {
		key |= keyDelimited
	}
	s.secretField(vs, ve, key)
}

// cmdletVerbs are the approved verbs of PowerShell cmdlets that read or
// make a value (Get-Credential, Read-Host, ConvertTo-SecureString).
var cmdletVerbs = []string{"Get-", "Read-", "New-", "ConvertTo-", "ConvertFrom-", "Import-",
	"Invoke-", "Select-", "Find-", "Resolve-", "Request-", "Receive-", "Unprotect-", "Export-"}

// cmdletCall reports whether v is the name of a PowerShell cmdlet, an
// approved verb and a noun, in any case (PowerShell ignores it): a call,
// not a secret.
func cmdletCall(v []byte) bool {
	for _, verb := range cmdletVerbs {
		if len(v) > len(verb)+1 && bytes.EqualFold(v[:len(verb)], []byte(verb)) && isLetter(v[len(verb)]) {
			for _, c := range v[len(verb):] {
				if !isAlnum[c] {
					return false
				}
			}
			return true
		}
	}
	return false
}

// atLineStart reports whether only spaces and tabs come before i on its
// line.
func atLineStart(b []byte, i int) bool {
	for i > 0 && (b[i-1] == ' ' || b[i-1] == '\t') {
		i--
	}
	return i == 0 || b[i-1] == '\n'
}

// nextArg returns the span of the next argument of a command line after
// p, on the same line: a run of anything but spaces, with quoted parts
// kept whole ('-p"S3 cret"'). ts == te when the line ends first.
func nextArg(b []byte, p int) (ts, te int) { return nextArgBefore(b, p, len(b)) }

// nextArgBefore is nextArg for a command line that ends at n at the
// latest.
func nextArgBefore(b []byte, p, n int) (ts, te int) {
	for p < n && (b[p] == ' ' || b[p] == '\t') {
		p++
	}
	ts = p
	var q byte
	for p < n && p-ts < 1024 {
		c := b[p]
		if c == '\n' || c == '\r' {
			break
		}
		if q != 0 {
			if c == q {
				q = 0
			}
			p++
			continue
		}
		if c == ' ' || c == '\t' {
			break
		}
		if c == '"' || c == '\'' {
			q = c
		}
		p++
	}
	if q != 0 {
		return ts, ts // an unclosed quote
	}
	return ts, p
}

// shellOperator reports whether an argument starting with c ends the
// command: a pipe, a list, a redirection or a comment.
func shellOperator(c byte) bool {
	switch c {
	case '|', ';', '&', '>', '<', '#', ')', '`':
		return true
	}
	return false
}

// queryCredentials are query parameters of URLs whose values are
// credentials though their names are too short to say so anywhere else,
// with the least length of a value: auth (PHP's Redis session URLs and
// many APIs), key (Google's API keys, AIza and 35 more) and sig (the
// signature of an Azure shared access signature). They count only after
// '?' or '&'.
var queryCredentials = map[string]int{"auth": 8, "key": 30, "sig": 30}

// lowerCamel reports whether v is an identifier in lower camel case
// (nopRelease, sessionToken): a lower-case letter first, an upper-case one
// later, no '_'.
func lowerCamel(v []byte) bool {
	return len(v) > 0 && isLower[v[0]] && camelWord(v)
}

// objectSecretWords name, before "Secret", a Kubernetes Secret that a
// Helm chart or manifest refers to by its name (certSecret,
// trustedCertsSecret, existingSecret, imagePullSecret, tls.secret).
var objectSecretWords = map[string]bool{
	"cert": true, "certs": true, "certificate": true, "certificates": true, "tls": true, "ssl": true,
	"existing": true, "trusted": true, "ca": true, "keystore": true, "truststore": true, "pull": true,
	"image": true, "registry": true, "docker": true, "config": true, "env": true, "volume": true,
}

// secretObject reports whether the value v of the key being read names a
// Kubernetes Secret rather than holding one: the key's last word is
// "secret" after a word of objectSecretWords, and v is a name as
// Kubernetes writes them (lower-case words joined by '-' or '.').
func (s *Matcher) secretObject(v []byte) bool {
	key := s.key
	if d := bytes.LastIndexByte(key, '.'); d >= 0 {
		if d == len(key)-1 {
			return false
		}
		key = key[d+1:]
	}
	var words [][]byte
	for k := 0; ; {
		ws, we := nextWord(key, k)
		if ws == we {
			break
		}
		words = append(words, key[ws:we])
		k = we
	}
	n := len(words)
	if n < 2 || !equalFoldASCII(words[n-1], "secret") {
		return false
	}
	var buf [16]byte
	if w := lowerWord(buf[:], words[n-2]); w == nil || !objectSecretWords[string(w)] {
		return false
	}
	if len(v) == 0 || !isLower[v[0]] {
		return false
	}
	for _, c := range v {
		if !isLower[c] && !isDigit(c) && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// headerName reports whether v is the name of an HTTP header, four or
// more capitalised words joined by '-' (X-Minio-Internal-Sealed-Key):
// what a constant named like a key holds in code.
func headerName(v []byte) bool {
	parts := 0
	for part := range bytes.SplitSeq(v, []byte("-")) {
		if len(part) == 0 || !isUpper(part[0]) {
			return false
		}
		for _, c := range part[1:] {
			if !isLower[c] && !(len(part) <= 2 && isAlnum[c]) {
				return false // a word, or a short name such as S3
			}
		}
		parts++
	}
	return parts >= 4
}

// upperWords reports whether v is two or more upper-case words apart by
// spaces (RSA PRIVATE KEY): a label, not a secret.
func upperWords(v []byte) bool {
	if bytes.IndexByte(v, ' ') <= 0 {
		return false
	}
	for _, c := range v {
		if !isUpper(c) && c != ' ' {
			return false
		}
	}
	return true
}

// ansiEscape reports whether v starts with a terminal escape sequence as
// scripts write it (\x1b[32m, \033[0m, \e[1m).
func ansiEscape(v []byte) bool {
	for _, p := range []string{`\x1b[`, `\033[`, `\e[`, `\u001b[`} {
		if bytes.HasPrefix(v, []byte(p)) {
			return true
		}
	}
	return false
}
