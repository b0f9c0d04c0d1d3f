package retention

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"time"
)

// recordKind says what a record is.
type recordKind uint8

const (
	// The zero value: continuation-like lines before the first record,
	// kept.
	_ recordKind = iota
	// recordDated: a record with a time.
	recordDated
	// recordUndatable: a record without a usable time, always kept.
	recordUndatable
)

// recordSplitter reads a log piece by piece (whole lines, or the parts of
// a line longer than its buffer) and tells which record each piece
// belongs to. FilterRecords and maskExpiredRecords share it so that they
// split records the same way.
//
// A line starts a record when TimeParser reads a time at its start, or
// when it has the shape of a record start without one. Any other line
// continues the record before it only if it looks like a continuation
// (see continues); otherwise it starts an undatable record.
type recordSplitter struct {
	br     *bufio.Reader
	p      *TimeParser
	ref    time.Time
	latest time.Time // the latest plausible record time

	// Stats: Records, Undated, BytesIn and Newest are kept up to date.
	Stats RecordStats

	// Kind and Time describe the record of the last piece returned.
	Kind recordKind
	Time time.Time

	lineStart bool // the next piece starts a line
	traceback int  // Python traceback state: 0 none, 1 header seen, 2 in frames
}

// maxBackwards is how far a text line's time may go back from the newest
// record before it and still be taken as its time (logs merged from
// several hosts, or delivered late, are a little out of order).
const maxBackwards = 7 * 24 * time.Hour

// tooFarBack reports whether a text line dated t, after records as new as
// newest, is more likely a line of a message (a CSV row, a quoted date
// in a multi-line message) than a record of its own: a log is written in
// time order. It is then an undatable record, kept. A JSON line is a
// record of its own whatever its time.
func tooFarBack(line []byte, t, newest time.Time) bool {
	return len(line) > 0 && line[0] != '{' && !newest.IsZero() && t.Before(newest.Add(-maxBackwards))
}

// splitBufSize is the read buffer: a line's first splitBufSize bytes are
// what its time is read from.
const splitBufSize = 64 << 10

func newRecordSplitter(r io.Reader, p *TimeParser, ref time.Time) *recordSplitter {
	now := p.Now
	if now.IsZero() {
		now = time.Now()
	}
	return &recordSplitter{
		br:        bufio.NewReaderSize(r, splitBufSize),
		p:         p,
		ref:       ref,
		latest:    now.Add(24 * time.Hour),
		lineStart: true,
	}
}

// next returns the next piece of input, valid until the following call.
// start reports that the piece begins a new record (then Kind and Time
// describe it). err is io.EOF at the end, with or without a last piece.
func (s *recordSplitter) next() (piece []byte, start bool, err error) {
	piece, err = s.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		err = nil
	}
	if len(piece) == 0 {
		return nil, false, err
	}
	s.Stats.BytesIn += int64(len(piece))
	if s.lineStart {
		start = s.classify(piece)
	}
	s.lineStart = piece[len(piece)-1] == '\n'
	return piece, start, err
}

// classify reads the head of a line and reports whether it starts a
// record, updating Kind, Time and the counts.
func (s *recordSplitter) classify(line []byte) bool {
	t, shaped := s.p.parse(line, s.ref, s.latest)
	switch {
	case bareCR(line):
		// Lines ended by a lone CR (old Mac files, progress output
		// that rewrites a terminal line) hold several records in one
		// line: no one time stands for them all.
	case !t.IsZero() && tooFarBack(line, t, s.Stats.Newest):
	case !t.IsZero():
		s.traceback = 0
		s.Kind, s.Time = recordDated, t
		s.Stats.Records++
		if t.After(s.Stats.Newest) {
			s.Stats.Newest = t
		}
		return true
	case !shaped && s.continues(line):
		return false
	}
	s.traceback = 0
	s.Kind, s.Time = recordUndatable, time.Time{}
	s.Stats.Undated++
	return true
}

