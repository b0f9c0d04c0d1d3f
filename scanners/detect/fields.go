package detect

import (
	"bytes"
	"encoding/base64"
	"strings"

	"github.com/piiscan/piiscan/finding"
)

// fieldKind is what a field name says about its value.
type fieldKind uint8

const (
	fieldNone fieldKind = iota
	fieldSecret
	fieldAuthorization
	fieldPersonName
	fieldGenericName // "name": only values that look like a person's name
	fieldAddress
	fieldGenericAddress // "address": only street-like values
	fieldDateOfBirth
	fieldHealth    // diagnosis, medical_condition: the value is health data
	fieldHealthCue // condition(s): health terms in the value count
	fieldPhone
	fieldSSN
	fieldCardCode // cvv, cvc: a card's security code, never to be stored
	fieldTaxID    // tax_id: an SSN when the region is US
)

// Field names are compared after normalisation: lower case, without '_',
// '-' and '.' ("Date-Of-Birth" and "date_of_birth" are both "dateofbirth").
var exactFields = map[string]fieldKind{
	"password": fieldSecret, "passwd": fieldSecret, "pwd": fieldSecret, "pass": fieldSecret,
	"pw": fieldSecret, "passphrase": fieldSecret, "secret": fieldSecret, "credentials": fieldSecret,
	"credential": fieldSecret, "apikey": fieldSecret, "xapikey": fieldSecret, "token": fieldSecret,

	"authorization": fieldAuthorization, "proxyauthorization": fieldAuthorization,

	"firstname": fieldPersonName, "lastname": fieldPersonName, "surname": fieldPersonName,
	"givenname": fieldPersonName, "familyname": fieldPersonName, "fullname": fieldPersonName,
	"middlename": fieldPersonName, "maidenname": fieldPersonName, "customername": fieldPersonName,
	"patientname": fieldPersonName, "cardholdername": fieldPersonName, "cardholder": fieldPersonName,
	"contactname": fieldPersonName, "billingname": fieldPersonName, "shippingname": fieldPersonName,
	"recipientname": fieldPersonName, "personname": fieldPersonName, "fname": fieldPersonName,
	"lname": fieldPersonName, "name": fieldGenericName, "displayname": fieldGenericName,

	"streetaddress": fieldAddress, "street": fieldAddress, "addressline1": fieldAddress,
	"addressline2": fieldAddress, "address1": fieldAddress, "address2": fieldAddress,
	"mailingaddress": fieldAddress, "billingaddress": fieldAddress, "shippingaddress": fieldAddress,
	"homeaddress": fieldAddress, "postaladdress": fieldAddress, "residentialaddress": fieldAddress,
	"deliveryaddress": fieldAddress, "physicaladdress": fieldAddress, "customeraddress": fieldAddress,
	"address": fieldGenericAddress, "addr": fieldGenericAddress,
	"addr1": fieldAddress, "addr2": fieldAddress, "addrline1": fieldAddress, "addrline2": fieldAddress,
	"streetaddr": fieldAddress,

	"dob": fieldDateOfBirth, "dateofbirth": fieldDateOfBirth, "birthdate": fieldDateOfBirth,
	"birthday": fieldDateOfBirth, "birthdt": fieldDateOfBirth, "bdate": fieldDateOfBirth,
	"birth": fieldDateOfBirth,

	"diagnosis": fieldHealth, "diagnoses": fieldHealth, "medicalcondition": fieldHealth,
	"medicalconditions": fieldHealth, "healthcondition": fieldHealth, "healthconditions": fieldHealth,
	"icd10": fieldHealth, "icd10code": fieldHealth, "icdcode": fieldHealth, "medication": fieldHealth,
	"medications": fieldHealth, "prescription": fieldHealth, "allergies": fieldHealth,
	"medicalhistory": fieldHealth, "condition": fieldHealthCue, "conditions": fieldHealthCue,
	"dxcode": fieldHealth, "icd": fieldHealth, "diagcode": fieldHealth,
	"diagnosiscode": fieldHealth, "icd9": fieldHealth, "icd9code": fieldHealth,

	"phone": fieldPhone, "phonenumber": fieldPhone, "tel": fieldPhone, "telephone": fieldPhone,
	"mobile": fieldPhone, "mobilenumber": fieldPhone, "cell": fieldPhone, "cellphone": fieldPhone,
	"msisdn": fieldPhone, "fax": fieldPhone, "homephone": fieldPhone, "workphone": fieldPhone,
	"contactphone": fieldPhone,

	"ssn": fieldSSN, "socialsecuritynumber": fieldSSN, "socialsecurityno": fieldSSN, "ussn": fieldSSN,
	"socialsecurity": fieldSSN, "ssnumber": fieldSSN, "ssnno": fieldSSN, "ssnnumber": fieldSSN,
	"socialsecuritynbr": fieldSSN, "socialsecuritynum": fieldSSN, "socialsecuritynr": fieldSSN,
	"social": fieldSSN, // its value must be an SSN in one of its written forms (ssnField)
	// The last four digits of an SSN are no SSN: nothing to report.
	"ssnlast4": fieldNone, "last4ssn": fieldNone, "ssn4": fieldNone,
	"taxid": fieldTaxID, "taxidnumber": fieldTaxID,

	"cvv": fieldCardCode, "cvv2": fieldCardCode, "cvc": fieldCardCode, "cvc2": fieldCardCode,
	"cardcid": fieldCardCode, "cardsecuritycode": fieldCardCode, "securitycode": fieldCardCode,
	"cardcvv": fieldCardCode, "cardcvc": fieldCardCode,

	// Names that end like a secret but hold none.
	"pagetoken": fieldNone, "nextpagetoken": fieldNone, "nexttoken": fieldNone,
	"continuationtoken": fieldNone, "tokentype": fieldNone, "csrftoken": fieldNone,
	"xsrftoken": fieldNone, "synctoken": fieldNone, "cursortoken": fieldNone,
	"passwordreset": fieldNone, "passwordresettoken": fieldSecret,
	// Names of Kubernetes Secrets and references to them (Helm values).
	"existingsecret": fieldNone, "secretname": fieldNone, "secretref": fieldNone,
	"secretkeyref": fieldNone, "existingsecretname": fieldNone,
	// A .NET strong name's public key token is the hash of a public key
	// (PublicKeyToken=31bf3856ad364e35 in every Windows CBS log).
	"publickeytoken": fieldNone,
}

// genericSecretNames are secret field names that other things are also
// called by.
var genericSecretNames = map[string]bool{"token": true, "secret": true, "credential": true, "credentials": true}

// secretSuffixes make any field name ending in them a secret field
// ("db_password", "clientSecret", "GITHUB_TOKEN", "x-api-key").
var secretSuffixes = []string{
	"password", "passwd", "passphrase", "secret", "apikey", "token", "privatekey", "secretkey",
	"signingkey", "encryptionkey", "masterkey", "accountkey", "sharedkey", "accesskeysecret",
	"secretaccesskey", "clientsecret", "authkey",
}

