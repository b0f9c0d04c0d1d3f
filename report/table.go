package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners"
)

// TableLimit is how many findings the table lists before it only counts.
const TableLimit = 50

// tableWriter prints a summary for people: the first findings, counts by
// class and severity, the paths with most findings, and unreadable inputs.
type tableWriter struct {
	w     io.Writer
	sum   Summary
	shown []finding.Finding
}

func newTable(w io.Writer, _ Meta) *tableWriter {
	return &tableWriter{w: w, sum: newSummary()}
}

func (t *tableWriter) Add(f *finding.Finding) error {
	t.sum.Add(f)
	if len(t.shown) < TableLimit {
		t.shown = append(t.shown, *f)
	}
	return nil
}

func (t *tableWriter) Close(st *scanners.Stats) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	if len(t.shown) > 0 {
		fmt.Fprintln(tw, "PATH\tCLASS\tSEVERITY\tRULE\tPLACE\tVALUE")
		for _, f := range t.shown {
			v := f.Masked
			if f.Value != "" {
				v = f.Value
			}
			place := f.Location
			if place == "" {
				place = "-"
			}
			if f.Disallowed {
				place += " (disallowed)"
			}
			where := fmt.Sprintf("%s:%d:%d", Safe(f.Path), f.Line, f.Column)
			if f.Field != "" {
				where += " [" + Safe(f.Field) + "]"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", where, f.Class, f.Severity, f.Rule, Safe(place), Safe(v))
		}
		tw.Flush()
		if n := t.sum.Total - int64(len(t.shown)); n > 0 {
			fmt.Fprintf(&b, "... and %d more (use --format jsonl for all findings)\n", n)
		}
		b.WriteString("\n")
	}
	if st != nil {
		fmt.Fprintf(&b, "Scanned %s (%s, %s) in %.2fs", Plural(st.Files, "file"), Plural(st.Streams, "stream"), humanBytes(st.Bytes), st.Duration.Seconds())
		if st.Binary > 0 {
			fmt.Fprintf(&b, ", %d binary skipped", st.Binary)
		}
		b.WriteString(".\n")
	}
	if t.sum.Total == 0 {
		b.WriteString("No personal data found.\n")
	} else {
		fmt.Fprintf(&b, "%s, %d disallowed where found.\n\n", Plural(t.sum.Total, "finding"), t.sum.Disallowed)
		fmt.Fprintln(tw, "CLASS\tFINDINGS")
		for _, c := range Top(t.sum.ByClass, 0) {
			fmt.Fprintf(tw, "%s\t%d\n", c.Name, c.Count)
		}
		tw.Flush()
		b.WriteString("\n")
		var sev []string
		for _, s := range []finding.Severity{finding.SeverityCritical, finding.SeverityHigh, finding.SeverityMedium, finding.SeverityLow} {
			if n := t.sum.BySeverity[s.String()]; n > 0 {
				sev = append(sev, fmt.Sprintf("%s %d", s, n))
			}
		}
		fmt.Fprintf(&b, "By severity: %s\n\n", strings.Join(sev, ", "))
		fmt.Fprintln(tw, "TOP PATHS\tFINDINGS")
		for _, c := range Top(t.sum.ByPath, 10) {
			fmt.Fprintf(tw, "%s\t%d\n", Safe(c.Name), c.Count)
		}
		tw.Flush()
	}
	if st != nil && len(st.Problems) > 0 {
		fmt.Fprintf(&b, "\n%s could not be read:\n", Plural(len(st.Problems), "input"))
		for _, p := range st.Problems {
			fmt.Fprintf(&b, "  %s: %s\n", Safe(p.Path), Safe(p.Error))
		}
	}
	_, err := io.WriteString(t.w, b.String())
	return err
}

// Safe makes s, a name or text piiscan did not write (a file name, an
// archive member, an error that quotes one), fit to be shown to people: on
// a terminal, in the table, and in the text of email, Slack, syslog and
// SNS alerts. Every piiscan output meant to be read by people escapes such
// text with Safe.
//
// A string with anything but printable characters is written as the
// inside of a Go string literal (strconv.Quote without the quotes):
// control characters (C0, DEL and C1: terminal escape sequences, tabs and
// line breaks) as \x1b, \n and the like; format characters such as the
// bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069,
// U+200E, U+200F, U+061C) and zero-width characters as \u202e; spaces
// other than ' ' and line separators as \u00a0, \u2028; each byte of
// invalid UTF-8 as \xff; and '\' and '"' as \\ and \". A string of
// printable characters and spaces is returned as it is. So a hostile name
// can neither drive a terminal nor reorder or hide what is shown around
// it, and two names that differ only in such characters look different.
// (In a finding path a '\' of a real name is always written \\, so the
// escapes Safe adds cannot be mistaken for characters of a name.)
func Safe(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || !strconv.IsPrint(r) {
			q := strconv.Quote(s)
			return q[1 : len(q)-1]
		}
	}
	return s
}

// Plural counts n of word: "1 file", "3 files".
func Plural[N ~int | ~int64](n N, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.FormatInt(int64(n), 10) + " " + word + "s"
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
