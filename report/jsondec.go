package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/piiscan/piiscan/finding"
)

// Decoder reads findings the jsonl format wrote back, one line at a
// time, for merging findings files: millions of lines, where
// encoding/json's reflection and validation cost most of a merge. It
// parses the flat object the encoder writes (string, integer and boolean values, any field order) and falls
// back to encoding/json for anything else, so it accepts what
// encoding/json accepts. Strings that repeat from one finding to the next
// (paths, classes, rules, policies) are kept and reused.
type Decoder struct {
	strs map[string]string
}

var errSlowPath = errors.New("not the encoder's form")

// Decode sets f from the JSON object b. The path is read back with
// finding.DecodePath.
func (d *Decoder) Decode(b []byte, f *finding.Finding) error {
	*f = finding.Finding{}
	if err := d.fast(b, f); err != nil {
		*f = finding.Finding{}
		if err := json.Unmarshal(b, f); err != nil {
			return err
		}
	}
	f.Path = finding.DecodePath(f.Path)
	return nil
}

func (d *Decoder) fast(b []byte, f *finding.Finding) error {
	p := parser{b: b}
	if !p.byte('{') {
		return errSlowPath
	}
	seen := 0
	for first := true; ; first = false {
		if p.byte('}') {
			break
		}
		if !first && !p.byte(',') {
			return errSlowPath
		}
		key, ok := p.plainString()
		if !ok || !p.byte(':') {
			return errSlowPath
		}
		var bit int
		switch string(key) {
		case "path":
			bit = 1
			f.Path, ok = d.str(&p)
		case "line":
			bit = 2
			f.Line, ok = p.int()
		case "column":
			bit = 4
			f.Column, ok = p.int()
		case "length":
			bit = 8
			f.Length, ok = p.int()
		case "field":
			bit = 32768
			f.Field, ok = d.str(&p)
		case "class":
			bit = 16
			f.Class, ok = d.str(&p)
		case "rule":
			bit = 32
			f.Rule, ok = d.str(&p)
		case "severity":
			bit = 64
			var s string
			if s, ok = d.str(&p); ok {
				ok = f.Severity.UnmarshalText([]byte(s)) == nil
			}
		case "confidence":
			bit = 128
			var s string
			if s, ok = d.str(&p); ok {
				ok = f.Confidence.UnmarshalText([]byte(s)) == nil
			}
		case "masked":
			bit = 256
			f.Masked, ok = p.string()
		case "fingerprint":
			bit = 512
			f.Fingerprint, ok = p.string()
		case "policy":
			bit = 1024
			f.Policy, ok = d.str(&p)
		case "location":
			bit = 2048
			f.Location, ok = d.str(&p)
		case "disallowed":
			bit = 4096
			f.Disallowed, ok = p.bool()
		case "violates":
			bit = 8192
			f.Violates, ok = d.str(&p)
		case "value":
			bit = 16384
			f.Value, ok = p.string()
		default:
			return errSlowPath // unknown fields: encoding/json decides
		}
		if !ok || seen&bit != 0 {
			return errSlowPath
		}
		seen |= bit
	}
	if p.i != len(bytes.TrimRight(b, " \t\r\n")) {
		return errSlowPath
	}
	return nil
}

// str reads a string that is likely to repeat and returns a shared copy.
func (d *Decoder) str(p *parser) (string, bool) {
	raw, ok := p.plainString()
	if !ok {
		return p.string()
	}
	if s, ok := d.strs[string(raw)]; ok {
		return s, true
	}
	if d.strs == nil || len(d.strs) > 1<<16 {
		d.strs = map[string]string{}
	}
	s := string(raw)
	d.strs[s] = s
	return s, true
}

// parser reads the tokens of one compact JSON object.
type parser struct {
	b []byte
	i int
}

func (p *parser) byte(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// plainString reads a string without escapes or invalid UTF-8 and
// returns its bytes; otherwise it reads nothing.
func (p *parser) plainString() ([]byte, bool) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, false
	}
	for j := p.i + 1; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '"':
			s := p.b[p.i+1 : j]
			if !utf8.Valid(s) {
				return nil, false
			}
			p.i = j + 1
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// string reads any JSON string.
func (p *parser) string() (string, bool) {
	if s, ok := p.plainString(); ok {
		return string(s), true
	}
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return "", false
	}
	j := p.i + 1
	for ; j < len(p.b) && p.b[j] != '"'; j++ {
		if p.b[j] == '\\' {
			j++
		}
	}
	if j >= len(p.b) {
		return "", false
	}
	var s string
	if json.Unmarshal(p.b[p.i:j+1], &s) != nil {
		return "", false
	}
	p.i = j + 1
	return s, true
}

func (p *parser) int() (int, bool) {
	j := p.i
	if j < len(p.b) && p.b[j] == '-' {
		j++
	}
	start := j
	for j < len(p.b) && p.b[j] >= '0' && p.b[j] <= '9' {
		j++
	}
	if j == start || (p.b[start] == '0' && j-start > 1) {
		return 0, false
	}
	n, err := strconv.Atoi(string(p.b[p.i:j]))
	if err != nil {
		return 0, false
	}
	p.i = j
	return n, true
}

func (p *parser) bool() (bool, bool) {
	switch {
	case bytes.HasPrefix(p.b[p.i:], []byte("true")):
		p.i += 4
		return true, true
	case bytes.HasPrefix(p.b[p.i:], []byte("false")):
		p.i += 5
		return false, true
	}
	return false, false
}