// continues reports whether a line that does not start a record looks
// like the continuation of the one before it: blank or indented lines;
// Java stack traces (at ..., Caused by:, Suppressed:, ... 12 more, an
// exception's class name line such as java.lang.IllegalStateException: x);
// Python tracebacks (the header, frames, the chaining messages and the
// exception line after the frames); PHP and Laravel traces (Stack trace:, #0 ...,
// [stacktrace], [previous exception], the closing "}); and lines closing a
// multi-line structure (}, ], )). A line that opens one ({ alone, as a
// pretty-printed JSON record starts) is a record of its own: its time is
// inside it, where a line-by-line reading cannot see it, so it is kept.
func (s *recordSplitter) continues(line []byte) bool {
	l := bytes.TrimRight(line, "\r\n")
	if len(l) == 0 {
		return true
	}
	tb := s.traceback
	s.traceback = 0
	switch l[0] {
	case ' ', '\t':
		if levelFirst(l) {
			return false // a right-aligned level: " INFO [main] ..." (%5p)
		}
		if tb != 0 {
			s.traceback = 2
		}
		return true
	case '}', ']', ')':
		return true
	case '#':
		return len(l) > 1 && l[1] >= '0' && l[1] <= '9' // PHP frame #0 ...
	}
	for _, pre := range continuationPrefixes {
		if bytes.HasPrefix(l, pre) {
			return true
		}
	}
	if bytes.HasPrefix(l, pyTraceback) {
		s.traceback = 1
		return true
	}
	if bytes.HasPrefix(l, []byte("... ")) && len(l) > 4 && l[4] >= '0' && l[4] <= '9' {
		return true // ... 12 more
	}
	name, ok := exceptionName(l)
	if !ok {
		return false
	}
	if tb == 2 {
		return true // the exception that ends a Python traceback
	}
	// A Java-style exception line: a qualified class name.
	return bytes.IndexByte(name, '.') > 0 && (bytes.HasSuffix(name, []byte("Exception")) ||
		bytes.HasSuffix(name, []byte("Error")) || bytes.HasSuffix(name, []byte("Throwable")))
}

// levels are the severity words loggers write, upper case.
var levels = []string{"TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "WARNING", "ERROR", "SEVERE", "CRITICAL", "FATAL", "ALERT", "EMERG"}

// levelFirst reports whether an indented line is a log line whose level
// was padded on the left (log4j's %5p, Python's %(levelname)8s): the
// first word, past the blanks, is a level followed by a blank, '[' or ':'.
func levelFirst(l []byte) bool {
	w := bytes.TrimLeft(l, " \t")
	for _, lv := range levels {
		if len(w) > len(lv) && bytes.HasPrefix(w, []byte(lv)) && strings.IndexByte(" [:", w[len(lv)]) >= 0 {
			return true
		}
	}
	return false
}

// bareCR reports whether a line holds a carriage return that does not end
// it (as the CR of a CRLF).
func bareCR(line []byte) bool {
	l := bytes.TrimSuffix(line, []byte("\n"))
	l = bytes.TrimSuffix(l, []byte("\r"))
	return bytes.IndexByte(l, '\r') >= 0
}

var pyTraceback = []byte("Traceback (most recent call last):")

// continuationPrefixes start lines that continue a record.
var continuationPrefixes = [][]byte{
	[]byte("at "),
	[]byte("Caused by:"),
	[]byte("Suppressed:"),
	[]byte("Exception in thread "),
	[]byte("The above exception was the direct cause of the following exception:"),
	[]byte("During handling of the above exception, another exception occurred:"),
	[]byte("Stack trace:"),
	[]byte("[stacktrace]"),
	[]byte("[previous exception]"),
	[]byte(`"}`),
}

// exceptionName reads an exception's class name at the start of l: a
// (dotted) identifier ending the line or followed by ':'.
func exceptionName(l []byte) ([]byte, bool) {
	i := 0
	for i < len(l) {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$' || i > 0 && (c >= '0' && c <= '9' || c == '.')) {
			break
		}
		i++
	}
	if i == 0 || (i < len(l) && l[i] != ':') {
		return nil, false
	}
	return l[:i], true
}
