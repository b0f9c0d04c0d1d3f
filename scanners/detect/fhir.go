package detect

import (
	"bytes"
	"slices"

	"github.com/piiscan/piiscan/finding"
)

// FHIR (HL7's JSON interchange format for health records) names what every
// value is, but by a path inside a resource rather than by a field name of
// its own: "family" is a surname only under name[] of a Patient, and
// "display" is a diagnosis only under code.coding[] of a Condition. The
// reader of a FHIR stream (a pretty-printed resource or Bundle, or an
// ndjson bulk export with one resource per line) follows its JSON
// structure with a FHIRTracker, which hands each block the structure it
// starts in; the Matcher walks the block from there and gives the values
// of the paths in fhirPaths their kind.
//
// The walk keeps, for each open container, the key it is the value of and,
// for objects, their "resourceType" and "system" once read: the resource
// type of a value is that of the nearest enclosing object that has one (a
// Bundle's entry[].resource, a contained resource). FHIR's JSON writes
// resourceType first and a telecom's or identifier's system before its
// value; values read before them are not attributed. Memory is bounded:
// at most fhirMaxDepth containers are kept, the outermost fhirKeep (the
// resource a deep extension is in, to come back to) and the innermost
// others (a resource nested deep in others, to read its values); the
// containers between are only counted, and their own values are not
// read. Keys and codes longer than fhirMaxKey are not kept.

// Limits of the walk.
const (
	fhirMaxDepth = 48
	fhirKeep     = 16
	fhirMaxKey   = 64
)

// fhirFrame is an open JSON container.
type fhirFrame struct {
	array  bool
	key    string // key this container is the value of; "" in an array, "?" when unknown
	res    string // resourceType of this object once read; "?" when not one of fhirResources
	system string // this object's "system" once read (telecom, identifier)
}

// fhirState is where a JSON walk stands.
type fhirState struct {
	// stack is the outermost fhirKeep open containers, then, when lost
	// is not zero, the innermost ones after the lost ones.
	stack []fhirFrame
	lost  int // open containers dropped from the stack, after its first fhirKeep
	key   string
	// expectKey: the next string in the innermost object is a key.
	expectKey bool
	inStr     bool
	esc       bool
	strKey    bool   // the string being read is a key
	str       []byte // its first bytes (fhirMaxKey+1 at most)
}

// fhirContext is the state a block of a FHIR stream starts in. It is never
// modified once handed out.
type fhirContext struct{ st fhirState }

// FHIRTracker follows the JSON structure of a FHIR stream read in order. It
// is fed every byte of the stream once, and tells each block where it
// starts. A FHIRTracker is not safe for concurrent use; the contexts it
// returns are.
type FHIRTracker struct{ st fhirState }

// NewFHIRTracker returns a tracker for a FHIR stream read from its start.
func NewFHIRTracker() *FHIRTracker { return &FHIRTracker{} }

// Columns returns the context of a block that starts after the bytes fed
// so far.
func (t *FHIRTracker) Columns() *Columns {
	st := t.st
	st.stack = slices.Clone(st.stack)
	st.str = slices.Clone(st.str)
	return &Columns{fhir: &fhirContext{st: st}}
}

// Feed follows the structure of p, the next bytes of the stream.
func (t *FHIRTracker) Feed(p []byte) { t.st.walk(p, nil) }

// FHIRStream reports whether a stream whose first bytes are head is FHIR
// JSON: a JSON object or array (or ndjson) with a "resourceType" key.
func FHIRStream(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) == 0 || head[0] != '{' && head[0] != '[' {
		return false
	}
	k := bytes.Index(head, []byte(`"resourceType"`))
	if k < 0 {
		return false
	}
	v := bytes.TrimLeft(head[k+len(`"resourceType"`):], " \t\r\n")
	return len(v) > 0 && v[0] == ':'
}

// fhirResources are the resource types whose paths mean something here;
// other types are walked as "?".
var fhirResources = map[string]string{}

// fhirKeys are the keys that occur in fhirPaths, interned; other keys are
// "?".
var fhirKeys = map[string]string{}

// fhirSystems are the telecom and identifier systems that decide a value's
// kind.
var fhirSystems = map[string]fieldKind{
	"phone": fieldPhone, "fax": fieldPhone, "sms": fieldPhone, "email": fhirEmail,
	"http://hl7.org/fhir/sid/us-ssn": fieldSSN,
}

// fhirSystemNames interns the keys of fhirSystems.
var fhirSystemNames = map[string]string{}

func init() {
	for k := range fhirSystems {
		fhirSystemNames[k] = k
	}
}

// Kinds only FHIR gives.
const (
	fhirEmail     fieldKind = 0xf0 + iota // a telecom value whose system is email
	fhirBySystem                          // a telecom or identifier value: the kind its system names
	fhirSSNSystem                         // an identifier value: an SSN when its system is us-ssn
)

