package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fieldOrder is the documented order of a finding's JSON fields.
var fieldOrder = []string{"path", "line", "column", "length", "class", "rule", "severity",
	"confidence", "masked", "fingerprint", "policy", "location", "disallowed", "violates", "value"}

// goldenFiles maps each format to its golden file in testdata.
var goldenFiles = map[Format]string{
	FormatJSONL: "golden.jsonl",
	FormatJSON:  "golden.json",
	FormatSARIF: "golden.sarif",
	FormatTable: "golden.txt",
}

func TestGolden(t *testing.T) {
	for _, format := range Formats() {
		t.Run(string(format), func(t *testing.T) {
			got := render(t, format, testMeta(), testFindings(), testStats())
			path := filepath.Join("testdata", goldenFiles[format])
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s output differs from %s (run go test -update to accept it):\ngot:\n%s\nwant:\n%s", format, path, got, want)
			}
		})
	}
}

// TestRevealedValueOnlyInValueField checks that the only raw value of the
// fixture, the revealed credential, appears once in each report, in the
// value field (or the VALUE column of the table), and that the masked form
// of revealed findings is still written in the machine formats.
func TestRevealedValueOnlyInValueField(t *testing.T) {
	fs := testFindings()
	raw := fs[3].Value
	escaped, _ := json.Marshal(raw)
	tests := []struct {
		format Format
		needle string // how the value appears in the report
		want   string // the same, with the text that must precede it
	}{
		{FormatJSONL, string(escaped), `,"value":` + string(escaped) + `}`},
		{FormatJSON, string(escaped), `,"value":` + string(escaped) + `}`},
		{FormatSARIF, string(escaped), `,"value":` + string(escaped) + `}`},
		{FormatTable, raw, "  " + raw + "\n"},
	}
	for _, tt := range tests {
		out := string(render(t, tt.format, testMeta(), fs, testStats()))
		if n := strings.Count(out, tt.needle); n != 1 {
			t.Errorf("%s: raw value appears %d times, want 1", tt.format, n)
		}
		if !strings.Contains(out, tt.want) {
			t.Errorf("%s: raw value not found as %q", tt.format, tt.want)
		}
		if tt.format == FormatTable {
			continue // shows the value instead of the masked form, unescaped
		}
		if strings.Contains(out, `hunter2"hunter2`) {
			t.Errorf("%s: raw value written unescaped", tt.format)
		}
		if !strings.Contains(out, `"hunt****"`) {
			t.Errorf("%s: masked form of the revealed finding missing", tt.format)
		}
	}
}

// objectKeys returns the keys of a JSON object in document order.
func objectKeys(t *testing.T, data []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", data)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		keys = append(keys, tok.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: %v", data, err)
		}
	}
	return keys
}

// wantKeys returns the fields written for f, in the documented order.
func wantKeys(f *finding.Finding) []string {
	var keys []string
	for _, k := range fieldOrder {
		if k == "policy" && f.Policy == "" || k == "value" && f.Value == "" || k == "location" && f.Location == "" ||
			k == "violates" && (f.Violates == "" || !f.Disallowed) {
			continue
		}
		keys = append(keys, k)
	}
	return keys
}

// jsonDecoded returns what s becomes after encoding to JSON and decoding
// back: encoding/json replaces each byte that is not part of valid UTF-8
// with U+FFFD (unlike strings.ToValidUTF8, which replaces each run of them).
func jsonDecoded(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// wantDecoded returns the findings as a reader of the reports gets them
// with encoding/json: paths as finding.EncodePath wrote them.
func wantDecoded(fs []finding.Finding) []finding.Finding {
	out := make([]finding.Finding, len(fs))
	for i, f := range fs {
		f.Path, f.Class, f.Rule = finding.EncodePath(f.Path), jsonDecoded(f.Class), jsonDecoded(f.Rule)
		f.Masked, f.Fingerprint = jsonDecoded(f.Masked), jsonDecoded(f.Fingerprint)
		f.Policy, f.Value = jsonDecoded(f.Policy), jsonDecoded(f.Value)
		out[i] = f
	}
	return out
}

func TestJSONLRoundTrip(t *testing.T) {
	fs := testFindings()
	out := render(t, FormatJSONL, testMeta(), fs, testStats())
	if !bytes.HasSuffix(out, []byte("\n")) {
		t.Errorf("output does not end with a newline")
	}
	lines := bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n"))
	if len(lines) != len(fs) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(fs), out)
	}
	want := wantDecoded(fs)
	for i, line := range lines {
		if !json.Valid(line) {
			t.Errorf("line %d is not valid JSON: %s", i+1, line)
			continue
		}
		if !utf8.Valid(line) {
			t.Errorf("line %d is not valid UTF-8: %q", i+1, line)
		}
		if got := objectKeys(t, line); !reflect.DeepEqual(got, wantKeys(&fs[i])) {
			t.Errorf("line %d keys = %q, want %q", i+1, got, wantKeys(&fs[i]))
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		var got finding.Finding
		if err := dec.Decode(&got); err != nil {
			t.Errorf("line %d: %v", i+1, err)
			continue
		}
		if got != want[i] {
			t.Errorf("line %d decodes to\n%+v\nwant\n%+v", i+1, got, want[i])
		}
	}
}

