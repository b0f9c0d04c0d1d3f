package retention

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"time"
)

// RecordStats count the records a filter saw.
type RecordStats struct {
	// Records counts records with a time; Dropped those removed (in
	// redaction: those expired, whose values were masked).
	Records, Dropped int64
	// Undated counts undatable records anywhere in the file: lines that
	// start a record without a plausible time, with their continuation
	// lines. They are always kept (their age is unknown).
	Undated int64
	// BytesIn and BytesOut are the sizes before and after.
	BytesIn, BytesOut int64
	// BytesDropped is the size of the dropped records (in redaction: of
	// the expired records, before masking).
	BytesDropped int64
	// Newest is the time of the newest record seen.
	Newest time.Time
}

// Undatable reports whether the file as a whole cannot be dated: it has
// no dated record, or fewer than 95% of its records (dated and undatable)
// are dated. Such a file is not understood well enough to drop anything from
// it, and must be kept as it is.
func (s RecordStats) Undatable() bool {
	return s.Records == 0 || s.Records*100 < 95*(s.Records+s.Undated)
}

// ErrUndatable means a file's records could not be dated well enough to
// act on (see RecordStats.Undatable). The output written alongside it is
// incomplete in meaning and must be discarded; the file must be kept.
var ErrUndatable = errors.New("the file cannot be dated")

// undatable returns the ErrUndatable error for st.
func undatable(st RecordStats) error {
	if st.Records+st.Undated == 0 {
		return fmt.Errorf("%w: no records", ErrUndatable)
	}
	return fmt.Errorf("%w: %d of %d records have no recognisable time", ErrUndatable, st.Undated, st.Records+st.Undated)
}

// KeepFunc decides whether a record of time t is kept.
type KeepFunc func(t time.Time) bool

// FilterRecords copies r to w record by record, leaving out the dated
// records keep rejects. ref is the file's mtime, for syslog years.
//
// A record is a line that starts one (see TimeParser.ParseStart) and the
// lines after it that look like its continuation: indented or blank
// lines, stack-trace and traceback lines, closing brackets. Any other
// line starts an undatable record, as does a record-start line without a
// plausible time; undatable records are always kept, as are
// continuation-like lines before the first record. Kept bytes are copied
// exactly; lines of any length are streamed (the time is read from a
// line's first 64 KiB).
//
// When the file is undatable as a whole (no dated record, or fewer than
// 95% of records dated, see RecordStats.Undatable), FilterRecords still
// reads it all, then returns the stats and an error wrapping
// ErrUndatable: the caller must discard what was written and keep the
// file.
func FilterRecords(r io.Reader, w io.Writer, p *TimeParser, ref time.Time, keep KeepFunc) (RecordStats, error) {
	sp := newRecordSplitter(r, p, ref)
	bw := bufio.NewWriterSize(w, 64<<10)
	st := &sp.Stats
	keeping := true
	for {
		piece, start, err := sp.next()
		if start {
			keeping = sp.Kind != recordDated || keep(sp.Time)
			if !keeping {
				st.Dropped++
			}
		}
		if len(piece) > 0 {
			if keeping {
				if _, werr := bw.Write(piece); werr != nil {
					return *st, werr
				}
				st.BytesOut += int64(len(piece))
			} else {
				st.BytesDropped += int64(len(piece))
			}
		}
		switch {
		case err == nil:
		case err == io.EOF:
			if ferr := bw.Flush(); ferr != nil {
				return *st, ferr
			}
			if st.Undatable() {
				return *st, undatable(*st)
			}
			return *st, nil
		default:
			return *st, err
		}
	}
}