// fhirPaths give the values of a resource type's paths (keys from the
// resource down, arrays left out) their kind. A coded concept's text and
// its codings' display are read under the same paths.
//
// Clinical resources say what a patient has (Condition,
// FamilyMemberHistory), is allergic to, takes (the Medication* resources),
// had done (Procedure, Immunization) or came for (Encounter.reasonCode).
// An Observation's code only names what was measured ("Body Height",
// "Hemoglobin A1c") and its numbers need their code to mean anything:
// only coded results (valueCodeableConcept: "Positive", "Never smoked
// tobacco") are reported; the same holds for a DiagnosticReport, whose
// conclusionCode is reported. Practitioners are people: their names,
// addresses and telecoms are reported as a patient's are.
var fhirPaths = map[string]fieldKind{}

func init() {
	concept := func(paths ...string) []string {
		var out []string
		for _, p := range paths {
			out = append(out, p+".text", p+".coding.display")
		}
		return out
	}
	add := func(types []string, kind fieldKind, paths []string) {
		for _, t := range types {
			fhirResources[t] = t
			for _, p := range paths {
				fhirPaths[t+"/"+p] = kind
				for _, k := range bytes.Split([]byte(p), []byte(".")) {
					fhirKeys[string(k)] = string(k)
				}
			}
		}
	}
	people := []string{"Patient", "RelatedPerson", "Practitioner", "Person"}
	names := []string{"name.family", "name.given", "name.text"}
	addresses := []string{"address.line", "address.text"}
	add(people, fieldPersonName, names)
	add(people, fieldAddress, addresses)
	add(people, fieldDateOfBirth, []string{"birthDate"})
	add(people, fhirBySystem, []string{"telecom.value"})
	add(people, fhirSSNSystem, []string{"identifier.value"})
	add([]string{"Patient"}, fieldPersonName, []string{"contact.name.family", "contact.name.given", "contact.name.text"})
	add([]string{"Patient"}, fieldAddress, []string{"contact.address.line", "contact.address.text"})
	add([]string{"Patient"}, fhirBySystem, []string{"contact.telecom.value"})

	add([]string{"Condition", "Procedure", "Medication"}, fieldHealth, concept("code"))
	add([]string{"Condition"}, fieldHealth, concept("bodySite"))
	add([]string{"Procedure", "Encounter", "MedicationRequest", "MedicationStatement", "MedicationAdministration"},
		fieldHealth, concept("reasonCode"))
	add([]string{"AllergyIntolerance"}, fieldHealth, concept("code", "reaction.manifestation", "reaction.substance"))
	add([]string{"AllergyIntolerance"}, fieldHealth, []string{"reaction.description"})
	add([]string{"MedicationRequest", "MedicationStatement", "MedicationAdministration", "MedicationDispense"},
		fieldHealth, concept("medicationCodeableConcept", "medication.concept"))
	add([]string{"Immunization"}, fieldHealth, concept("vaccineCode"))
	add([]string{"FamilyMemberHistory"}, fieldHealth, concept("condition.code"))
	add([]string{"Observation"}, fieldHealth, concept("valueCodeableConcept", "component.valueCodeableConcept"))
	add([]string{"DiagnosticReport"}, fieldHealth, concept("conclusionCode"))
	for _, k := range []string{"resourceType", "system", "resource"} {
		fhirKeys[k] = k
	}
	for _, t := range []string{"Bundle", "Encounter", "Observation", "DiagnosticReport"} {
		fhirResources[t] = t
	}
}

// fhirColumns gives the values of the block's FHIR paths their kind.
func (s *Matcher) fhirColumns() {
	st := s.cols.fhir.st
	st.stack = slices.Clone(st.stack)
	st.str = slices.Clone(st.str)
	st.walk(s.b, s.fhirValue)
}

// walk follows the JSON in b from st. value, when not nil, is called with
// the span of every string value read whole in b (without its quotes).
func (st *fhirState) walk(b []byte, value func(st *fhirState, vs, ve int)) {
	n := len(b)
	strStart := -1 // start of the current string's content in b; -1: before b
	quote := -1    // the next '"' at or after i, once looked for (n: none)
	for i := 0; i < n; i++ {
		if st.inStr {
			if st.esc { // b[i] is escaped
				st.esc = false
				if len(st.str) <= fhirMaxKey {
					st.str = append(st.str, b[i])
				}
				continue
			}
			// Skip to the next quote or backslash.
			if quote < i {
				quote = n
				if q := bytes.IndexByte(b[i:], '"'); q >= 0 {
					quote = i + q
				}
			}
			j := quote
			if k := bytes.IndexByte(b[i:j], '\\'); k >= 0 {
				j = i + k
			}
			if room := fhirMaxKey + 1 - len(st.str); room > 0 {
				st.str = append(st.str, b[i:min(j, i+room)]...)
			}
			i = j
			if i >= n {
				break
			}
			if b[i] == '\\' {
				st.esc = true
				if len(st.str) <= fhirMaxKey {
					st.str = append(st.str, '\\')
				}
				continue
			}
			st.inStr = false
			st.endString(b, strStart, i, value)
			continue
		}
		switch b[i] {
		case '"':
			st.inStr, st.esc = true, false
			st.strKey = st.expectKey && !st.inLost() && len(st.stack) > 0 && !st.stack[len(st.stack)-1].array
			st.str = st.str[:0]
			strStart = i + 1
		case '{', '[':
			key := ""
			if !st.inLost() && len(st.stack) > 0 && !st.stack[len(st.stack)-1].array {
				key = st.key
			}
			if len(st.stack) == fhirMaxDepth {
				// Too deep: the outer half of the inner
				// containers is only counted from now on.
				n := (fhirMaxDepth - fhirKeep) / 2
				st.stack = append(st.stack[:fhirKeep], st.stack[fhirKeep+n:]...)
				st.lost += n
			}
			st.stack = append(st.stack, fhirFrame{array: b[i] == '[', key: key})
			st.key, st.expectKey = "", b[i] == '{'
		case '}', ']':
			switch {
			case st.inLost():
				st.lost--
			case len(st.stack) > 0:
				st.stack = st.stack[:len(st.stack)-1]
			}
			st.key, st.expectKey = "", false
			// A new resource in ndjson starts at depth 0.
		case ',':
			if !st.inLost() && len(st.stack) > 0 && !st.stack[len(st.stack)-1].array {
				st.key, st.expectKey = "", true
			}
		case ':':
			st.expectKey = false
		}
	}
}

