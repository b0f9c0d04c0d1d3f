package audit

import (
	"encoding/json"
	"strings"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/internal/itempath"
)

// Paths in entries are written as scan output writes the path of a file
// or object (itempath.Escape, then finding.EncodePath as the JSON
// reports do), so that the path a scan shows can be looked up in the log:
// a '!' is written \!, since scan output separates archive members with
// it; a '\' is written \\; and each byte of invalid UTF-8 \xNN (a JSON
// string cannot hold invalid UTF-8: encoding/json would write each bad
// byte as U+FFFD, so the entries of "bad\xfe.log" and "bad\xff.log" would
// both name "bad\ufffd.log"). An entry whose Path or To needs any of that
// says so with "escaped_paths": true, and reading the entry undoes it
// (itempath.Unescape, the inverse). An entry without the marker, as every
// entry written before paths were escaped, holds its paths as they are,
// so a log written before verifies and reads as it did: the chain covers
// the lines as written, whatever they hold. Entries written with the
// marker before '!' was escaped hold a '!' as it is, which reads back the
// same: their '\' were always doubled, so \! never stood for '!' there.

// entryFields are the fields of an Entry, without its JSON methods.
type entryFields Entry

// entryJSON is an Entry as written.
type entryJSON struct {
	entryFields
	// EscapedPaths is true when Path and To are written escaped (see
	// encodePath).
	EscapedPaths bool `json:"escaped_paths,omitempty"`
}

// MarshalJSON writes the entry with its paths escaped when they need it.
func (e Entry) MarshalJSON() ([]byte, error) {
	w := entryJSON{entryFields: entryFields(e)}
	path, to := encodePath(e.Path), encodePath(e.To)
	if path != e.Path || to != e.To {
		w.Path, w.To, w.EscapedPaths = path, to, true
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads an entry, undoing the escapes of its paths.
func (e *Entry) UnmarshalJSON(b []byte) error {
	var w entryJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if w.EscapedPaths {
		w.Path, w.To = decodePath(w.Path), decodePath(w.To)
	}
	*e = Entry(w.entryFields)
	return nil
}

// encodePath returns p as scan output writes the path of a file or object
// in a JSON report: with each '!' written \!, each '\' written \\ and
// each byte of invalid UTF-8 written \xNN.
func encodePath(p string) string {
	return finding.EncodePath(itempath.Escape(p))
}

// decodePath is the inverse of encodePath. finding.DecodePath turns each
// \xNN back into its byte and leaves \\ and \! as they are (the bytes it
// writes are never '\' or '!'), and itempath.Unescape turns those back into
// '\' and '!'.
func decodePath(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	return itempath.Unescape(finding.DecodePath(s))
}