// fieldFilter and suffixFilter let field reject most keys of a structured
// log ("ts", "level", "req_id", "card") before building a string.
// fieldFilter is indexed by the first and the last two letters of a field
// name of interest, suffixFilter by the last three letters of a secret
// suffix.
var fieldFilter, suffixFilter [26 * 26 * 26]bool

func letterIndex(a, b, c byte) int {
	return (int(a|0x20-'a')*26+int(b|0x20-'a'))*26 + int(c|0x20-'a')
}

func init() {
	for k := range exactFields {
		n := len(k)
		if isLetter(k[0]) && isLetter(k[n-2]) && isLetter(k[n-1]) {
			fieldFilter[letterIndex(k[0], k[n-2], k[n-1])] = true
		}
	}
	for _, s := range secretSuffixes {
		n := len(s)
		suffixFilter[letterIndex(s[n-3], s[n-2], s[n-1])] = true
	}
}

// mayBeField applies fieldFilter and suffixFilter to the raw key b[ks:ke].
// Keys ending in a digit (address1, icd10) are always examined.
func mayBeField(b []byte, ks, ke int) bool {
	for ks < ke && !isLetter(b[ks]) {
		ks++
	}
	if ke-ks < 2 {
		return false
	}
	last := b[ke-1]
	if isDigit(last) {
		return true
	}
	prev := b[ke-2]
	if !isLetter(last) || !isLetter(prev) {
		return false
	}
	if fieldFilter[letterIndex(b[ks], prev, last)] {
		return true
	}
	return ke-ks >= 3 && isLetter(b[ke-3]) && suffixFilter[letterIndex(b[ke-3], prev, last)]
}

// columnFields are names that say what a column of a table holds but
// are other things as keys in code and configs ("dx": a register, a
// delta-x).
var columnFields = map[string]fieldKind{"dx": fieldHealth}

// columnName returns the kind of the normalised column name n: a
// delimited file's header or an SQL dump's column.
func columnName(n []byte) fieldKind {
	if k, ok := columnFields[string(n)]; ok {
		return k
	}
	return fieldName(n)
}

// fieldName returns the kind of the normalised field name n.
func fieldName(n []byte) fieldKind {
	if k, ok := exactFields[string(n)]; ok {
		return k
	}
	if len(n) < 6 {
		return fieldNone
	}
	switch n[len(n)-1] {
	case 'd', 'e', 't', 'y', 'n':
	default:
		return fieldNone
	}
	for _, suf := range secretSuffixes {
		if bytes.HasSuffix(n, []byte(suf)) {
			return fieldSecret
		}
	}
	return fieldNone
}

// normalizeFieldName lower-cases name into dst without '_', '-', '.' and
// spaces. It returns nil for names that cannot be field names.
func normalizeFieldName(dst, name []byte) []byte {
	dst = dst[:0]
	letter := false
	for _, c := range name {
		switch {
		case c == '_' || c == '-' || c == '.' || c == ' ':
		case isLetter(c):
			letter = true
			dst = append(dst, c|0x20)
		case isDigit(c):
			dst = append(dst, c)
		default:
			return nil
		}
	}
	if !letter {
		return nil
	}
	return dst
}

// keyChar reports whether c may appear in an unquoted field name.
func keyChar(c byte) bool { return isKeyByte[c] }

// field examines the key/value separator (':' or '=') at i. Besides
// "key: value" and "key=value" it reads the assignment operators of
// configuration files and scripts (":=", "?=", ".=", "=>"), spaces before
// the separator ("password       = x", Jackson's "\"key\" : value"), and
// keys quoted inside an index ($config['db_password'] = ...).
func (s *Matcher) field(i int) {
	b := s.b
	n := len(b)
	sep := b[i]
	ke := i
	vstart := i + 1
	var op secretKey
	if sep == ':' {
		if i+1 < n && (b[i+1] == '=' || b[i+1] == ':') || i > 0 && b[i-1] == ':' {
			return // ":=" is read at its '='; "::" is a scope
		}
	} else {
		if i+1 < n && b[i+1] == '=' {
			return // "==", "==="
		}
		if i+1 < n && b[i+1] == '>' {
			op = keyCode // "=>"
			vstart = i + 2
		}
		if i > 0 {
			switch b[i-1] {
			case '=', '!', '<', '>', '+', '-', '*', '/', '|', '&', '^', '%':
				return // comparisons and compound assignments
			case ':':
				op, ke = keyDefine, i-1
			case '?':
				ke = i - 1
			case '.':
				op, ke = keyCode, i-1
			}
		}
	}
	spaced := false
	for ke > 0 && i-ke < 64 && (b[ke-1] == ' ' || b[ke-1] == '\t') {
		ke--
		spaced = true
	}
	quoted := false
	if ke > 1 && b[ke-1] == ']' && (b[ke-2] == '"' || b[ke-2] == '\'') {
		ke-- // $config['db_password'], os.environ["DB_PASSWORD"]
	} else if ke > 2 && b[ke-1] == ']' && b[ke-2] == '[' {
		ke -= 2 // $passwords[] = "..."
	}
	if ke > 0 && (b[ke-1] == '"' || b[ke-1] == '\'') {
		quoted = true
		ke--
		if ke > 0 && b[ke-1] == '\\' {
			ke--
		}
	}
	if sep == ':' && spaced && !quoted {
		return
	}
	ks, lim := ke, max(ke-maxKeyLen, 0)
	for ks > lim && keyChar(b[ks-1]) {
		ks--
	}
	if ks == ke || ke-ks >= maxKeyLen || !isLetter(b[ks]) && b[ks] != '_' {
		return
	}
	if ks > 0 && b[ks-1] == '\\' && ke-ks > 5 && bytes.HasPrefix(b[ks:], []byte("u0026")) {
		ks += 5 // \u0026pageToken=: a '&' escaped in JSON
	}
	if ks > 0 && keyChar(b[ks-1]) {
		return
	}
	if ks > 1 && b[ks-1] == '{' && b[ks-2] == '$' {
		return // ${PASSWORD:-default}, ${TOKEN:?unset}: shell expansions
	}
	if sep == '=' && tupleAssignment(b, ks) {
		return // url, user, password := "https://...", "robpike", "pw123"
	}
	if sep == '=' && !quoted && i+1 < n && (b[i+1] == '"' || b[i+1] == '\'') && s.e.on(dCredentialField) &&
		(ke-ks == 3 && equalFoldASCII(b[ks:ke], "key") || ke-ks == 4 && equalFoldASCII(b[ks:ke], "name")) {
		s.namedValue(i + 1) // <add key="ApiSecret" value="..."/>
	}
	if sep == '=' && ke-ks <= 4 && ks > 0 && (b[ks-1] == '?' || b[ks-1] == '&') && s.e.on(dCredentialField) {
		if min := queryCredentials[string(b[ks:ke])]; min > 0 {
			vs, ve := fieldValue(b, i+1)
			if ve-vs >= min && !bytes.ContainsAny(b[vs:ve], "/.") { // not an object's key
				s.secretField(vs, ve, keyGeneric)
			}
			return
		}
	}
	name := b[ks:ke] // what names the value
	if ke-ks == 5 && equalFoldASCII(name, "value") && s.e.on(dCredentialField) {
		// An environment variable of Kubernetes, ECS or Terraform:
		// {"name": "DB_PASSWORD", "value": "..."}, or "- name:
		// API_TOKEN" on the line before "value: ...".
		if pn := pairName(b, ks); pn != nil {
			if _, ok := s.secretName(pn, mayBeField(pn, 0, len(pn))); ok {
				name = pn
			}
		}
	}
	filtered := mayBeField(name, 0, len(name))
	if !filtered && !(len(name) >= 4 && s.e.on(dCredentialField) && mayHoldSecretWord(name)) {
		return
	}
	norm := normalizeFieldName(s.scratch, name)
	if norm == nil {
		return
	}
	s.scratch = norm[:0]
	kind, strength := secretKeyName(name, norm, filtered)
	if kind == fieldNone {
		return
	}
	if sep == ':' && !quoted && testVerdict(b[ks:ke]) {
		return // --- PASS: TestLogin (0.02s), as go test, automake and DejaGnu write
	}
	if sep == ':' && !quoted {
		if !structuralKey(b, ks) {
			return
		}
		if i+1 < n && b[i+1] != ' ' && b[i+1] != '\t' && bytes.IndexByte(b[ks:ke], '.') >= 0 {
			return // io.jsonwebtoken:jjwt-api: a dependency's coordinates
		}
	}
	// The value.
	v := vstart
	if sep == ':' || spaced || v > i+1 || ke < i {
		for v < n && v-vstart < 8 && (b[v] == ' ' || b[v] == '\t') {
			v++
		}
	} else if v+1 < n && b[v] == ' ' && (b[v+1] == '"' || b[v+1] == '\'') {
		v++ // password= "...": a quoted value after a space
	}
	if v+1 < n && b[v] == '@' && b[v+1] == '"' {
		v++ // Objective-C's @"..."
	}
	vs, ve := fieldValue(b, v)
	if kind == fieldHealthCue || kind == fieldHealth {
		s.hits = append(s.hits, hit{start: ks, end: ke, kind: kwCue})
	}
	if kind == fieldSecret {
		key := op | strength
		last := name
		if d := bytes.LastIndexByte(name, '.'); d >= 0 {
			last = name[d+1:] // l.token = "...": a generic name all the same
		}
		var lb [12]byte
		if w := lowerWord(lb[:], last); genericSecretNames[string(norm)] || w != nil && genericSecretNames[string(w)] {
			key |= keyGeneric
		}
		if sep == ':' {
			key |= keyColon
			if !quoted && ks > 0 && (b[ks-1] == '"' || b[ks-1] == '\'' || b[ks-1] == '(') {
				key |= keyMessage // "enc.EncodeToken: expected %q; got %q"
			}
		}
		if sep == '=' && spaced && i+1 < n && b[i+1] == ' ' && (codeKey(b[ks:ke]) || camelWord(b[ks:ke])) {
			key |= keyCodeKey
		}
		if sameName(name, b[vs:ve]) && !quotedAt(b, vs) {
			return // password=password, c.token = token: a variable of the same name
		}
		s.key = name
		s.secretField(vs, ve, key)
		s.key = nil
		return
	}
	if op != 0 {
		return // other fields are read in data, not in source code
	}
	s.fieldValueOf(kind, vs, ve, genericSecretNames[string(norm)])
}

