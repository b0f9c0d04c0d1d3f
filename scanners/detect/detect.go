// Package detect finds personal data in bytes. It knows nothing about files,
// reports or configuration: it is built from a compiled rule set and turns a
// block of text into validated matches.
//
// Detection runs in two steps. A single prefilter pass looks at every byte
// once through a class table and only stops at the few places a match can
// start: digit runs (cards, phones, SSNs, IPv4), '@' (emails, URL
// credentials), ':' and '=' (IPv6, key/value fields), '<' followed by a
// letter (XML elements named like secrets), "-----BEGIN" (PEM keys)
// and the starts of words that a keyword filter accepts (health terms, auth
// schemes, AWS key ids). Each stop runs a precise parser and validator
// (Luhn and card brand ranges, IP octet ranges, SSN area rules, phone-number
// metadata, known top-level domains) on the bytes around it. Most bytes of a
// log never reach a validator.
package detect

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

const (
	numBuiltinDetectors = 20
	detNone             = -1
)

type detectorID int

const (
	dEmail detectorID = iota
	dIPv4
	dIPv6
	dCard
	dPhone
	dSSN
	dHealthCondition
	dHealthICD10
	dHealthMedication
	dHealthField
	dCredentialField
	dAuthorization
	dURLCredential
	dAWSKeyID
	dPrivateKey
	dPersonName
	dPostalAddress
	dDateOfBirth
	dVendorToken
	dCredentialFile
)

// detectorNames name the detector of each detectorID.
var detectorNames = [numBuiltinDetectors]string{
	dEmail:            catalog.Email,
	dIPv4:             catalog.IPv4,
	dIPv6:             catalog.IPv6,
	dCard:             catalog.CreditCard,
	dPhone:            catalog.PhoneNumber,
	dSSN:              catalog.USSSN,
	dHealthCondition:  catalog.HealthCondition,
	dHealthICD10:      catalog.HealthICD10,
	dHealthMedication: catalog.HealthMedication,
	dHealthField:      catalog.HealthField,
	dCredentialField:  catalog.CredentialField,
	dAuthorization:    catalog.Authorization,
	dURLCredential:    catalog.URLCredential,
	dAWSKeyID:         catalog.AWSAccessKeyID,
	dPrivateKey:       catalog.PrivateKey,
	dPersonName:       catalog.PersonNameField,
	dPostalAddress:    catalog.PostalAddressFld,
	dDateOfBirth:      catalog.DateOfBirthField,
	dVendorToken:      catalog.VendorToken,
	dCredentialFile:   catalog.CredentialFile,
}

// builtins are the catalog's detectors by detectorID.
var builtins = func() (b [numBuiltinDetectors]catalog.Detector) {
	for id, name := range detectorNames {
		d, ok := catalog.Lookup(name)
		if !ok {
			panic("detect: detector " + name + " is not in the catalog")
		}
		b[id] = d
	}
	return b
}()

// Rule is one detection rule: a built-in detector (Detector set) or a
// custom regular expression (Pattern set). See catalog.Rule.
type Rule = catalog.Rule

// Options tune detection.
type Options struct {
	// DefaultRegion is the ISO 3166 region used for phone numbers written
	// without a country code. Default "US".
	DefaultRegion string
	// Regions are more ISO 3166 regions whose national-format phone
	// numbers (written without a country code) are looked for
	// everywhere, besides DefaultRegion's.
	Regions []string
	// ContextWindow is how many bytes around a clinical cue a health term
	// may be found. Default 100.
	ContextWindow int
	// Patterns bound the time of pattern rules on hostile input (see
	// PatternLimits; zero fields take the defaults).
	Patterns PatternLimits
}

// Match is a validated span of the scanned text.
type Match struct {
	Start, End int
	// Rule indexes Engine.Rules.
	Rule       int
	Confidence finding.Confidence
	// Region is the phone region a phone number was read in when it is a
	// national number of a region other than the engine's default one
	// (090-1234-5678 in a record whose country is JP), else "". Normalise
	// the value with it (see RegionOr) to get its E.164 form.
	Region string
	// weak matches only stand when no other match of the same class
	// overlaps them (a diagnosis field whose value names a known condition
	// is reported as that condition, over the whole value).
	weak bool
	// carrier matches (weak too) are the value of a field whose name is
	// only a clinical cue ("condition"): they stand only joined to a
	// match of their class inside them, which then takes their span.
	carrier bool
}