// endString handles a string that ends at b[e] (its closing quote). Its
// content starts at b[vs], or before b when vs < 0.
func (st *fhirState) endString(b []byte, vs, e int, value func(st *fhirState, vs, ve int)) {
	if st.inLost() || len(st.stack) == 0 {
		return
	}
	top := &st.stack[len(st.stack)-1]
	if st.strKey {
		st.key = "?"
		if len(st.str) <= fhirMaxKey {
			if k, ok := fhirKeys[string(st.str)]; ok {
				st.key = k
			}
		}
		return
	}
	if !top.array {
		switch st.key {
		case "resourceType":
			top.res = "?"
			if t, ok := fhirResources[string(st.str)]; ok {
				top.res = t
			}
			return
		case "system":
			top.system = "?"
			if len(st.str) <= fhirMaxKey {
				if sys, ok := fhirSystemNames[string(st.str)]; ok {
					top.system = sys
				}
			}
			return
		}
	}
	if value != nil && vs >= 0 {
		value(st, vs, e)
	}
}

// inLost reports whether the innermost open container is one only counted.
func (st *fhirState) inLost() bool { return st.lost > 0 && len(st.stack) == fhirKeep }

// fhirValue gives the string value b[vs:ve] the kind of its path.
func (s *Matcher) fhirValue(st *fhirState, vs, ve int) {
	low := 0 // the resource is looked for down to the lost containers
	if st.lost > 0 {
		low = fhirKeep
	}
	r := len(st.stack) - 1
	for r >= low && st.stack[r].res == "" {
		r--
	}
	if r < low || st.stack[r].res == "?" {
		return
	}
	p := append(s.scratch[:0], st.stack[r].res...)
	p = append(p, '/')
	first := true
	for _, f := range st.stack[r+1:] {
		if f.key == "" {
			continue
		}
		if f.key == "?" {
			return
		}
		if !first {
			p = append(p, '.')
		}
		p = append(p, f.key...)
		first = false
	}
	top := &st.stack[len(st.stack)-1]
	if !top.array {
		if st.key == "?" || st.key == "" {
			s.scratch = p[:0]
			return
		}
		if !first {
			p = append(p, '.')
		}
		p = append(p, st.key...)
	}
	kind, ok := fhirPaths[string(p)]
	s.scratch = p[:0]
	if !ok {
		return
	}
	if kind == fhirBySystem || kind == fhirSSNSystem {
		sys, ok := fhirSystems[top.system]
		if !ok || kind == fhirSSNSystem && sys != fieldSSN || kind == fhirBySystem && sys == fieldSSN {
			return
		}
		kind = sys
	}
	v := s.b[vs:ve]
	switch kind {
	case fhirEmail:
		if s.e.on(dEmail) && bytes.Count(v, []byte("@")) == 1 && bytes.IndexByte(v[bytes.IndexByte(v, '@'):], '.') > 0 &&
			!bytes.ContainsAny(v, " \\\"") {
			s.emit(dEmail, vs, ve, finding.ConfidenceHigh)
		}
	case fieldPhone:
		if s.e.on(dPhone) && phoneText(v) && s.validPhone(v) {
			s.emit(dPhone, vs, ve, finding.ConfidenceHigh)
		}
	case fieldSSN:
		if s.e.on(dSSN) {
			s.ssnField(vs, ve)
		}
	case fieldHealth:
		s.hits = append(s.hits, hit{start: vs, end: vs, kind: kwCue})
		s.fieldValue(kind, vs, ve)
	default:
		s.fieldValue(kind, vs, ve)
	}
}

// phoneText reports whether v is written as a phone number: digits and the
// punctuation phone numbers are written with.
func phoneText(v []byte) bool {
	if len(v) < 7 || len(v) > 24 {
		return false
	}
	digits := 0
	for _, c := range v {
		switch {
		case isDigit(c):
			digits++
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '+' || c == '/':
		default:
			return false
		}
	}
	return digits >= 7
}