// codeKey reports whether a key is written as source code assigns to a
// field: a selector whose parts after the first have an upper-case
// letter (req.PageToken, p.nextToken, this.apiKey) or whose first part is
// one or two letters (c.token). Properties files name their keys in lower
// case (spring.datasource.password).
func codeKey(key []byte) bool {
	d := bytes.IndexByte(key, '.')
	if d < 0 {
		return false
	}
	if d <= 2 {
		return true
	}
	for _, c := range key[d+1:] {
		if isUpper(c) {
			return true
		}
	}
	return false
}

// quotedAt reports whether a value that starts at vs follows a quote.
func quotedAt(b []byte, vs int) bool { return vs > 0 && (b[vs-1] == '"' || b[vs-1] == '\'') }

// sameName reports whether the value v is the key's name, or the last
// part of a dotted key (password=password, c.secret = secret): a
// variable passed on, not a value.
func sameName(key, v []byte) bool {
	if d := bytes.LastIndexByte(key, '.'); d >= 0 {
		key = key[d+1:]
	}
	return len(v) > 0 && len(v) == len(key) && bytes.EqualFold(key, v)
}

// pairName returns the name of the variable whose "value" key starts at
// ks, from a "name" key before it: on the same line ({"name": "X",
// "value": ...}, as ECS task definitions and kubectl's JSON write it) or
// alone on the line before, at the same indentation (Kubernetes' "- name:
// X" then "value: ...", Terraform's name = "X" then value = ...). It
// returns nil when there is none.
func pairName(b []byte, ks int) []byte {
	ls := ks
	for ls > 0 && b[ls-1] != '\n' && ks-ls < 512 {
		ls--
	}
	// On the same line: the last name key before "value".
	for p := ks; p > ls; {
		k := bytes.LastIndex(b[ls:p], []byte("name"))
		if k < 0 {
			break
		}
		k += ls
		if ns, ne := nameAssignment(b, k, ks); ns < ne {
			return b[ns:ne]
		}
		p = k
	}
	// On the line before, at the column of "value".
	if ls == 0 {
		return nil
	}
	pe := ls - 1
	if pe > 0 && b[pe-1] == '\r' {
		pe--
	}
	ps := pe
	for ps > 0 && b[ps-1] != '\n' && pe-ps < 512 {
		ps--
	}
	col := ks - ls
	if ks > ls && (b[ks-1] == '"' || b[ks-1] == '\'') {
		col--
	}
	k := ps
	for k < pe && (b[k] == ' ' || b[k] == '\t' || b[k] == '-') {
		k++
	}
	if k-ps != col {
		return nil
	}
	if k < pe && (b[k] == '"' || b[k] == '\'') {
		k++
	}
	ns, ne := nameAssignment(b, k, pe)
	if ns == ne {
		return nil
	}
	// Nothing but a closing quote and a comma after the name.
	e := ne
	for e < pe && (b[e] == '"' || b[e] == '\'' || b[e] == ',' || b[e] == ' ') {
		e++
	}
	if e != pe {
		return nil
	}
	return b[ns:ne]
}

// nameAssignment reads a "name" key at k (in any case, quoted or not)
// with its value before limit: name: X, "name": "X", name = "X". It
// returns the span of the value, empty when there is none.
func nameAssignment(b []byte, k, limit int) (ns, ne int) {
	if k+4 > limit || !equalFoldASCII(b[k:k+4], "name") || k > 0 && keyChar(b[k-1]) {
		return 0, 0
	}
	p := k + 4
	if p < limit && (b[p] == '"' || b[p] == '\'') {
		p++
	}
	for p < limit && b[p] == ' ' {
		p++
	}
	if p >= limit || b[p] != ':' && b[p] != '=' {
		return 0, 0
	}
	p++
	for p < limit && b[p] == ' ' {
		p++
	}
	if p < limit && (b[p] == '"' || b[p] == '\'') {
		p++
	}
	ns = p
	for p < limit && p-ns < maxKeyLen && keyChar(b[p]) {
		p++
	}
	return ns, p
}