// Engine is a compiled rule set. It is safe for concurrent use; each
// goroutine scans with its own Matcher.
type Engine struct {
	rules   []Rule
	det     [numBuiltinDetectors]int
	custom  []*customRule
	names   []string // the custom rules as PatternError names them
	limits  PatternLimits
	region  string
	nanp    bool
	window  int
	kw      *keywordTable
	healthy bool // any health detector enabled
	fields  bool // any detector that reads key/value fields enabled
	// classes are the classes of the rules and the built-in ones: the
	// masks piiscan writes name one of them (see ownMask).
	classes map[string]bool

	// regions are the upper-case Options.Regions without DefaultRegion.
	regions []string
	// usTaxID is set when US is the default region or one of the
	// regions: a tax_id field or "tax id" label then names an SSN.
	usTaxID bool
}

// New compiles rules into an Engine.
func New(rules []Rule, opts Options) (*Engine, error) {
	e := &Engine{rules: slices.Clone(rules), region: strings.ToUpper(opts.DefaultRegion), window: opts.ContextWindow,
		limits: opts.Patterns.withDefaults()}
	if e.region == "" {
		e.region = "US"
	}
	if e.window <= 0 {
		e.window = 100
	}
	e.nanp = isNANPRegion(e.region)
	e.usTaxID = e.region == "US"
	for _, r := range opts.Regions {
		r = strings.ToUpper(r)
		if r == "" || r == e.region || slices.Contains(e.regions, r) {
			continue
		}
		e.regions = append(e.regions, r)
		e.usTaxID = e.usTaxID || r == "US"
	}
	for i := range e.det {
		e.det[i] = detNone
	}
	for i, r := range e.rules {
		if r.Severity == 0 {
			return nil, fmt.Errorf("rule %q: no severity", r.ID)
		}
		if r.Confidence == 0 {
			e.rules[i].Confidence = finding.ConfidenceHigh
		}
		switch {
		case r.Detector != "" && r.Pattern != "":
			return nil, fmt.Errorf("rule %q: set detector or pattern, not both", r.ID)
		case r.Detector != "":
			id := detNone
			for j, b := range builtins {
				if b.Name == r.Detector {
					id = j
				}
			}
			if id == detNone {
				return nil, fmt.Errorf("rule %q: unknown detector %q", r.ID, r.Detector)
			}
			if e.det[id] != detNone {
				return nil, catalog.DetectorUsed(r.ID, r.Detector, e.rules[e.det[id]].ID)
			}
			if r.Class != "" && r.Class != builtins[id].Class {
				return nil, fmt.Errorf("rule %q: detector %q finds class %q, not %q", r.ID, r.Detector, builtins[id].Class, r.Class)
			}
			e.rules[i].Class = builtins[id].Class
			e.det[id] = i
		case r.Pattern != "":
			c, err := compileCustom(i, r, e.limits)
			if err != nil {
				return nil, fmt.Errorf("rule %q: %w", r.ID, err)
			}
			e.custom = append(e.custom, c)
			e.names = append(e.names, fmt.Sprintf("rule %q", r.ID))
		default:
			return nil, fmt.Errorf("rule %q: set a detector or a pattern", r.ID)
		}
	}
	for _, d := range []detectorID{dCard, dHealthField, dHealthCondition, dCredentialField, dAuthorization,
		dPersonName, dPostalAddress, dDateOfBirth, dPhone, dSSN} {
		e.fields = e.fields || e.on(d)
	}
	e.kw = builtinKeywords
	for ci, c := range e.custom {
		for _, k := range c.keywords {
			if prefixKeyword(string(k)) {
				if e.kw == builtinKeywords {
					e.kw = buildKeywords()
				}
				e.kw.addPrefix(string(k), ci)
			}
		}
	}
	e.classes = map[string]bool{}
	for _, c := range finding.BuiltinClasses() {
		e.classes[c] = true
	}
	for _, r := range e.rules {
		if r.Class != "" {
			e.classes[r.Class] = true
		}
	}
	e.healthy = e.det[dHealthCondition] != detNone || e.det[dHealthICD10] != detNone ||
		e.det[dHealthMedication] != detNone || e.det[dHealthField] != detNone
	return e, nil
}

