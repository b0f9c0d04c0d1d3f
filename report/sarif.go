package report

import (
	"bufio"
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

// SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/). Results
// stream between a head holding the tool and its rules and a tail holding
// the invocation, whose notifications list the unreadable inputs.

const sarifSchema = "https://json.schemastore.org/sarif-2.1.0.json"

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name"`
	ShortDescription     sarifMessage      `json:"shortDescription"`
	FullDescription      sarifMessage      `json:"fullDescription"`
	Help                 sarifMessage      `json:"help"`
	DefaultConfiguration map[string]string `json:"defaultConfiguration"`
	Properties           map[string]any    `json:"properties"`
}

type sarifWriter struct {
	w        *bufio.Writer
	buf      []byte
	first    bool
	ruleIdx  map[string]int
	violates repeated
}

// sarifLevel maps a severity to a SARIF level.
func sarifLevel(s finding.Severity) string {
	switch s {
	case finding.SeverityCritical, finding.SeverityHigh:
		return "error"
	case finding.SeverityMedium:
		return "warning"
	}
	return "note"
}

// securitySeverity is the numeric score code-scanning dashboards sort by.
func securitySeverity(s finding.Severity) string {
	switch s {
	case finding.SeverityCritical:
		return "9.0"
	case finding.SeverityHigh:
		return "7.5"
	case finding.SeverityMedium:
		return "5.0"
	}
	return "2.0"
}

func newSARIF(w io.Writer, meta Meta) (*sarifWriter, error) {
	s := &sarifWriter{w: bufio.NewWriterSize(w, 64<<10), first: true, ruleIdx: map[string]int{}}
	rules := make([]sarifRule, 0, len(meta.Rules))
	for i, r := range meta.Rules {
		s.ruleIdx[r.ID] = i
		desc := r.Class + " (custom pattern rule)"
		if d, ok := catalog.Lookup(r.Detector); ok {
			desc = d.Description
		}
		full := desc
		if r.Policy != "" {
			full = desc + ". Policy: " + r.Policy
		}
		rules = append(rules, sarifRule{
			ID:                   r.ID,
			Name:                 sarifName(r.ID),
			ShortDescription:     sarifMessage{Text: "Personal data (" + r.Class + "): " + desc},
			FullDescription:      sarifMessage{Text: full},
			Help:                 sarifMessage{Text: "Remove or redact this " + r.Class + " value, or add it to the allowlist in rules.yaml if the policy permits it."},
			DefaultConfiguration: map[string]string{"level": sarifLevel(r.Severity)},
			Properties: map[string]any{
				"tags":              []string{"privacy", "pii", r.Class},
				"class":             r.Class,
				"severity":          r.Severity.String(),
				"security-severity": securitySeverity(r.Severity),
			},
		})
		if r.Policy != "" {
			rules[len(rules)-1].Properties["policy"] = r.Policy
		}
	}
	driver := map[string]any{
		"name":           "piiscan",
		"informationUri": "https://github.com/piiscan/piiscan",
		"version":        meta.Version,
		"rules":          rules,
	}
	head, err := json.Marshal(map[string]any{"driver": driver})
	if err != nil {
		return nil, err
	}
	s.w.WriteString(`{"$schema":"` + sarifSchema + `","version":"2.1.0","runs":[{"tool":`)
	s.w.Write(head)
	s.w.WriteString(`,"columnKind":"unicodeCodePoints","results":[`)
	return s, nil
}

// sarifName turns a rule id into the PascalCase name SARIF viewers show.
func sarifName(id string) string {
	var b strings.Builder
	up := true
	for _, r := range id {
		if r == '-' || r == '_' || r == '.' {
			up = true
			continue
		}
		if up && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		b.WriteRune(r)
	}
	return b.String()
}