// tupleAssignment reports whether the key at ks is the last of a list of
// names assigned together: the line up to it is only names separated by
// commas ("url, user, password := ..."), after any indentation.
func tupleAssignment(b []byte, ks int) bool {
	p := ks
	for p > 0 && b[p-1] == ' ' {
		p--
	}
	if p == 0 || b[p-1] != ',' {
		return false
	}
	ls := p - 1
	for ls > 0 && b[ls-1] != '\n' && ks-ls < 256 {
		// A byte no list of names holds: the loop below would refuse
		// it, so stop here rather than walk to the line's start.
		if c := b[ls-1]; !tupleNameByte(c) && c != ',' && c != ' ' && c != '\t' {
			return false
		}
		ls--
	}
	if ls > 0 && b[ls-1] != '\n' {
		return false
	}
	for ls < p && (b[ls] == ' ' || b[ls] == '\t') {
		ls++
	}
	name := false
	for k := ls; k < p; k++ {
		switch c := b[k]; {
		case tupleNameByte(c):
			name = true
		case c == ',' && name:
			name = false
			for k+1 < p && b[k+1] == ' ' {
				k++
			}
		default:
			return false
		}
	}
	return true
}

// tupleNameByte reports whether c may be part of a name in a list that
// tupleAssignment reads ($self.user, url).
func tupleNameByte(c byte) bool { return wordChar(c) || c == '.' || c == '$' }

// maxKeyLen bounds the length of a field name
// (spring.security.oauth2.client.registration.keycloak.client-secret).
const maxKeyLen = 128

// structuralKey reports whether an unquoted key before ':' at ks starts a
// field (line start, after '{', ',', ';', '[', '(', '|', a quote or a YAML
// list dash) rather than ending a phrase of prose ("invalid password: ...").
func structuralKey(b []byte, ks int) bool {
	p := ks
	for p > 0 && (b[p-1] == ' ' || b[p-1] == '\t') {
		p--
	}
	if p == 0 {
		return true
	}
	switch b[p-1] {
	case '\n', '{', ',', ';', '[', '(', '|', '"', '\'', '-', '&', '?':
		return true
	}
	return false
}

// fieldValue returns the span of the value that starts at v: a quoted
// string (also with escaped quotes inside a JSON string), or an unquoted
// token up to a delimiter. The span excludes the quotes.
func fieldValue(b []byte, v int) (int, int) {
	n := len(b)
	const maxValue = 4096
	if v >= n {
		return v, v
	}
	switch {
	case b[v] == '"' || b[v] == '\'':
		q := b[v]
		for e := v + 1; e < n && e-v < maxValue; e++ {
			switch b[e] {
			case '\\':
				if e+1 < n && b[e+1] == q && q == '"' {
					return v + 1, e // \" inside a JSON string ends an escaped value
				}
				e++
			case q:
				return v + 1, e
			case '\n':
				return v + 1, v + 1
			}
		}
		return v + 1, v + 1
	case b[v] == '\\' && v+1 < n && b[v+1] == '"':
		for e := v + 2; e+1 < n && e-v < maxValue; e++ {
			if b[e] == '\\' && b[e+1] == '"' {
				return v + 2, e
			}
			if b[e] == '\n' {
				break
			}
		}
		return v, v
	}
	if c := b[v]; c == '[' || c == '<' || c == '(' {
		// [REDACTED], <hidden>, (none)
		closing := map[byte]byte{'[': ']', '<': '>', '(': ')'}[c]
		for e := v + 1; e < n && e-v < 32; e++ {
			if b[e] == closing {
				return v, e + 1
			}
		}
	}
	e := v
	for e < n && e-v < maxValue && !valueEnd[b[e]] {
		e++
	}
	return v, e
}

var valueEnd [256]bool

func init() {
	for _, c := range []byte(" \t\r\n\"',;&}])<>|") {
		valueEnd[c] = true
	}
}

// secretValue reports whether b[vs:ve], the value of a secret field, can be
// a secret rather than something else printed under the same name:
//   - a file path (PWD=/home/deploy in sudo logs, password_file settings);
//   - an object dump (token=Token{a64f992 ..., Token: Token { kind: ... },
//     token: android.os.BinderProxy@2bd79ce);
//   - a dotted identifier (com.apple.xpc.activity/4505).
//
// generic is set for field names that are often not secrets ("token"):
// their values must also look generated (a digit or mixed case). quoted
// is set for values written between delimiters, whose punctuation is part
// of them.
func secretValue(b []byte, vs, ve int, generic, quoted bool) bool {
	v := b[vs:ve]
	if len(v) < 3 || v[0] == '/' || v[0] == '~' || keyFileName(v) || versionNumber(v) || sigV4Scope(v) {
		return false
	}
	if hasPrefixFold(v, "https://") || hasPrefixFold(v, "http://") {
		return false // an OAuth scope or an endpoint; a password in a URL is url_credential's
	}
	if !quoted {
		if v[0] == '<' {
			return false // markup: password = <span class="hljs-string">
		}
		if bytes.ContainsAny(v, "{[(") {
			return false
		}
		if ve+1 < len(b) && b[ve] == ' ' && b[ve+1] == '{' {
			return false
		}
		if javaObject(v) || dottedIdentifier(v) {
			return false
		}
	}
	return !generic || hasDigitOrMixed(v)
}

// javaObject matches Java's default toString: pkg.Class@1a2b3c.
func javaObject(v []byte) bool {
	at := bytes.LastIndexByte(v, '@')
	if at <= 0 || at == len(v)-1 || bytes.IndexByte(v[:at], '.') < 0 {
		return false
	}
	for _, c := range v[at+1:] {
		if !isHex(c) {
			return false
		}
	}
	return true
}

// dottedIdentifier matches reverse-DNS names: com.apple.xpc.activity,
// optionally followed by /something.
func dottedIdentifier(v []byte) bool {
	if i := bytes.IndexByte(v, '/'); i >= 0 {
		v = v[:i]
	}
	parts := bytes.Split(v, []byte("."))
	if len(parts) < 3 {
		return false
	}
	for _, p := range parts {
		if len(p) == 0 || !isLetter(p[0]) {
			return false
		}
		for _, c := range p {
			if !isAlnum[c] && c != '_' && c != '-' {
				return false
			}
		}
	}
	return true
}

// fieldValue reports the value b[vs:ve] of a field of the given kind.
// generic is set for field names that say less about their values.
func (s *Matcher) fieldValue(kind fieldKind, vs, ve int) {
	s.fieldValueOf(kind, vs, ve, false)
}

