package retention

import (
	"bufio"
	"errors"
	"io"
	"time"
)

// RecordStats count the records a filter saw.
type RecordStats struct {
	// Records counts records with a time; Dropped those removed.
	Records, Dropped int64
	// Undated counts leading lines before the first dated record, which
	// are always kept (their age is unknown).
	Undated int64
	// BytesIn and BytesOut are the sizes before and after.
	BytesIn, BytesOut int64
	// Newest is the time of the newest record seen.
	Newest time.Time
}

// KeepFunc decides whether a record of time t is kept.
type KeepFunc func(t time.Time) bool

// FilterRecords copies r to w record by record, leaving out the records
// keep rejects. A record is a line with a time (see TimeParser) and the
// lines without one that follow it. Kept bytes are copied exactly; lines
// of any length are streamed (the time is read from a line's first 64 KiB).
// ref is the file's mtime, for syslog years.
func FilterRecords(r io.Reader, w io.Writer, p *TimeParser, ref time.Time, keep KeepFunc) (RecordStats, error) {
	const bufSize = 64 << 10
	br := bufio.NewReaderSize(r, bufSize)
	bw := bufio.NewWriterSize(w, bufSize)
	var st RecordStats
	keeping, dated := true, false
	lineStart := true
	for {
		piece, err := br.ReadSlice('\n')
		if len(piece) > 0 {
			st.BytesIn += int64(len(piece))
			if lineStart {
				if t, ok := p.Parse(piece, ref); ok {
					dated = true
					st.Records++
					keeping = keep(t)
					if !keeping {
						st.Dropped++
					}
					if t.After(st.Newest) {
						st.Newest = t
					}
				} else if !dated {
					st.Undated++
				}
			}
			if keeping {
				if _, werr := bw.Write(piece); werr != nil {
					return st, werr
				}
				st.BytesOut += int64(len(piece))
			}
			lineStart = piece[len(piece)-1] == '\n'
		}
		switch {
		case err == nil, errors.Is(err, bufio.ErrBufferFull):
		case err == io.EOF:
			return st, bw.Flush()
		default:
			return st, err
		}
	}
}
