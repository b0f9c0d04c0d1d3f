package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/piiscan/piiscan/finding"
)

// checkTerminal fails when text for a terminal holds a control character
// other than a line break, a bidirectional control or invalid UTF-8.
func checkTerminal(t *testing.T, what, text string) {
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

// The names of inputs that cannot be read reach stderr escaped: a name
// cannot set the window title, clear the screen, colour the text or
// reorder the line.
func TestUnreadableNamesEscapedOnStderr(t *testing.T) {
	dir := t.TempDir()
	names := map[string]string{ // real name: as stderr shows it
		"\x1b]0;pwned\x07\x1b[2J\x1b[31mred.gz": `\x1b]0;pwned\a\x1b[2J\x1b[31mred.gz`,
		"invoice\u202ezg.exe":                   `invoice\u202ezg.exe`,
		"fence```.gz":                           "fence```.gz",
		"a\xff.gz":                              `a\xff.gz`,
		"a\xfe.gz":                              `a\xfe.gz`,
	}
	for name := range names {
		// A gzip header and garbage: it cannot be read.
		if err := os.WriteFile(filepath.Join(dir, name), []byte("\x1f\x8b\x08\x00garbage"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, _, errs := runCLI(t, "", "scan", "--format", "jsonl", dir)
	if code != exitUnreadable {
		t.Fatalf("exit %d, want %d\n%s", code, exitUnreadable, errs)
	}
	checkTerminal(t, "stderr", errs)
	for _, shown := range names {
		if !strings.Contains(errs, "piiscan: cannot read "+filepath.Join(dir, shown)+": ") {
			t.Errorf("stderr lacks %q:\n%s", shown, errs)
		}
	}
	code, out, _ := runCLI(t, "", "scan", "--format", "table", dir)
	if code != exitUnreadable {
		t.Fatalf("table: exit %d", code)
	}
	checkTerminal(t, "the table", out)
}

// Findings in two files whose names differ only in invalid UTF-8 get two
// different jsonl paths, each naming its file.
func TestInvalidUTF8NamesKeepApartInJSONL(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a\xff.log", "a\xfe.log"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("mail bob@example.com\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs := runCLI(t, "", "scan", "--format", "jsonl", dir)
	if code != exitFindings {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var paths []string
	for line := range strings.Lines(out) {
		var f finding.Finding
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, f.Path)
		if real := finding.DecodePath(f.Path); !fileExists(real) {
			t.Errorf("%q does not name a file", f.Path)
		}
	}
	slices.Sort(paths)
	want := []string{filepath.Join(dir, `a\xfe.log`), filepath.Join(dir, `a\xff.log`)}
	if !slices.Equal(paths, want) {
		t.Errorf("jsonl paths %q, want %q", paths, want)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Errors that stop a command quote names too (a --config path, an output
// file): they reach stderr escaped as well.
func TestFatalErrorsEscapedOnStderr(t *testing.T) {
	hostile := "x\x1b]0;pwned\x07\x1b[2J\u202e"
	for _, args := range [][]string{
		{"scan", "--config", filepath.Join(t.TempDir(), hostile+".yaml"), examples},
		{"scan", "-o", filepath.Join(t.TempDir(), hostile, "report.json"), examples},
	} {
		code, _, errs := runCLI(t, "", args...)
		if code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
		checkTerminal(t, "stderr", errs)
		if !strings.Contains(errs, `x\x1b]0;pwned\a\x1b[2J\u202e`) {
			t.Errorf("%q: stderr does not show the name escaped:\n%s", args, errs)
		}
	}
}
