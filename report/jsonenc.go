package report

import (
	"strconv"
	"unicode/utf8"

	"github.com/piiscan/piiscan/finding"
)

// encoder appends findings as JSON objects. It writes the fields in a fixed
// order without reflection, and encodes the strings a rule repeats in every
// finding (class, rule, severity, policy) once per rule: a large scan
// writes millions of findings.
type encoder struct {
	rules    map[string]*ruleJSON // by rule id
	last     *ruleJSON
	path     repeated // the findings of a file follow each other
	violates repeated
}

// repeated encodes a string that usually repeats from one finding to the
// next (the path of a file's findings, the clauses they violate) once per
// change.
type repeated struct {
	s   string
	enc []byte
}

// append appends s as a JSON string, converted by conv first unless conv
// is nil; both are done again only when s changes.
func (r *repeated) append(b []byte, s string, conv func(string) string) []byte {
	if s != r.s || r.enc == nil {
		r.s = s
		if conv != nil {
			s = conv(s)
		}
		r.enc = appendString(r.enc[:0], s)
	}
	return append(b, r.enc...)
}

type ruleJSON struct {
	id     string
	fields []byte // ,"class":...,"rule":...,"severity":"..."
	policy []byte // ,"policy":"..." or nothing
}

func (e *encoder) rule(f *finding.Finding) *ruleJSON {
	if e.last != nil && e.last.id == f.Rule {
		return e.last
	}
	r, ok := e.rules[f.Rule]
	if !ok {
		if e.rules == nil {
			e.rules = map[string]*ruleJSON{}
		}
		r = &ruleJSON{id: f.Rule}
		r.fields = append(r.fields, `,"class":`...)
		r.fields = appendString(r.fields, f.Class)
		r.fields = append(r.fields, `,"rule":`...)
		r.fields = appendString(r.fields, f.Rule)
		r.fields = append(r.fields, `,"severity":"`...)
		r.fields = append(r.fields, f.Severity.String()...)
		r.fields = append(r.fields, '"')
		if f.Policy != "" {
			r.policy = append(r.policy, `,"policy":`...)
			r.policy = appendString(r.policy, f.Policy)
		}
		e.rules[f.Rule] = r
	}
	e.last = r
	return r
}

// appendFinding appends f as a JSON object. Its path is written with
// finding.EncodePath, so that invalid UTF-8 in a name survives.
func (e *encoder) appendFinding(b []byte, f *finding.Finding) []byte {
	b = append(b, `{"path":`...)
	b = e.path.append(b, f.Path, finding.EncodePath)
	b = append(b, `,"line":`...)
	b = strconv.AppendInt(b, int64(f.Line), 10)
	b = append(b, `,"column":`...)
	b = strconv.AppendInt(b, int64(f.Column), 10)
	b = append(b, `,"length":`...)
	b = strconv.AppendInt(b, int64(f.Length), 10)
	if f.Field != "" {
		b = append(b, `,"field":`...)
		b = appendString(b, f.Field)
	}
	r := e.rule(f)
	b = append(b, r.fields...)
	b = append(b, `,"confidence":"`...)
	b = append(b, f.Confidence.String()...)
	b = append(b, `","masked":`...)
	b = appendString(b, f.Masked)
	b = append(b, `,"fingerprint":`...)
	b = appendString(b, f.Fingerprint)
	b = append(b, r.policy...)
	b = appendPlacement(b, f, &e.violates)
	if f.Value != "" {
		b = append(b, `,"value":`...)
		b = appendString(b, f.Value)
	}
	return append(b, '}')
}

// appendPlacement appends the location, disallowed and violates fields.
func appendPlacement(b []byte, f *finding.Finding, violates *repeated) []byte {
	if f.Location != "" {
		b = append(b, `,"location":`...)
		b = appendString(b, f.Location)
	}
	if !f.Disallowed {
		return append(b, `,"disallowed":false`...)
	}
	b = append(b, `,"disallowed":true`...)
	if f.Violates != "" {
		b = append(b, `,"violates":`...)
		b = violates.append(b, f.Violates, nil)
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// with encoding/json (paths are given to it through finding.EncodePath).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