// TestJSONLMatchesEncodingJSON checks that the hand-written encoder writes
// exactly what encoding/json writes for a Finding, apart from HTML escaping.
func TestJSONLMatchesEncodingJSON(t *testing.T) {
	fs := testFindings()
	fs = append(fs, finding.Finding{Path: "a<b>&c\u2028\x01\t.txt", Line: 1, Column: 1, Length: 1,
		Class: "x\"y", Rule: "r\\s", Severity: finding.SeverityLow, Confidence: finding.ConfidenceLow,
		Masked: "\x7f\xed\xa0\x80", Fingerprint: "", Policy: "\n"})
	out := render(t, FormatJSONL, Meta{}, fs, nil)
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	for i := range fs {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(&fs[i]); err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSuffix(b.String(), "\n")
		// encoding/json escapes U+2028 and U+2029 for JavaScript; raw
		// they are valid JSON.
		want = strings.NewReplacer(`\u2028`, "\u2028", `\u2029`, "\u2029").Replace(want)
		if lines[i] != want {
			t.Errorf("finding %d:\n got %s\nwant %s", i, lines[i], want)
		}
	}
}

// jsonReport is the document the json format writes. Decoding it with
// DisallowUnknownFields pins its fields.
type jsonReport struct {
	Tool struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"tool"`
	Findings []finding.Finding `json:"findings"`
	Summary  struct {
		Findings   int64              `json:"findings"`
		Disallowed int64              `json:"disallowed"`
		ByLocation map[string]int64   `json:"by_location"`
		ByClass    map[string]int64   `json:"by_class"`
		BySeverity map[string]int64   `json:"by_severity"`
		ByPath     map[string]int64   `json:"by_path"`
		ByRule     map[string]int64   `json:"by_rule"`
		Files      int64              `json:"files"`
		Streams    int64              `json:"streams"`
		Bytes      int64              `json:"bytes"`
		Binary     int64              `json:"binary_skipped"`
		Skipped    int64              `json:"skipped"`
		Seconds    float64            `json:"seconds"`
		Unreadable []scanners.Problem `json:"unreadable"`
	} `json:"summary"`
}

func decodeJSONReport(t *testing.T, out []byte) jsonReport {
	t.Helper()
	if !json.Valid(out) {
		t.Fatalf("not valid JSON:\n%s", out)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	var r jsonReport
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("data after the document:\n%s", out)
	}
	return r
}

func TestJSONDocument(t *testing.T) {
	fs := testFindings()
	out := render(t, FormatJSON, testMeta(), fs, testStats())
	r := decodeJSONReport(t, out)
	if r.Tool.Name != "piiscan" || r.Tool.Version != "test" {
		t.Errorf("tool = %+v", r.Tool)
	}
	if want := wantDecoded(fs); !reflect.DeepEqual(r.Findings, want) {
		t.Errorf("findings =\n%+v\nwant\n%+v", r.Findings, want)
	}
	s := r.Summary
	if s.Findings != 7 || s.Files != 12 || s.Streams != 15 || s.Bytes != 1536000 || s.Binary != 2 ||
		s.Skipped != 1 || s.Seconds != 2.345 {
		t.Errorf("summary counts = %+v", s)
	}
	if want := map[string]int64{"critical": 2, "high": 1, "medium": 2, "low": 2}; !reflect.DeepEqual(s.BySeverity, want) {
		t.Errorf("by_severity = %v, want %v", s.BySeverity, want)
	}
	if want := testStats().Problems; !reflect.DeepEqual(s.Unreadable, want) {
		t.Errorf("unreadable = %v, want %v", s.Unreadable, want)
	}
	// Each finding is an object whose fields are in the documented order.
	var raw struct {
		Findings []json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatal(err)
	}
	for i, f := range raw.Findings {
		if got := objectKeys(t, f); !reflect.DeepEqual(got, wantKeys(&fs[i])) {
			t.Errorf("finding %d keys = %q, want %q", i, got, wantKeys(&fs[i]))
		}
	}
}

// TestEmptyReports checks the reports of a scan without findings, with and
// without stats.
func TestEmptyReports(t *testing.T) {
	emptyStats := &scanners.Stats{Files: 1, Streams: 1, Bytes: 10, Duration: 1500 * time.Microsecond}
	tests := []struct {
		format Format
		stats  *scanners.Stats
		want   string
	}{
		{FormatJSONL, nil, ""},
		{FormatJSONL, emptyStats, ""},
		{FormatTable, nil, "No personal data found.\n"},
		{FormatTable, emptyStats, "Scanned 1 file (1 stream, 10 B) in 0.00s.\nNo personal data found.\n"},
		{FormatJSON, nil, `{"tool":{"name":"piiscan","version":"v0"},"findings":[],
"summary":{
  "findings": 0,
  "disallowed": 0,
  "by_location": {},
  "by_class": {},
  "by_severity": {},
  "by_path": {},
  "by_rule": {},
  "files": 0,
  "streams": 0,
  "bytes": 0,
  "binary_skipped": 0,
  "skipped": 0,
  "seconds": 0,
  "unreadable": []
}}
`},
		{FormatSARIF, nil, `{"$schema":"https://json.schemastore.org/sarif-2.1.0.json","version":"2.1.0","runs":[{"tool":{"driver":{"informationUri":"https://github.com/piiscan/piiscan","name":"piiscan","rules":[],"version":"v0"}},"columnKind":"unicodeCodePoints","results":[],"invocations":[{"executionSuccessful":true}]}]}
`},
	}
	for _, tt := range tests {
		got := string(render(t, tt.format, Meta{Version: "v0"}, nil, tt.stats))
		if got != tt.want {
			t.Errorf("%s with stats %v:\ngot:\n%s\nwant:\n%s", tt.format, tt.stats != nil, got, tt.want)
		}
		if tt.format == FormatJSON {
			decodeJSONReport(t, []byte(got))
		}
	}
}
