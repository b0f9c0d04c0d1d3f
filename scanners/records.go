package scanners

import (
	"bufio"
	"io"

	"github.com/piiscan/piiscan/scanners/detect"
)

// recordTracker follows a stream whose values are named by a structure
// that spans lines (FHIR JSON, HL7 v2 messages), and tells each block
// where in it the block starts. readStream feeds it every byte up to the
// start of the next block.
type recordTracker interface {
	Columns() *detect.Columns
	Feed(p []byte)
}

// recordStream returns the tracker of a FHIR or HL7 v2 stream, or nil.
// A FHIR stream read from a position other than its start has no tracker
// (the structure before it is unknown). hl7 is set for HL7 v2: its reader
// must then turn lone CRs into line ends (see segmentReader).
func recordStream(head []byte, from Position) (t recordTracker, hl7 bool) {
	switch {
	case detect.HL7Stream(head):
		return detect.NewHL7Tracker(), true
	case from.Offset == 0 && detect.FHIRStream(head):
		return detect.NewFHIRTracker(), false
	}
	return nil, false
}

// segmentReader reads an HL7 v2 stream, whose segments real messages end
// with a CR alone, with every lone CR turned into a LF: each segment is
// then a line, findings carry its segment number as their line, and a
// long message is cut between segments. Offsets are unchanged (one byte
// for one), and CRLF stays as it is.
type segmentReader struct {
	r    io.Reader
	held bool // a CR at the end of the last read, not yet returned
}

func newSegmentReader(br *bufio.Reader) *bufio.Reader {
	return bufio.NewReaderSize(&segmentReader{r: br}, br.Size())
}

func (s *segmentReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	off := 0
	if s.held {
		// The CR held back: a LF follows it or not.
		p[0] = '\r'
		off = 1
		s.held = false
	}
	n, err := s.r.Read(p[off:])
	n += off
	q := p[:n]
	for i, c := range q {
		if c != '\r' {
			continue
		}
		switch {
		case i+1 < n:
			if q[i+1] != '\n' {
				q[i] = '\n'
			}
		case err == nil:
			// The last byte: whether a LF follows is known next time.
			s.held = true
			n--
		default:
			q[i] = '\n'
		}
	}
	if n == 0 && err == nil && s.held {
		// Only the held CR was read: look further.
		return s.Read(p)
	}
	return n, err
}