// artifactURI writes a finding path as a relative URI reference, with
// '/' separators and reserved characters escaped. Archive members keep
// their "!" separator; a '!' in a name is percent-encoded (%21).
func artifactURI(p string) string {
	outer, members := itempath.Split(p)
	outer = filepath.ToSlash(outer)
	var b strings.Builder
	if strings.HasPrefix(outer, "/") {
		b.WriteString("file://")
	}
	for i, name := range append([]string{outer}, members...) {
		if i > 0 {
			b.WriteByte(itempath.MemberSep)
		}
		for j, seg := range strings.Split(name, "/") {
			if j > 0 {
				b.WriteByte('/')
			}
			// A ':' would make a relative reference look like a scheme
			// (10:00.log, C:/x), so it is escaped too.
			b.WriteString(strings.ReplaceAll(url.PathEscape(seg), ":", "%3A"))
		}
	}
	return b.String()
}

func (s *sarifWriter) Add(f *finding.Finding) error {
	b := s.buf[:0]
	if !s.first {
		b = append(b, ',')
	}
	s.first = false
	b = append(b, "\n"...)
	b = append(b, `{"ruleId":`...)
	b = appendString(b, f.Rule)
	if i, ok := s.ruleIdx[f.Rule]; ok {
		b = append(b, `,"ruleIndex":`...)
		b = appendInt(b, i)
	}
	b = append(b, `,"level":"`...)
	b = append(b, sarifLevel(f.Severity)...)
	b = append(b, `","message":{"text":`...)
	b = appendString(b, f.Class+" found: "+f.Masked)
	b = append(b, `},"locations":[{"physicalLocation":{"artifactLocation":{"uri":`...)
	b = appendString(b, artifactURI(f.Path))
	b = append(b, `},"region":{"startLine":`...)
	b = appendInt(b, f.Line)
	b = append(b, `,"startColumn":`...)
	b = appendInt(b, f.Column)
	b = append(b, `,"endColumn":`...)
	b = appendInt(b, f.Column+f.Length)
	b = append(b, `}}}],"partialFingerprints":{"piiscan/fingerprint/v1":`...)
	b = appendString(b, f.Fingerprint)
	b = append(b, `},"properties":{"class":`...)
	b = appendString(b, f.Class)
	if f.Field != "" {
		b = append(b, `,"field":`...)
		b = appendString(b, f.Field)
	}
	b = append(b, `,"severity":"`...)
	b = append(b, f.Severity.String()...)
	b = append(b, `","confidence":"`...)
	b = append(b, f.Confidence.String()...)
	b = append(b, `","masked":`...)
	b = appendString(b, f.Masked)
	b = appendPlacement(b, f, &s.violates)
	if f.Value != "" {
		b = append(b, `,"value":`...)
		b = appendString(b, f.Value)
	}
	b = append(b, "}}"...)
	s.buf = b
	_, err := s.w.Write(b)
	return err
}

func (s *sarifWriter) Close(st *scanners.Stats) error {
	type location struct {
		PhysicalLocation map[string]any `json:"physicalLocation"`
	}
	type notification struct {
		Level     string       `json:"level"`
		Message   sarifMessage `json:"message"`
		Locations []location   `json:"locations"`
	}
	inv := map[string]any{"executionSuccessful": true}
	var notes []notification
	if st != nil {
		for _, p := range st.Problems {
			notes = append(notes, notification{
				Level:   "error",
				Message: sarifMessage{Text: "cannot read input: " + p.Error},
				Locations: []location{{PhysicalLocation: map[string]any{
					"artifactLocation": map[string]string{"uri": artifactURI(p.Path)}}}},
			})
		}
		inv["properties"] = map[string]any{"files": st.Files, "streams": st.Streams, "bytes": st.Bytes,
			"binarySkipped": st.Binary, "findings": st.Findings}
	}
	if len(notes) > 0 {
		inv["toolExecutionNotifications"] = notes
	}
	tail, err := json.Marshal([]any{inv})
	if err != nil {
		return err
	}
	if !s.first {
		s.w.WriteString("\n")
	}
	s.w.WriteString(`],"invocations":`)
	s.w.Write(tail)
	s.w.WriteString("}]}\n")
	return s.w.Flush()
}

func appendInt(b []byte, i int) []byte { return strconv.AppendInt(b, int64(i), 10) }
