// Package audit keeps piiscan's audit log: an append-only file of JSON
// lines, one per deletion, rewrite, quarantine or erasure. Each entry holds
// an HMAC-SHA256, keyed with the fingerprint key, of the line before it, so
// an entry that is edited, removed or reordered breaks the chain at the
// next one, and the chain cannot be rebuilt without the key. Entries never
// hold raw values: only counts and fingerprints.
package audit

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"fmt"
	"io"
	"os"
	"time"
)

// Entry is one audit record.
type Entry struct {
	// Seq numbers entries from 1, without gaps.
	Seq  int64     `json:"seq"`
	Time time.Time `json:"time"`
	// Action is delete, rewrite, quarantine, erase, or hold (kept).
	Action   string `json:"action"`
	DryRun   bool   `json:"dry_run,omitempty"`
	Location string `json:"location,omitempty"`
	Path     string `json:"path"`
	// To is where a quarantined file went.
	To     string `json:"to,omitempty"`
	Rule   string `json:"rule,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Records removed or rewritten, and kept, in the file.
	Records int64 `json:"records,omitempty"`
	Kept    int64 `json:"kept,omitempty"`
	// Bytes before and after.
	BytesBefore int64 `json:"bytes_before,omitempty"`
	BytesAfter  int64 `json:"bytes_after,omitempty"`
	// Fingerprints of the values acted on (never the values).
	Fingerprints []string `json:"fingerprints,omitempty"`
	// Prev is the HMAC of the previous line ("" for the first entry).
	Prev string `json:"prev"`
}

// Log appends entries to an audit file.
type Log struct {
	path string
	key  []byte
}

// Open returns the audit log at path, keyed with key. The file is created
// (mode 0600) on first append.
func Open(path string, key []byte) *Log {
	return &Log{path: path, key: append([]byte(nil), key...)}
}

// Path returns the file the log is kept in.
func (l *Log) Path() string { return l.path }

func (l *Log) mac(line []byte) string {
	h := hmac.New(sha256.New, l.key)
	h.Write(line)
	return hex.EncodeToString(h.Sum(nil))
}

// Append adds entries in one locked write and syncs the file. Seq and Prev
// are filled in; Time is set when zero.
func (l *Log) Append(entries ...Entry) error {
	if len(entries) == 0 {
		return nil
	}
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	defer f.Close()
	if err := lock(f); err != nil {
		return fmt.Errorf("audit log: locking %s: %w", l.path, err)
	}
	defer unlock(f)
	last, err := lastLine(f)
	if err != nil {
		return fmt.Errorf("audit log %s: %w", l.path, err)
	}
	var seq int64
	prev := ""
	if last != nil {
		var e Entry
		if err := json.Unmarshal(last, &e); err != nil {
			return fmt.Errorf("audit log %s: last entry is not valid: %w (run piiscan audit verify)", l.path, err)
		}
		seq, prev = e.Seq, l.mac(last)
	}
	var buf bytes.Buffer
	for _, e := range entries {
		seq++
		e.Seq, e.Prev = seq, prev
		if e.Time.IsZero() {
			e.Time = time.Now().UTC()
		}
		line, err := json.Marshal(e)
		if err != nil {
			return err
		}
		buf.Write(line)
		buf.WriteByte('\n')
		prev = l.mac(line)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("audit log %s: %w", l.path, err)
	}
	return f.Sync()
}

// lastLine returns the last line of f without its newline, or nil for an
// empty file.
func lastLine(f *os.File) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	if size == 0 {
		return nil, nil
	}
	const chunk = 64 << 10
	var tail []byte
	for off := size; off > 0; {
		n := int64(chunk)
		if n > off {
			n = off
		}
		off -= n
		buf := make([]byte, n)
		if _, err := f.ReadAt(buf, off); err != nil && err != io.EOF {
			return nil, err
		}
		tail = append(buf, tail...)
		trimmed := bytes.TrimRight(tail, "\n")
		if i := bytes.LastIndexByte(trimmed, '\n'); i >= 0 {
			return trimmed[i+1:], nil
		}
		if off == 0 {
			return trimmed, nil
		}
	}
	return nil, nil
}

// Break is where a chain is broken.
type Break struct {
	Line   int // 1-based line of the entry that does not follow
	Reason string
}

func (b *Break) Error() string { return fmt.Sprintf("line %d: %s", b.Line, b.Reason) }

// Result summarises a verified log.
type Result struct {
	Entries int64
	// Head is the HMAC of the last line: keep it elsewhere (alerts, the
	// run's own log) to detect a log cut short at its end, which no chain
	// can show by itself.
	Head string
}

// Verify checks the chain of the log at path. It returns the first break.
func Verify(path string, key []byte) (Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	return VerifyReader(f, key)
}

// VerifyReader checks the chain of a log read from r.
func VerifyReader(r io.Reader, key []byte) (Result, error) {
	l := &Log{key: key}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var res Result
	prev := ""
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		var e Entry
		if err := json.Unmarshal(b, &e); err != nil {
			return res, &Break{Line: line, Reason: "not a valid entry: " + err.Error()}
		}
		switch {
		case e.Prev != prev && line == 1:
			return res, &Break{Line: line, Reason: "the first entry names a previous one: entries before it were removed"}
		case e.Prev != prev:
			return res, &Break{Line: line, Reason: "the previous entry was edited, removed or moved (its hash does not match)"}
		case e.Seq != res.Entries+1:
			return res, &Break{Line: line, Reason: fmt.Sprintf("sequence %d follows %d", e.Seq, res.Entries)}
		}
		res.Entries++
		prev = l.mac(b)
	}
	if err := sc.Err(); err != nil {
		return res, fmt.Errorf("line %d: %w", line+1, err)
	}
	res.Head = prev
	return res, nil
}
