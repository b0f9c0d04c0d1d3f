package detect

import "strings"

// Keyword kinds found at word starts by the prefilter.
const (
	kwCue uint16 = 1 << iota
	kwICDCue
	kwCondition
	kwDrug
	kwBearer
	kwBasic
	kwSetter // a call that sets a named value: setProperty("X_TOKEN", "...")
	kwCustom // a custom rule's keyword; hit.id is the rule's index in Engine.custom
	// kwCredential: a command that takes a password on its command line
	// (mysql -p..., curl -u user:...) or a configuration directive that
	// holds one (requirepass ...); see credentialWords.
	kwCredential
)

// A keyword entry: its first word is the map key; tail holds the rest of a
// phrase (lower case, words separated by one space).
type kwEntry struct {
	kind  uint16
	tail  string
	upper bool // must be written in upper case
}

// prefixEntry is a custom rule keyword, matched at the start of a word in
// any case.
type prefixEntry struct {
	text string // lower case
	rule int32  // index in Engine.custom
}

// keywordTable finds keywords at the start of words. filter has one bit per
// (first two letters, length of the word's letters) pair, so most words are
// rejected by a single table lookup without building a string.
type keywordTable struct {
	filter   [26 * 26]uint64
	second   kwSecond // see kwsecond.go
	words    map[string][]kwEntry
	prefixes [26 * 26][]prefixEntry
}

const maxKeywordLen = 63

// kwIndex is the filter row of a word starting with letters a and b.
func kwIndex(a, b byte) int { return int(a|0x20-'a')*26 + int(b|0x20-'a') }

// prefixKeyword reports whether a custom keyword can go in the keyword
// table: it starts with two letters.
func prefixKeyword(k string) bool { return len(k) >= 2 && isLetter(k[0]) && isLetter(k[1]) }

// addPrefix adds a custom rule keyword (lower case).
func (t *keywordTable) addPrefix(k string, rule int) {
	l := 0
	for l < len(k) && isLetter(k[l]) {
		l++
	}
	idx := kwIndex(k[0], k[1])
	t.prefixes[idx] = append(t.prefixes[idx], prefixEntry{text: k, rule: int32(rule)})
	for n := l; n <= maxKeywordLen; n++ {
		t.filter[idx] |= 1 << n
	}
	if l < len(k) {
		t.filter[idx] |= 1 << l // "emp-": the word's letters are exactly "emp"
	}
}

// builtinKeywords is the table of built-in keywords, shared by engines
// without custom keywords.
var builtinKeywords = buildKeywords()

func buildKeywords() *keywordTable {
	t := &keywordTable{words: map[string][]kwEntry{}}
	add := func(kind uint16, phrase string) {
		upper := strings.ToUpper(phrase) == phrase && strings.ToLower(phrase) != phrase
		p := strings.ToLower(phrase)
		first, tail, _ := strings.Cut(p, " ")
		// "covid-19", "crohn's": the word is the leading letters.
		w := 0
		for w < len(first) && isLetter(first[w]) {
			w++
		}
		if w < len(first) {
			tail = strings.TrimSpace(first[w:] + " " + tail)
			if !strings.HasPrefix(first[w:], "'") && !strings.HasPrefix(first[w:], "-") {
				tail = " " + tail
			}
			first = first[:w]
		} else if tail != "" {
			tail = " " + tail
		}
		for i, e := range t.words[first] {
			if e.tail == tail && e.upper == upper {
				t.words[first][i].kind |= kind
				return
			}
		}
		t.words[first] = append(t.words[first], kwEntry{kind: kind, tail: tail, upper: upper})
		t.filter[kwIndex(first[0], first[1])] |= 1 << len(first)
		t.second.add(first)
	}
	for _, w := range healthCues {
		add(kwCue, w)
	}
	for _, w := range icdCues {
		add(kwCue|kwICDCue, w)
	}
	for _, w := range healthConditions {
		add(kwCondition, w)
	}
	for _, w := range medications {
		add(kwDrug, w)
	}
	add(kwBearer, "bearer")
	add(kwBasic, "basic")
	for _, w := range setterNames {
		add(kwSetter, w)
	}
	for w := range credentialWords {
		add(kwCredential, w)
	}
	// Longest phrase first, so "type 2 diabetes" wins over "type".
	for k, es := range t.words {
		for i := 1; i < len(es); i++ {
			for j := i; j > 0 && len(es[j].tail) > len(es[j-1].tail); j-- {
				es[j], es[j-1] = es[j-1], es[j]
			}
		}
		t.words[k] = es
	}
	return t
}