func (s *Matcher) fieldValueOf(kind fieldKind, vs, ve int, generic bool) {
	b := s.b
	for vs < ve && b[vs] == ' ' {
		vs++
	}
	for ve > vs && b[ve-1] == ' ' {
		ve--
	}
	v := b[vs:ve]
	if len(v) == 0 || placeholder(v) {
		return
	}
	e := s.e
	switch kind {
	case fieldSecret:
		key := secretKey(0)
		if generic {
			key = keyGeneric
		}
		s.secretField(vs, ve, key)
	case fieldAuthorization:
		unquoted := vs > 0 && b[vs-1] != '"' && b[vs-1] != '\''
		if named, rooted := referenceValue(v); named || rooted || unquoted && (bytes.ContainsAny(v, "({[") || selectorPath(v)) {
			return // Authorization: req.Header.Get(...), a reference, not a value
		}
		if bytes.HasPrefix(v, []byte("AWS4-HMAC-SHA256")) {
			// An AWS Signature Version 4 is per request and expires
			// within minutes; the key id in its Credential= is found
			// on its own.
			return
		}
		if e.on(dAuthorization) {
			// "Bearer xyz", "Basic xyz", "Token xyz" or a bare token.
			t := vs
			for t < ve && isLetter(b[t]) {
				t++
			}
			if t < ve && b[t] == ' ' && t-vs <= 12 {
				for t < ve && b[t] == ' ' {
					t++
				}
			} else {
				t = vs
			}
			if ve-t >= 8 && !placeholder(b[t:ve]) {
				s.emit(dAuthorization, t, ve, finding.ConfidenceHigh)
			}
		}
	case fieldPersonName, fieldGenericName:
		if e.on(dPersonName) && personName(v, kind == fieldGenericName) {
			conf := finding.ConfidenceMedium
			if kind == fieldPersonName {
				conf = finding.ConfidenceHigh
			}
			s.emit(dPersonName, vs, ve, conf)
		}
	case fieldAddress, fieldGenericAddress:
		if e.on(dPostalAddress) && postalAddress(v, kind == fieldGenericAddress) {
			// A bare "address" field may hold an IP or e-mail address
			// too: its street-like value is one piece of evidence.
			conf := finding.ConfidenceHigh
			if kind == fieldGenericAddress {
				conf = finding.ConfidenceMedium
			}
			s.emit(dPostalAddress, vs, ve, conf)
		}
	case fieldDateOfBirth:
		if e.on(dDateOfBirth) && looksLikeDate(v) {
			s.emit(dDateOfBirth, vs, ve, finding.ConfidenceHigh)
		}
	case fieldHealth:
		if e.on(dHealthField) && healthText(v) {
			s.matches = append(s.matches, Match{Start: vs, End: ve, Rule: e.det[dHealthField],
				Confidence: finding.ConfidenceHigh, weak: true})
		}
	case fieldHealthCue:
		// Not health data by its name alone, but a condition or drug
		// found in it is reported over the whole value, with the
		// confidence the cue gave it (see resolve).
		if e.on(dHealthField) {
			s.matches = append(s.matches, Match{Start: vs, End: ve, Rule: e.det[dHealthField],
				weak: true, carrier: true})
		}
	case fieldPhone:
		if e.on(dPhone) && allDigits(v) && len(v) >= 7 && s.validPhone(v) {
			s.emit(dPhone, vs, ve, finding.ConfidenceHigh)
		}
	case fieldSSN, fieldTaxID:
		if e.on(dSSN) && (kind == fieldSSN || e.usTaxID) {
			s.ssnField(vs, ve)
		}
	case fieldCardCode:
		// PCI DSS forbids storing a card's security code after
		// authorisation: it is reported with the card numbers.
		if e.on(dCard) && allDigits(v) && (len(v) == 3 || len(v) == 4) {
			s.emit(dCard, vs, ve, finding.ConfidenceHigh)
		}
	}
}

// healthText reports whether v, the value of a health field, reads as a
// condition, a medication or a code ("type 2 diabetes", "E11.9",
// "Parkinson's disease (G20)"): letters, digits, spaces and the marks of
// such text, with a letter, and brackets only in pairs. Code in a field of
// that name ("dx:s=0", "diagnosis: max(W") is none.
func healthText(v []byte) bool {
	if !hasLetter(v) || !isAlnum[v[0]] && v[0] < 0x80 {
		return false
	}
	depth := 0
	for _, c := range v {
		switch {
		case isAlnum[c], c >= 0x80:
		case c == ' ', c == '.', c == ',', c == '\'', c == '-', c == '/', c == ';', c == ':', c == '+', c == '&',
			c == '\\', c == '"', c == '\t': // JSON's escapes (\"mild\", Diab\u00e8te), a tab
		case c == '(':
			depth++
		case c == ')':
			if depth--; depth < 0 {
				return false
			}
		default:
			return false
		}
	}
	return depth == 0
}

// authToken reports the credential after an auth scheme word ("Bearer",
// "Basic") that ends at p, and returns its end (0 when there is none).
func (s *Matcher) authToken(p int, basic bool) int {
	b := s.b
	n := len(b)
	if p >= n || b[p] != ' ' {
		return 0
	}
	for p < n && b[p] == ' ' {
		p++
	}
	t := p
	for t < n && tokenChar(b[t]) {
		t++
	}
	for t < n && b[t] == '=' {
		t++
	}
	tok := b[p:t]
	if len(tok) < 8 || !boundaryAfter(b, t) || placeholder(tok) {
		return 0
	}
	if basic {
		// Basic credentials are base64 of "user:password".
		dec := make([]byte, base64.StdEncoding.DecodedLen(len(tok)))
		m, err := base64.StdEncoding.Decode(dec, tok)
		if err != nil || bytes.IndexByte(dec[:m], ':') < 1 || !printable(dec[:m]) {
			return 0
		}
	} else if !hasDigitOrMixed(tok) {
		return 0 // "Bearer authentication", prose
	}
	s.emit(dAuthorization, p, t, finding.ConfidenceHigh)
	return t
}

func tokenChar(c byte) bool {
	return isAlnum[c] || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'
}

// placeholders are values that stand for a secret without being one.
// referencePrefixes start values that name where a secret is kept
// rather than holding it: Ruby and Octopus interpolation, Ansible Vault,
// HashiCorp Vault paths, AWS ARNs (Secrets Manager, SSM), URNs (WebDAV lock
// tokens are urn:uuid:...), Kubernetes and CI references.
var referencePrefixes = []string{"#{", "!vault", "vault:", "arn:aws:", "arn:aws-", "urn:", "secretref:", "sm://", "ssm:"}

// encodedBrackets are the percent-encoded brackets of a placeholder in
// a URL (%7Btoken%7D, %3CACCESS_TOKEN%3E, %5BREDACTED%5D).
var encodedBrackets = [][2]string{{"%7b", "%7d"}, {"%3c", "%3e"}, {"%5b", "%5d"}} // lower case, for equalFoldASCII

