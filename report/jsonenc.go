package report

import (
	"strconv"
	"unicode/utf8"

	"github.com/piiscan/piiscan/finding"
)

// encoder appends findings as JSON objects. It writes the fields in a fixed
// order without reflection, and encodes the strings a rule repeats in every
// finding (class, rule, policy) once: a large scan writes millions of
// findings.
type encoder struct {
	rules map[string][]byte // rule id -> encoded class, rule, severity fields
	last  string
	frag  []byte
}

func (e *encoder) ruleFields(f *finding.Finding) []byte {
	if f.Rule == e.last && e.frag != nil {
		return e.frag
	}
	key := f.Rule + "\x00" + f.Class + "\x00" + f.Policy + "\x00" + f.Severity.String()
	frag, ok := e.rules[key]
	if !ok {
		if e.rules == nil {
			e.rules = map[string][]byte{}
		}
		frag = append(frag, `,"class":`...)
		frag = appendString(frag, f.Class)
		frag = append(frag, `,"rule":`...)
		frag = appendString(frag, f.Rule)
		frag = append(frag, `,"severity":"`...)
		frag = append(frag, f.Severity.String()...)
		frag = append(frag, '"')
		e.rules[key] = frag
	}
	e.last, e.frag = f.Rule, frag
	return frag
}

// appendFinding appends f as a JSON object.
func (e *encoder) appendFinding(b []byte, f *finding.Finding) []byte {
	b = append(b, `{"path":`...)
	b = appendString(b, f.Path)
	b = append(b, `,"line":`...)
	b = strconv.AppendInt(b, int64(f.Line), 10)
	b = append(b, `,"column":`...)
	b = strconv.AppendInt(b, int64(f.Column), 10)
	b = append(b, `,"length":`...)
	b = strconv.AppendInt(b, int64(f.Length), 10)
	b = append(b, e.ruleFields(f)...)
	b = append(b, `,"confidence":"`...)
	b = append(b, f.Confidence.String()...)
	b = append(b, `","masked":`...)
	b = appendString(b, f.Masked)
	b = append(b, `,"fingerprint":`...)
	b = appendString(b, f.Fingerprint)
	if f.Policy != "" {
		b = append(b, `,"policy":`...)
		b = append(b, e.policy(f.Policy)...)
	}
	if f.Value != "" {
		b = append(b, `,"value":`...)
		b = appendString(b, f.Value)
	}
	return append(b, '}')
}

// policy returns the encoded policy string, cached.
func (e *encoder) policy(p string) []byte {
	if e.rules == nil {
		e.rules = map[string][]byte{}
	}
	key := "\x01" + p
	if enc, ok := e.rules[key]; ok {
		return enc
	}
	enc := appendString(nil, p)
	e.rules[key] = enc
	return enc
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// with encoding/json.
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