// Rules returns the engine's rules; Match.Rule indexes it.
func (e *Engine) Rules() []Rule { return e.rules }

// Region returns the default phone region.
func (e *Engine) Region() string { return e.region }

func (e *Engine) on(d detectorID) bool { return e.det[d] != detNone }

// PatternLimits returns the limits of the engine's pattern rules, with the
// defaults filled in.
func (e *Engine) PatternLimits() PatternLimits { return e.limits }

// NewBudget returns the budget of the engine's pattern rules for one
// input (see Budget), or nil when the engine has none.
func (e *Engine) NewBudget() *Budget {
	if len(e.custom) == 0 {
		return nil
	}
	return NewBudget(e.limits, e.names)
}

// Matcher finds the matches of an engine's rules in text: it holds the
// scratch state of one goroutine's scans.
type Matcher struct {
	e       *Engine
	b       []byte
	matches []Match
	hits    []hit
	cols    *Columns
	scratch []byte
	key     []byte   // the name of the field whose secret value is read, or nil
	lines   []int    // line starts for custom rules
	v6end   int      // end of the last IPv6 candidate token
	pemEnd  int      // end of the last private-key block looked at
	file    FileKind // the credential file being scanned (see SetFile)
	quotes  quoteState
	pctx    phoneContext // regions of the current record, for phones
	// Pattern rules: the context that stops them, the budget they are
	// charged to (own for Scan), and what did not finish.
	ctx      context.Context
	budget   *Budget
	own      *Budget
	problems []PatternProblem
}

// specificRule is 1 for a match of a rule that knows its value's format
// (a vendor's token, a credential file's field): of two matches of one
// span and severity, it names the value better than a field's name does.
func specificRule(rules []Rule, m Match) int {
	switch rules[m.Rule].Detector {
	case catalog.VendorToken, catalog.CredentialFile:
		return 1
	}
	return 0
}

// PatternProblem is a pattern rule that did not finish on a line: a match
// timed out, or the rule used up its budget in the stream.
type PatternProblem struct {
	// Offset is the start of the line in the scanned text.
	Offset int
	Err    *PatternError
}

// NewMatcher returns a Matcher for e. A Matcher is not safe for concurrent
// use.
func (e *Engine) NewMatcher() *Matcher {
	return &Matcher{e: e, scratch: make([]byte, 0, 256)}
}

// Scan finds every match in text, which should hold whole lines. cols, when
// not nil, names the columns of a delimited (CSV) file whose values are
// personal data by their header. The returned slice is sorted by Start, has
// one match per span, and is valid until the next call to Scan.
//
// Pattern rules are charged to a budget of the Matcher's own, as if every
// text it scans were part of one stream; see ScanStream.
func (s *Matcher) Scan(text []byte, cols *Columns) []Match {
	if s.own == nil {
		s.own = s.e.NewBudget()
	}
	s.own.Scanned(len(text))
	return s.ScanStream(context.Background(), s.own, text, cols)
}

