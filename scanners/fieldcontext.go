package scanners

import (
	"bytes"

	"github.com/piiscan/piiscan/scanners/detect"
)

// FieldContext follows a stream whose structure names its values across
// lines: the columns of an SQL dump, the resources of FHIR JSON, the
// segments of HL7 v2 messages. It lets a reader other than the scan (the
// rewrite of redact and erase) give each block of whole lines the field
// context the scan gave it, so a value found through its column or
// resource is also found, and masked, there. A FieldContext is not safe
// for concurrent use.
type FieldContext struct {
	sql *detect.SQLTracker
	rec recordTracker
	hl7 bool
}

// NewFieldContext returns the context of a stream read from its start,
// whose path and first bytes are path and head, or nil when its values
// are named on their own lines (a log, a config file, a CSV file: see
// CSVColumns for its header).
func NewFieldContext(path string, head []byte) *FieldContext {
	head = bytes.TrimPrefix(head, utf8BOM)
	if sql := sqlTracker(path, head, Position{}); sql != nil {
		return &FieldContext{sql: sql}
	}
	if rec, hl7 := recordStream(head, Position{}); rec != nil {
		return &FieldContext{rec: rec, hl7: hl7}
	}
	return nil
}

// Segments reports whether the stream is HL7 v2, whose segments may end
// with a CR alone: such a block must be read through SegmentLines.
func (c *FieldContext) Segments() bool { return c != nil && c.hl7 }

// HL7Separators returns the separators of the HL7 v2 message the next
// block starts in (field, component, repetition, escape, subcomponent),
// or nil when the stream is not HL7 v2.
func (c *FieldContext) HL7Separators() []byte {
	if t, ok := c.hl7Tracker(); ok {
		return t.Separators()
	}
	return nil
}

func (c *FieldContext) hl7Tracker() (*detect.HL7Tracker, bool) {
	if c == nil || !c.hl7 {
		return nil, false
	}
	t, ok := c.rec.(*detect.HL7Tracker)
	return t, ok
}

// Columns returns the context of the next block, which starts a line.
func (c *FieldContext) Columns() *detect.Columns {
	switch {
	case c == nil:
		return nil
	case c.sql != nil:
		return c.sql.Columns(false)
	}
	return c.rec.Columns()
}

// Feed follows the structure of block, the next bytes of the stream, as
// they are scanned (through SegmentLines for HL7 v2).
func (c *FieldContext) Feed(block []byte) {
	switch {
	case c == nil:
	case c.sql != nil:
		c.sql.Feed(block)
	default:
		c.rec.Feed(block)
	}
}

// SegmentLines returns block with every CR that no LF follows turned into
// a LF, in dst's storage: an HL7 v2 block as the scan reads it (see
// segmentReader). Offsets are unchanged. A CR at the end of block counts
// as lone: a reader of whole lines never ends a block between CR and LF.
func SegmentLines(dst, block []byte) []byte {
	dst = append(dst[:0], block...)
	for i := bytes.IndexByte(dst, '\r'); i >= 0; {
		if i+1 >= len(dst) || dst[i+1] != '\n' {
			dst[i] = '\n'
		}
		k := bytes.IndexByte(dst[i+1:], '\r')
		if k < 0 {
			break
		}
		i += 1 + k
	}
	return dst
}