// encodedPlaceholder reports whether v is a name between percent-encoded
// brackets (see wrappedPlaceholder).
func encodedPlaceholder(v []byte) bool {
	for _, br := range encodedBrackets {
		if len(v) > 6 && hasPrefixFold(v, br[0]) && equalFoldASCII(v[len(v)-3:], br[1]) {
			for _, c := range v[3 : len(v)-3] {
				if !isLetter(c) && c != '_' && c != '-' && c != '.' {
					return false
				}
			}
			return true
		}
	}
	return false
}

// reference reports whether v names a secret kept elsewhere: one of
// referencePrefixes, a Windows environment reference (%DB_PASS%), or a
// fill-in phrase (your-api-key-here, <your-token>).
func reference(v []byte) bool {
	for _, p := range referencePrefixes {
		if hasPrefixFold(v, p) {
			return true
		}
	}
	if len(v) > 2 && v[0] == '%' && v[len(v)-1] == '%' && bytes.IndexByte(v[1:len(v)-1], '%') < 0 {
		return true
	}
	return hasPrefixFold(v, "your") && bytes.ContainsAny(v, "-_ ") ||
		len(v) >= 5 && (equalFoldASCII(v[len(v)-5:], "-here") || equalFoldASCII(v[len(v)-5:], "_here"))
}

var placeholders = []string{
	"redacted", "[redacted]", "<redacted>", "(redacted)", "filtered", "[filtered]", "masked",
	"hidden", "null", "nil", "none", "undefined", "true", "false", "n/a", "na", "-", "***",
	"changeme?", "<password>", "<secret>", "<token>", "your_password", "yourpassword",
	"password", "secret", "string", "example", "xxx", "empty", "unset", "removed", "omitted", "erased",
	// GitHub Actions permissions (id-token: write).
	"read", "write",
}

// placeholder reports whether v is empty of real data: a word from
// placeholders, one character repeated (*****, xxxxx), a template
// reference (${DB_PASSWORD}, {{ .Values.x }}, %(pw)s, $PASSWORD), a name
// between brackets (<redacted>, {token}, see wrappedPlaceholder) or what
// piiscan redact and erase write in place of a value.
func placeholder(v []byte) bool {
	if len(v) == 0 {
		return true
	}
	same := true
	for _, c := range v[1:] {
		if c != v[0] {
			same = false
			break
		}
	}
	if same && (len(v) > 1 || !isAlnum[v[0]]) {
		return true
	}
	if v[0] == '$' || bytes.HasPrefix(v, []byte("{{")) || bytes.HasPrefix(v, []byte("%(")) ||
		bytes.HasPrefix(v, []byte("%s")) || bytes.HasPrefix(v, []byte("<%")) || reference(v) {
		return true
	}
	if redactionToken(v) || wrappedPlaceholder(v) || v[0] == '%' && encodedPlaceholder(v) {
		return true
	}
	if len(v) > 24 {
		return false
	}
	for _, p := range placeholders {
		if equalFoldASCII(v, p) {
			return true
		}
	}
	return false
}

// redactionToken reports whether v is what piiscan writes in place of
// values (finding.Redaction, erasure): one or more masks "[class]",
// "[class:erased]" or "[class:…tail]", side by side or apart by spaces
// (overlapping values masked as one span). A redacted file scanned again
// has nothing to report.
func redactionToken(v []byte) bool {
	return masksOnly(v, nil)
}

// masksOnly reports whether v is one or more masks, side by side or apart
// by spaces, naming classes (any lower-case name when classes is nil).
func masksOnly(v []byte, classes map[string]bool) bool {
	if len(v) < 3 || v[0] != '[' {
		return false
	}
	for len(v) > 0 {
		if v[0] == ' ' {
			v = v[1:]
			continue
		}
		n := maskLen(v, classes)
		if n == 0 {
			return false
		}
		v = v[n:]
	}
	return true
}

// maskLen returns the length of the mask v starts with ("[class]",
// "[class:erased]", "[class:…tail]" with a tail of no spaces or brackets),
// or 0 when it starts with none. The class must be one of classes (any
// lower-case name when classes is nil).
func maskLen(v []byte, classes map[string]bool) int {
	if len(v) < 3 || v[0] != '[' {
		return 0
	}
	k := 1
	for k < len(v) && (isLower[v[k]] || isDigit(v[k]) || v[k] == '_' || v[k] == '-') {
		k++
	}
	if k == 1 || k == len(v) || classes != nil && !classes[string(v[1:k])] {
		return 0
	}
	rest := v[k:]
	switch {
	case rest[0] == ']':
		return k + 1
	case bytes.HasPrefix(rest, []byte(":erased]")):
		return k + len(":erased]")
	case bytes.HasPrefix(rest, []byte(":…")):
		// Only the tails finding.Redaction writes: the last four digits
		// of a number, or "@" and the domain of an email. Anything longer
		// (a whole card number, an address before its "@") is not a mask
		// but data shaped like one.
		t := len(":…")
		if n := maskTail(rest[t:]); n > 0 {
			return k + t + n
		}
	}
	return 0
}

// maskByte reports whether c may appear inside a mask that maskLen
// accepts: a class name's bytes, ':', the tail's digits, '@' and domain
// (keyChar), and the bytes of "…" (all at or above 0x80). The brackets
// are not counted.
func maskByte(c byte) bool { return keyChar(c) || c == ':' || c == '@' || c >= 0x80 }

// maskTail returns the length of the tail of a partial mask at the start
// of b, "1234]" or "@example.com]" with its closing bracket, or 0.
func maskTail(b []byte) int {
	if len(b) >= 5 && isDigit(b[0]) && isDigit(b[1]) && isDigit(b[2]) && isDigit(b[3]) && b[4] == ']' {
		return 5
	}
	if len(b) < 3 || b[0] != '@' {
		return 0
	}
	for t := 1; t < len(b) && t < 256; t++ {
		switch c := b[t]; {
		case c == ']':
			if t == 1 {
				return 0
			}
			return t + 1
		case keyChar(c):
		default:
			return 0
		}
	}
	return 0
}

// ownMask reports whether b[start:end] is nothing but masks piiscan wrote
// in place of values (see redactionToken) naming the engine's classes:
// the span, without quotes around it and punctuation after it, is masks,
// or the span lies inside one mask (a pattern rule matching the class
// name inside "[person_name]"). It reads at most a few hundred bytes
// around the span.
func (e *Engine) ownMask(b []byte, start, end int) bool {
	v := b[start:end]
	for len(v) > 0 && (v[0] == '"' || v[0] == '\'') {
		v = v[1:]
	}
	for len(v) > 0 && strings.IndexByte(`"',;.`, v[len(v)-1]) >= 0 {
		v = v[:len(v)-1]
	}
	if len(v) > 0 && v[0] == '[' {
		return masksOnly(v, e.classes)
	}
	// Inside one mask: the '[' before the span, and the ']' at or after
	// its last byte, with neither bracket nor line break between.
	lo := start
	for lo > 0 && start-lo < 64 && b[lo-1] != '[' && b[lo-1] != ']' && b[lo-1] != '\n' {
		if !maskByte(b[lo-1]) {
			return false // in no mask: stop before the line's start
		}
		lo--
	}
	if lo == 0 || b[lo-1] != '[' || end <= start {
		return false
	}
	hi := end - 1
	for hi < len(b) && hi-end < 300 && b[hi] != ']' && b[hi] != '[' && b[hi] != '\n' {
		hi++
	}
	if hi >= len(b) || b[hi] != ']' {
		return false
	}
	return maskLen(b[lo-1:], e.classes) == hi+2-lo
}

