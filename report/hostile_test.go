package report

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/internal/hostiletest"
	"github.com/piiscan/piiscan/scanners"
)

// checkShown fails when text shown to people holds a control character
// other than a line break, a bidirectional control or invalid UTF-8.
func checkShown(t *testing.T, what, text string) {
	t.Helper()
	if !utf8.ValidString(text) {
		t.Errorf("%s holds invalid UTF-8:\n%q", what, text)
	}
	for _, r := range text {
		switch {
		case r < 0x20 && r != '\n', r >= 0x7f && r < 0xa0:
			t.Errorf("%s holds control character %U:\n%q", what, r, text)
			return
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
			t.Errorf("%s holds bidirectional control %U:\n%q", what, r, text)
			return
		}
	}
}

func TestSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"logs/app.log", "logs/app.log"},
		{"Zoë/日本 q1.csv", "Zoë/日本 q1.csv"},
		{`report\!2026.log`, `report\!2026.log`},
		{"a\x1b[2Jb", `a\x1b[2Jb`},
		{"title\x1b]0;pwned\x07", `title\x1b]0;pwned\a`},
		{"a\nb\tc\r", `a\nb\tc\r`},
		{"del\x7f c1\u0085", `del\x7f c1\u0085`},
		{"invoice\u202efdp.exe", `invoice\u202efdp.exe`},
		{"\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u200e\u200f\u061c", `\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u200e\u200f\u061c`},
		{"zero\u200bwidth\ufeff", `zero\u200bwidth\ufeff`},
		{"nb\u00a0sp line\u2028sep", `nb\u00a0sp line\u2028sep`},
		{"a\xff.log", `a\xff.log`},
		{"a\xfe.log", `a\xfe.log`},
		{"q\"uote \\ \xff", `q\"uote \\ \xff`},
	}
	for _, tt := range tests {
		got := Safe(tt.in)
		if got != tt.want {
			t.Errorf("Safe(%q) = %q, want %q", tt.in, got, tt.want)
		}
		checkShown(t, "Safe("+tt.want+")", got)
	}
}

// The table shows hostile names escaped: they cannot drive a terminal,
// reorder the line, and two names that differ in invalid UTF-8 differ.
func TestTableEscapesHostileNames(t *testing.T) {
	out := string(render(t, FormatTable, Meta{}, hostiletest.Findings(), hostiletest.Stats()))
	checkShown(t, "the table", out)
	for _, want := range []string{`logs/\x1b]0;pwned\a\x1b[2J\x1b[31mred.log:1:1`, `logs/invoice\u202efdp.exe:2:1`,
		"logs/```<\\!here>.log:3:1", `logs/a\xff.log:4:1`, `logs/a\xfe.log:5:1`,
		`  logs/a\xff.log: permission denied`, `  logs/a\xfe.log: permission denied`} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q:\n%s", want, out)
		}
	}
}

// In the JSON reports two names that differ only in invalid UTF-8 keep
// different paths (finding.EncodePath), and the readers of the findings
// files get the paths back as they were.
func TestJSONReportsKeepInvalidUTF8Apart(t *testing.T) {
	fs := hostiletest.Findings()
	st := hostiletest.Stats()

	out := render(t, FormatJSONL, Meta{}, fs, st)
	var paths []string
	for line := range bytes.Lines(out) {
		var f finding.Finding
		if err := json.Unmarshal(line, &f); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, f.Path)
		var d Decoder
		var back finding.Finding
		if err := d.Decode(bytes.TrimSuffix(line, []byte("\n")), &back); err != nil {
			t.Fatal(err)
		}
		if i := len(paths) - 1; back.Path != fs[i].Path {
			t.Errorf("jsonl line %d reads back as %q, want %q", i+1, back.Path, fs[i].Path)
		}
	}
	if want := []string{`logs/a\xff.log`, `logs/a\xfe.log`}; !slices.Equal(paths[3:], want) {
		t.Errorf("jsonl paths %q, want %q", paths[3:], want)
	}

	doc := decodeJSONReport(t, render(t, FormatJSON, Meta{}, fs, st))
	var docPaths []string
	for _, f := range doc.Findings {
		docPaths = append(docPaths, f.Path)
	}
	if !slices.Equal(docPaths, paths) {
		t.Errorf("json findings %q, want %q", docPaths, paths)
	}
	var raw struct {
		Summary struct {
			ByPath     map[string]int64   `json:"by_path"`
			Unreadable []scanners.Problem `json:"unreadable"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(render(t, FormatJSON, Meta{}, fs, st), &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.Summary.ByPath) != len(fs) || raw.Summary.ByPath[`logs/a\xff.log`] != 1 || raw.Summary.ByPath[`logs/a\xfe.log`] != 1 {
		t.Errorf("json by_path %v", raw.Summary.ByPath)
	}
	var unreadable []string
	for _, p := range raw.Summary.Unreadable {
		unreadable = append(unreadable, p.Path)
	}
	if !slices.Contains(unreadable, `logs/a\xff.log`) || !slices.Contains(unreadable, `logs/a\xfe.log`) {
		t.Errorf("json unreadable %q", unreadable)
	}

	sarif := string(render(t, FormatSARIF, testMeta(), fs, st))
	for _, want := range []string{`"logs/a%FF.log"`, `"logs/a%FE.log"`} {
		if !strings.Contains(sarif, want) {
			t.Errorf("SARIF lacks the URI %s", want)
		}
	}
}