// hit is a keyword found in the text.
type hit struct {
	start, end int
	kind       uint16
	id         int32
}

// word examines the word b[i:j] (letters) whose alphanumeric run ends at k,
// after the keyword filter accepted it. It returns where the prefilter goes
// on (k, or later when it consumed a phrase or a credential).
func (s *Matcher) word(i, j, k int) int {
	b := s.b
	e := s.e
	l := j - i
	for _, p := range e.kw.prefixes[kwIndex(b[i], b[i+1])] {
		if hasPrefixFold(b[i:], p.text) {
			s.hits = append(s.hits, hit{start: i, end: i + len(p.text), kind: kwCustom, id: p.rule})
		}
	}
	if l > maxKeywordLen || !e.kw.second.has(b[i:j]) {
		return k
	}
	var buf [maxKeywordLen]byte
	for x := 0; x < l; x++ {
		buf[x] = b[i+x] | 0x20
	}
	entries := e.kw.words[string(buf[:l])]
	for _, en := range entries {
		if en.upper && !allUpper(b[i:j]) {
			continue
		}
		end := j
		if en.tail != "" {
			end = matchTail(b, j, en.tail)
			if end < 0 {
				continue
			}
		} else if k != j && en.kind&kwCue == 0 {
			continue // "covid19x": letters glued to digits
		}
		if !boundaryAfter(b, end) && en.tail != "" {
			continue
		}
		switch {
		case en.kind&kwBearer != 0:
			if e.on(dAuthorization) {
				if t := s.authToken(end, false); t > 0 {
					return t
				}
			}
			return k
		case en.kind&kwBasic != 0:
			if e.on(dAuthorization) {
				if t := s.authToken(end, true); t > 0 {
					return t
				}
			}
			return k
		case en.kind&kwSetter != 0:
			if k == j && e.on(dCredentialField) {
				if t := s.setterCall(j); t > 0 {
					return t
				}
			}
			if en.kind == kwSetter {
				return k
			}
		case en.kind&kwCredential != 0:
			if e.on(dCredentialField) {
				if t := s.credentialWord(i, end, string(buf[:l])+en.tail); t > 0 {
					return t
				}
			}
			if en.kind == kwCredential {
				return k
			}
		}
		s.hits = append(s.hits, hit{start: i, end: end, kind: en.kind})
		if end > k {
			return end
		}
		return k
	}
	return k
}

// matchTail matches the rest of a phrase after position p. A space in tail
// matches one space, '-' or '_'. It returns the end of the phrase or -1.
func matchTail(b []byte, p int, tail string) int {
	for x := 0; x < len(tail); x++ {
		if p >= len(b) {
			return -1
		}
		c := b[p]
		if tail[x] == ' ' {
			if c != ' ' && c != '-' && c != '_' {
				return -1
			}
		} else if toLower(c) != tail[x] {
			return -1
		}
		p++
	}
	return p
}

func allUpper(w []byte) bool {
	for _, c := range w {
		if isLetter(c) && !isUpper(c) {
			return false
		}
	}
	return true
}

// setterNames are the calls that set a value by name, whose arguments
// setterCall reads: Java's System.setProperty and Properties.put, PHP's
// define (wp-config.php), Go's os.Setenv, Python's os.putenv, JavaScript's
// localStorage.setItem and map-like set/put methods.
var setterNames = []string{"setProperty", "define", "setenv", "putenv", "put", "set", "setItem", "setSecret"}

// isAWSKeyID checks AKIA/ASIA followed by 16 characters of AWS's base-32
// alphabet (A-Z, 2-7), not all the same (AKIAAAAAAAAAAAAAAAAA).
func isAWSKeyID(w []byte) bool {
	if len(w) != 20 || w[0] != 'A' || (w[1] != 'K' && w[1] != 'S') || w[2] != 'I' || w[3] != 'A' {
		return false
	}
	same := true
	for _, c := range w[4:] {
		if !isUpper(c) && (c < '2' || c > '7') {
			return false
		}
		same = same && c == w[4]
	}
	return !same
}