// ScanStream is Scan for a block of a stream (a file, an archive member)
// whose blocks are scanned by several Matchers: pattern rules are charged to
// budget, the stream's (see Engine.NewBudget; the caller reports the bytes
// it scans with Budget.Scanned), and stop between lines and matches when ctx
// ends. PatternProblems tells which did not finish.
func (s *Matcher) ScanStream(ctx context.Context, budget *Budget, text []byte, cols *Columns) []Match {
	s.b = text
	s.cols = cols
	s.matches = s.matches[:0]
	s.hits = s.hits[:0]
	s.problems = s.problems[:0]
	s.v6end = 0
	s.pemEnd = 0
	s.quotes = quoteState{}
	s.pctx.lo, s.pctx.hi = 0, 0
	s.ctx, s.budget = ctx, budget
	if budget == nil && len(s.e.custom) > 0 {
		if s.own == nil {
			s.own = s.e.NewBudget()
		}
		s.budget = s.own
	}
	s.prefilter()
	if s.file != FileNone && s.e.on(dCredentialFile) {
		s.credFile()
	}
	if cols.Any() {
		s.columns()
	}
	if s.e.healthy && len(s.hits) > 0 {
		s.health()
	}
	if len(s.e.custom) > 0 {
		s.customRules()
	}
	// What piiscan redact and erase wrote in place of values is no value:
	// a redacted file scanned again has nothing to report.
	s.matches = slices.DeleteFunc(s.matches, func(m Match) bool { return s.e.ownMask(s.b, m.Start, m.End) })
	s.resolve()
	s.ctx = nil
	return s.matches
}

// PatternProblems returns the pattern rules that did not finish in the last
// scan, by line. The slice is valid until the next scan.
func (s *Matcher) PatternProblems() []PatternProblem { return s.problems }

func (s *Matcher) emit(d detectorID, start, end int, conf finding.Confidence) {
	s.matches = append(s.matches, Match{Start: start, End: end, Rule: s.e.det[d], Confidence: conf})
}

// emitIn records a phone number read in the national format of region.
func (s *Matcher) emitIn(d detectorID, start, end int, conf finding.Confidence, region string) {
	if region == s.e.region {
		region = ""
	}
	s.matches = append(s.matches, Match{Start: start, End: end, Rule: s.e.det[d], Confidence: conf, Region: region})
}

// RegionOr returns the region to normalise m's value with (see Normalize):
// the region it was read in, or def, the engine's default region.
func (m Match) RegionOr(def string) string {
	if m.Region != "" {
		return m.Region
	}
	return def
}

// prefilter is the single pass over every byte.
func (s *Matcher) prefilter() {
	b := s.b
	n := len(b)
	e := s.e
	fields := e.fields
	for i := 0; i < n; {
		c := class[b[i]]
		if c == cOther {
			i++
			continue
		}
		switch c {
		case cLetter:
			// The word is b[i:k]; its letters before any digit, b[i:j].
			j := i + 1
			for j < n && isLetter(b[j]) {
				j++
			}
			k := j
			for k < n && isAlnum[b[k]] {
				k++
			}
			if j-i >= 2 {
				x := kwIndex(b[i], b[i+1])
				// Vendor tokens: words that start with the first two
				// letters of a vendor prefix (see tokens.go).
				if tokenPair[x] && e.on(dVendorToken) {
					if end := s.vendorToken(i, k); end > k {
						i = end
						continue
					}
				}
				if f := e.kw.filter[x]; f&(1<<min(j-i, maxKeywordLen)) != 0 {
					if next := s.word(i, j, k); next > k {
						k = next
					}
				}
			}
			if k-i == 20 && b[i] == 'A' && e.on(dAWSKeyID) && isAWSKeyID(b[i:k]) && boundaryBefore(b, i) && boundaryAfter(b, k) {
				s.emit(dAWSKeyID, i, k, finding.ConfidenceHigh)
			}
			i = k
		case cDigit:
			// Most digit runs (times, counters, sizes) cannot start a
			// match: skip them here without a call.
			j := i + 1
			for j < n && isDigit(b[j]) {
				j++
			}
			if j < n && (digitRunInert(b, i, j, e.nanp) || !digitRunShape(b, i, j, e.nanp)) {
				if isLetter(b[j]) {
					for j < n && isAlnum[b[j]] {
						j++
					}
				}
				i = j
				continue
			}
			i = s.number(i)
		case cAt:
			if e.on(dEmail) {
				s.email(i, 1)
			}
			if e.on(dURLCredential) {
				s.urlCredential(i)
			}
			i++
		case cColon:
			next := i + 1
			// An IPv6 address has a hex digit or another colon next to
			// this one; JSON's ":" and "key: value" have neither.
			if e.on(dIPv6) && i >= s.v6end && (i > 0 && isHex(b[i-1]) || next < n && (isHex(b[next]) || b[next] == ':')) {
				if end := s.ipv6(i); end > next {
					next = end
				}
			}
			// A colon between digits (10:00:00, 2024:13:55) ends no
			// field name: a JSON key is quoted, YAML puts a space after.
			if fields && !(i > 0 && isDigit(b[i-1]) && i+1 < n && isDigit(b[i+1])) {
				s.field(i)
			}
			// Docker's "auth": "base64(user:password)".
			if i > 5 && (b[i-1] == '"' && b[i-2] == 'h' || b[i-1] == ' ' && b[i-2] == '"') && e.on(dCredentialFile) {
				if end := s.dockerAuth(i); end > next {
					next = end
				}
			}
			i = next
		case cEquals:
			if fields {
				s.field(i)
			}
			i++
		case cLess:
			if i+1 < n && isLetter(b[i+1]) && e.on(dCredentialField) {
				if end := s.xmlElement(i); end > i {
					i = end
					continue
				}
			}
			i++
		case cPct:
			if i+3 < n && b[i+1] == '4' && b[i+2] == '0' && e.on(dEmail) {
				s.email(i, 3)
			}
			i++
		case cDash:
			if i+10 < n && b[i+1] == '-' && e.on(dPrivateKey) {
				if end := s.privateKey(i); end > i {
					i = end
					continue
				}
			}
			i++
		}
	}
}