func allDigits(v []byte) bool {
	for _, c := range v {
		if !isDigit(c) {
			return false
		}
	}
	return len(v) > 0
}

func hasLetter(v []byte) bool {
	for _, c := range v {
		if isLetter(c) {
			return true
		}
	}
	return false
}

func printable(v []byte) bool {
	for _, c := range v {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// hasDigitOrMixed reports whether a token has a digit or mixes cases, as
// generated tokens do and English words do not.
func hasDigitOrMixed(v []byte) bool {
	up, low := false, false
	for _, c := range v {
		switch {
		case isDigit(c):
			return true
		case isUpper(c):
			up = true
		case isLetter(c):
			low = true
		}
	}
	return up && low && !isUpper(v[0]) || up && low && countUpper(v) > 1
}

func countUpper(v []byte) int {
	n := 0
	for _, c := range v {
		if isUpper(c) {
			n++
		}
	}
	return n
}

// personName checks a name field's value. strict (for a field called just
// "name") asks for two to four capitalised words of letters, as in
// "Alice Smith", so service and file names are not taken for people.
func personName(v []byte, strict bool) bool {
	if len(v) < 2 || len(v) > 100 || !hasLetter(v) || bytes.IndexByte(v, '@') >= 0 ||
		bytes.Contains(v, []byte("://")) || allDigits(v) {
		return false
	}
	if !strict {
		// A field named for a person, in code: a call, a reference or an
		// identifier (FullName: protoreflect.FullName(x), fName:
		// "repeated_nested_message", f.Name = decodedName) is no name.
		if bytes.ContainsAny(v, "_()=") {
			return false
		}
		if bytes.IndexByte(v, ' ') < 0 && !isUpper(v[0]) && (bytes.IndexByte(v, '.') > 0 || countUpper(v) > 0) {
			return false // x.name, decodedName
		}
		return true
	}
	words := bytes.Fields(v)
	if len(words) < 2 || len(words) > 4 {
		return false
	}
	for _, w := range words {
		if len(w) < 2 || !isUpper(w[0]) {
			return false
		}
		for _, c := range w[1:] {
			if !isLetter(c) && c != '\'' && c != '-' && c != '.' && c < 0x80 {
				return false
			}
		}
	}
	return true
}

// postalAddress checks an address field's value. strict (for a field called
// just "address") asks for a street line: a house number followed by a word,
// so network and memory addresses are not taken for homes.
func postalAddress(v []byte, strict bool) bool {
	if len(v) < 5 || len(v) > 200 || bytes.IndexByte(v, ' ') < 0 || !hasLetter(v) ||
		bytes.IndexByte(v, '@') >= 0 || bytes.Contains(v, []byte("://")) {
		return false
	}
	if !strict {
		return true
	}
	d := digitRun(v, 0)
	if d == 0 || d > 6 {
		return false
	}
	if d < len(v) && isLetter(v[d]) { // 221B
		d++
	}
	return d+2 < len(v) && v[d] == ' ' && isLetter(v[d+1]) && isLetter(v[d+2])
}

var monthNames = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// looksLikeDate accepts calendar dates in the usual written forms:
// 1990-04-23, 1990/04/23, 04/23/1990, 23.04.1990, 19900423, Apr 23, 1990,
// 23 April 1990.
func looksLikeDate(v []byte) bool {
	if len(v) > 40 {
		return false
	}
	var nums []int
	var widths []int
	month := 0
	for i := 0; i < len(v); {
		switch c := v[i]; {
		case isDigit(c):
			j := digitRun(v, i)
			x := 0
			for _, d := range v[i:j] {
				x = x*10 + int(d-'0')
			}
			nums = append(nums, x)
			widths = append(widths, j-i)
			i = j
		case isLetter(c):
			j := i
			for j < len(v) && isLetter(v[j]) {
				j++
			}
			if j-i >= 3 {
				for m, name := range monthNames {
					if hasPrefixFold(v[i:j], name) {
						month = m + 1
					}
				}
			}
			if month == 0 && !(j-i == 1 && (c == 'T' || c == 'Z')) {
				return false
			}
			i = j
		case c == '-' || c == '/' || c == '.' || c == ' ' || c == ',' || c == ':':
			i++
		default:
			return false
		}
	}
	validYear := func(y int) bool { return y >= 1900 && y <= 2100 }
	switch {
	case month > 0 && len(nums) >= 2:
		return (nums[0] <= 31 && validYear(nums[1])) || (validYear(nums[0]) && nums[1] <= 31)
	case len(nums) == 1 && widths[0] == 8:
		y, m, d := nums[0]/10000, nums[0]/100%100, nums[0]%100
		return validYear(y) && m >= 1 && m <= 12 && d >= 1 && d <= 31
	case len(nums) >= 3:
		a, b, c := nums[0], nums[1], nums[2]
		if widths[0] == 4 {
			return validYear(a) && b >= 1 && b <= 12 && c >= 1 && c <= 31
		}
		return widths[2] == 4 && validYear(c) && a >= 1 && b >= 1 && ((a <= 12 && b <= 31) || (b <= 12 && a <= 31))
	}
	return false
}

// Columns says which columns of a delimited file hold personal data, by
// their header names, or, for a block of an SQL dump, where the block
// starts in the dump's statements (see SQLTracker.Columns).
type Columns struct {
	Delim byte
	// noQuotes: a '"' is text, not CSV quoting (see TableColumns).
	noQuotes bool
	kinds    []fieldKind // by column index
	// country is 1 + the index of the column that names a record's
	// country (phone numbers of that country are then read in its
	// national format), or 0.
	country int
	// card is 1 + the index of the column of card numbers (card_number,
	// pan), or 0: its values need no card word on their line.
	card int
	// SkipFirstLine is set for the block that starts with the header.
	SkipFirstLine bool
	// sql, for a block of an SQL dump, is where the block starts in the
	// dump's statements (see SQLTracker).
	sql *sqlContext
	// fhir and hl7, for a block of a FHIR or HL7 v2 stream, are where the
	// block starts in it (see FHIRTracker and HL7Tracker).
	fhir *fhirContext
	hl7  *hl7Context
}

// Named reports whether column col's name says it holds personal data
// (a phone, an SSN, a card number, a secret, ...); false for a nil
// Columns.
func (c *Columns) Named(col int) bool {
	if c == nil || col < 0 {
		return false
	}
	if c.card == col+1 {
		return true
	}
	return col < len(c.kinds) && c.kinds[col] != fieldNone && c.kinds[col] != fieldVersion
}

// Any reports whether any column is of interest.
func (c *Columns) Any() bool {
	return c != nil && (len(c.kinds) > 0 || c.sql != nil || c.fhir != nil || c.hl7 != nil)
}

// HeaderColumns reads a header line of a delimited file and returns the
// columns whose names say they hold personal data, or nil when none does.
// delim 0 guesses among ',', ';', '\t' and '|'.
func HeaderColumns(header []byte, delim byte) *Columns {
	header = bytes.TrimRight(header, "\r\n")
	if delim == 0 {
		best := 0
		for _, d := range []byte{',', ';', '\t', '|'} {
			if c := bytes.Count(header, []byte{d}); c > best {
				best, delim = c, d
			}
		}
		if best == 0 {
			return nil
		}
	}
	return columnsNamed(splitDelimited(header, delim), delim)
}

// TableColumns returns the personal-data columns of a table rendered
// from a structured file (one row a line, values separated by tabs, no
// quoting: a '"' in a value is text), from its columns' names; nil when
// none is of interest.
func TableColumns(names []string) *Columns {
	bs := make([][]byte, len(names))
	for i, n := range names {
		bs[i] = []byte(n)
	}
	c := columnsNamed(bs, '\t')
	if c != nil {
		c.noQuotes = true
	}
	return c
}

// columnsNamed classifies the columns of a delimited stream by their
// names.
func columnsNamed(names [][]byte, delim byte) *Columns {
	cols := &Columns{Delim: delim}
	any := false
	var buf [64]byte
	for i, name := range names {
		name = bytes.Trim(name, "\"' ")
		if len(name) == 0 || len(name) > 64 {
			cols.kinds = append(cols.kinds, fieldNone)
			continue
		}
		norm := normalizeFieldName(buf[:0], name)
		k := fieldNone
		if norm != nil {
			k = columnName(norm)
		}
		if k == fieldNone && norm != nil && bytes.HasSuffix(norm, []byte("version")) {
			k = fieldVersion // version, os_version: dotted quads are versions
		}
		if k != fieldNone {
			any = true
		} else if norm != nil && cols.country == 0 && countryFieldName(norm) {
			cols.country = i + 1
			any = true
		} else if norm != nil && cols.card == 0 && cardFieldName(norm) {
			cols.card = i + 1
			any = true
		}
		cols.kinds = append(cols.kinds, k)
	}
	if !any {
		return nil
	}
	return cols
}

// splitDelimited splits a line at delim outside double quotes.
func splitDelimited(line []byte, delim byte) [][]byte {
	var out [][]byte
	start, inq := 0, false
	for i, c := range line {
		switch {
		case c == '"':
			inq = !inq
		case c == delim && !inq:
			out = append(out, line[start:i])
			start = i + 1
		}
	}
	return append(out, line[start:])
}

// columns reports the values of the columns named by s.cols, line by line.
func (s *Matcher) columns() {
	switch {
	case s.cols.sql != nil:
		s.sqlColumns()
		return
	case s.cols.fhir != nil:
		s.fhirColumns()
		return
	case s.cols.hl7 != nil:
		s.hl7Columns()
		return
	}
	b := s.b
	c := s.cols
	p := 0
	var notIP [][2]int // values of version columns
	if c.SkipFirstLine {
		if nl := bytes.IndexByte(b, '\n'); nl >= 0 {
			p = nl + 1
		} else {
			return
		}
	}
	for p < len(b) {
		end := bytes.IndexByte(b[p:], '\n')
		if end < 0 {
			end = len(b)
		} else {
			end += p
		}
		col, fs, inq := 0, p, false
		for k := p; k <= end; k++ {
			if k < end && b[k] == '"' && !c.noQuotes {
				inq = !inq
				continue
			}
			if k < end && (b[k] != c.Delim || inq) {
				continue
			}
			if col < len(c.kinds) && c.kinds[col] != fieldNone {
				vs, ve := fs, k
				if ve > vs && b[ve-1] == '\r' {
					ve--
				}
				if ve-vs >= 2 && b[vs] == '"' && b[ve-1] == '"' && !c.noQuotes {
					vs, ve = vs+1, ve-1
				}
				switch kind := c.kinds[col]; kind {
				case fieldVersion:
					notIP = append(notIP, [2]int{vs, ve})
				case fieldPhone:
					if dottedNumber(b[vs:ve]) {
						notIP = append(notIP, [2]int{vs, ve})
					}
					s.fieldValue(kind, vs, ve)
				case fieldHealth, fieldHealthCue:
					s.hits = append(s.hits, hit{start: vs, end: vs, kind: kwCue})
					s.fieldValue(kind, vs, ve)
				default:
					s.fieldValue(kind, vs, ve)
				}
			}
			col++
			fs = k + 1
		}
		p = end + 1
	}
	if len(notIP) > 0 {
		s.dropIPv4In(notIP)
	}
}

// dottedNumber reports whether a phone field's value v is a number
// written with dots, and nothing but a phone number's characters
// (88.60.15.31, (1) 42.34.22.66, as France writes them): no IP address.
// An address among other text in the field (a SIP URI, a host and port)
// is still one.
func dottedNumber(v []byte) bool {
	v = bytes.TrimSpace(v)
	return bytes.IndexByte(v, '.') >= 0 && len(bytes.Trim(v, "0123456789.()+- ")) == 0
}

// testVerdict reports whether key is the verdict a test runner prints
// before a test's name ("PASS: TestLogin", "--- PASS: ..."): upper-case
// PASS, not a password field.
func testVerdict(key []byte) bool { return string(key) == "PASS" }

// keyFileNames end the names of files that hold keys and certificates: a
// field whose value is such a name (privateKey: private.key) names the
// file, not the secret.
var keyFileNames = []string{".key", ".pem", ".crt", ".cer", ".p12", ".pfx", ".jks", ".keystore", ".der", ".pub", ".asc", ".gpg"}

// keyFileName reports whether v is the name of a key or certificate file.
func keyFileName(v []byte) bool {
	if bytes.ContainsAny(v, " \t") {
		return false
	}
	for _, ext := range keyFileNames {
		if len(v) > len(ext) && equalFoldASCII(v[len(v)-len(ext):], ext) {
			return true
		}
	}
	return false
}

// versionNumber reports whether v is digits joined by dots (1.302183,
// 2.6.0): a version under a key that happens to read like a secret's
// ('Test2::Event::Pass' => '1.302183').
func versionNumber(v []byte) bool {
	dots := 0
	for i, c := range v {
		switch {
		case c == '.' && i > 0 && i < len(v)-1 && v[i-1] != '.':
			dots++
		case !isDigit(c):
			return false
		}
	}
	return dots > 0
}

// sigV4Scope reports whether v is the Credential= of an AWS Signature
// Version 4: a key id, then /date/region/service/aws4_request. The key id
// is no secret (the aws_access_key_id detector reports an AKIA or ASIA
// one; test suites write AKIDEXAMPLE or a user name).
func sigV4Scope(v []byte) bool {
	v = bytes.TrimRight(v, ",")
	return bytes.HasSuffix(v, []byte("/aws4_request")) || bytes.HasSuffix(v, []byte("_request")) && bytes.Count(v, []byte("/")) >= 4
}