// resolve sorts the matches and keeps one match per occurrence: identical
// spans keep the most severe rule, a span inside a longer one of the same
// class is dropped, and a weak match and an overlapping match of its class
// become one: the other's rule over both spans, with the higher confidence.
func (s *Matcher) resolve() {
	m := s.matches
	if len(m) == 0 {
		return
	}
	rules := s.e.rules
	slices.SortStableFunc(m, func(a, b Match) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		if a.End != b.End {
			return b.End - a.End // longer first
		}
		if a.weak != b.weak {
			if a.weak {
				return 1
			}
			return -1
		}
		if d := int(rules[b.Rule].Severity) - int(rules[a.Rule].Severity); d != 0 {
			return d
		}
		return specificRule(rules, b) - specificRule(rules, a)
	})
	out := m[:0]
	reach := 0 // the furthest end of the matches kept so far
	for _, cur := range m {
		drop := false
		for k := len(out) - 1; k >= 0 && reach > cur.Start; k-- {
			prev := &out[k]
			if prev.End <= cur.Start {
				if prev.Start < cur.Start-4096 {
					break
				}
				continue
			}
			same := rules[prev.Rule].Class == rules[cur.Rule].Class
			if prev.Start == cur.Start && prev.End == cur.End {
				drop = true // same span: the first is the most severe
				if same && cur.weak {
					prev.Confidence = max(prev.Confidence, cur.Confidence)
				}
				break
			}
			if !same {
				continue
			}
			// A weak match (the value of a field named for the class)
			// and a precise one of its class are one finding: the
			// precise rule over both spans, so that the field's value
			// is reported and masked whole ("breast cancer", not
			// "breast [health]"), with the field's evidence.
			switch {
			case cur.weak || prev.weak:
				drop = true
				switch {
				case !cur.weak:
					prev.Rule, prev.Region, prev.weak, prev.carrier = cur.Rule, cur.Region, false, false
				case prev.carrier && !cur.carrier:
					prev.Rule, prev.carrier = cur.Rule, false
				}
				prev.Confidence = max(prev.Confidence, cur.Confidence)
				if cur.End > prev.End {
					prev.End = cur.End
					reach = max(reach, prev.End)
				}
			case cur.End <= prev.End:
				drop = true // inside prev
			}
			if drop {
				break
			}
		}
		if !drop {
			out = append(out, cur)
			reach = max(reach, cur.End)
		}
	}
	s.matches = slices.DeleteFunc(out, func(x Match) bool { return x.carrier })
}
