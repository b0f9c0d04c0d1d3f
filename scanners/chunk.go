package scanners

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"

	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/scanners/detect"
	"github.com/piiscan/piiscan/scanners/source"
)

// overlap is how much of a line longer than a chunk is shared by two
// consecutive chunks, so that a match across the cut is seen whole. It
// bounds the length of a match inside such a line.
const overlap = 8 << 10

// chunk is a block of a stream: whole lines, or a piece of a very long line
// with overlap on both sides.
type chunk struct {
	st     *stream
	seq    int
	buf    *[]byte
	data   []byte
	lo, hi int // matches starting in [lo, hi) belong to this chunk
	line   int // line number of data[0]
	col0   int // offset of data[0] within its line
	// cell0 and cellStart0, for a chunk of a table's row (col0 > 0): the
	// values of the row before data[0], and where in the row the value
	// that holds data[0] starts.
	cell0, cellStart0 int
	last              bool
	first             bool
	// cols, for a block of an SQL dump, are its columns (see detect.SQLTracker).
	cols *detect.Columns
	// mark, for a stream with a src, is the position after the last
	// complete line of the chunk (nil: the chunk ends none).
	mark *Position
}

// pgDumpArchive starts the archives of pg_dump's custom format (-Fc).
var pgDumpArchive = []byte("PGDMP")

// ErrPGDumpArchive is the problem of a pg_dump custom-format archive,
// which piiscan does not read: it is reported, never passed as clean.
var ErrPGDumpArchive = errors.New("a pg_dump custom-format archive (pg_dump -Fc) is not read: " +
	"scan the SQL that pg_restore -f - writes from it")

// ErrSQLiteWAL is the problem of a SQLite write-ahead log (db-wal): its
// pages are rows the database file does not hold yet, and they are not
// read on their own.
var ErrSQLiteWAL = errors.New("a SQLite write-ahead log is not read: its rows are not in the database file yet; " +
	"checkpoint it (sqlite3 DB 'PRAGMA wal_checkpoint(TRUNCATE)') and scan the database")

// ErrSQLiteJournal is the problem of a SQLite rollback journal: it holds
// pages of its database as they were before a change, rows the database
// may no longer have, and is not read.
var ErrSQLiteJournal = errors.New("a SQLite rollback journal is not read: it holds pages of its database from before a change; " +
	"open the database with sqlite3 to roll it back, or remove it, and scan the database")

// readStream cuts one stream into chunks. It reports whether it sent any
// (a stream that is allowed or binary is skipped). With rs, the stream
// starts at rs.from in its file and rs.end receives the position after
// the last complete line read. With t, the stream is a table rendered
// from a structured file (see source.Table): its first line names the
// columns, and a row's line number is its number in the table.
func (r *run) readStream(path string, br *bufio.Reader, t *source.Table, in *input, item, member int, rs *resume) (bool, error) {
	var from Position
	var end *Position
	if rs != nil {
		from, end = rs.from, rs.end
	}
	s := r.s
	if s.opts.Allow.Path(path, "") {
		return false, nil
	}
	head, _ := br.Peek(8 << 10)
	if from.Offset > 0 {
		head = rs.head
	}
	st := &stream{path: path, item: item, member: member, in: in, file: detect.CredentialFile(path), table: t}
	var sql *detect.SQLTracker
	var rec recordTracker
	enc, bom := encUTF8, 0
	if t != nil {
		// The header line names the columns; line 0, so that each row's
		// line is its row number.
		from.Line = -1
		st.cols = detect.TableColumns(t.Names)
	} else {
		// UTF-16 is decoded (utf16.go); positions stay in the file's bytes.
		br, head, enc, bom = decodedUTF16(br, head, from.Offset == 0)
		// A log already read as text stays text: bytes at the resume point
		// (NUL padding after a crash) do not make it binary.
		if from.Offset == 0 && bytes.HasPrefix(head, pgDumpArchive) {
			// Rows of a database, compressed in a format of its own: saying
			// nothing would pass a backup of customer records as clean.
			r.problem(path, ErrPGDumpArchive)
			return false, nil
		}
		if from.Offset == 0 && source.IsSQLiteWAL(head) {
			if len(head) > 32 { // a header alone holds no rows
				r.problem(path, ErrSQLiteWAL)
			}
			return false, nil
		}
		if from.Offset == 0 && source.IsSQLiteJournal(head) {
			r.problem(path, ErrSQLiteJournal)
			return false, nil
		}
		if from.Offset == 0 && LooksBinary(head) {
			r.mu.Lock()
			r.stats.Binary++
			r.mu.Unlock()
			s.opts.Logger.Debug("binary stream skipped", "path", path)
			return false, nil
		}
		// An SQL dump's blocks carry their own columns (chunk.cols).
		// A UTF-8 byte-order mark is no part of the first line's names.
		names := bytes.TrimPrefix(head, utf8BOM)
		sql = sqlTracker(path, names, from)
		var hl7 bool
		rec, hl7 = recordStream(names, from) // FHIR, HL7 v2: chunk.cols too
		if hl7 {
			br = newSegmentReader(br)
		}
		if sql == nil && rec == nil {
			st.cols = CSVColumns(path, names)
		}
	}
	if rs != nil {
		st.src = &rs.item
	}
	if s.opts.Place != nil {
		top, _ := itempath.Outer(path) // archive members sit where their archive is
		st.place = s.opts.Place(top)
	}
	// The whole path is not allowed (see above): only the rules of a
	// class may be.
	st.allowed = s.opts.Allow.PathClasses(path)
	r.mu.Lock()
	r.stats.Streams++
	r.mu.Unlock()

	size := s.opts.ChunkSize
	var carry []byte // bytes of the previous buffer that start the next chunk
	lo, line, col0, seq := 0, from.Line+1, 0, 0
	cell, cellStart := 0, 0         // a table's row, cut: see chunk.cell0
	pos := from.Offset + int64(bom) // offset of data[0] in the file
	// span is how many bytes of the file data, read from it, came from
	// (counted only for a resumable stream).
	span := func(data []byte) int64 {
		switch {
		case end == nil:
			return 0
		case enc != encUTF8:
			return utf16Len(data)
		}
		return int64(len(data))
	}
	// commit records, for a resumable stream, that the chunk c ends the
	// line before data[n:], which is line number lines.
	commit := func(c *chunk, n int, lines int) {
		if end != nil {
			end.Offset, end.Line = pos+span(c.data[:n]), lines
			c.mark = &Position{Offset: end.Offset, Line: end.Line}
		}
	}
	for {
		bp := r.bufs.Get().(*[]byte)
		buf := (*bp)[:size]
		n := copy(buf, carry)
		m, err := fill(br, buf[n:])
		// Counted as read, so that a scan cut short says how far it got.
		r.addBytes(int64(m))
		n += m
		data := buf[:n]
		c := &chunk{st: st, seq: seq, buf: bp, data: data, lo: lo, line: line, col0: col0, cell0: cell, cellStart0: cellStart, first: seq == 0 && from.Offset == 0}
		seq++
		if sql != nil {
			c.cols = sql.Columns(col0 > 0)
			sql.Feed(data[len(carry):])
		}
		if rec != nil {
			c.cols = rec.Columns()
		}
		if err != nil {
			// The end of the stream, or a read error: what was read is
			// still scanned (findings before the damage of a truncated
			// archive are real), then the error is reported.
			c.hi, c.last = n, true
			if nl := bytes.LastIndexByte(data[lo:], '\n'); nl >= 0 {
				commit(c, lo+nl+1, line-1+bytes.Count(data[:lo+nl+1], []byte{'\n'}))
			}
			if serr := r.send(c); serr != nil {
				return true, serr
			}
			if err == io.EOF {
				return true, nil
			}
			return true, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if nl := bytes.LastIndexByte(data[lo:], '\n'); nl >= 0 {
			nl += lo
			c.hi = nl + 1
			c.data = data[:nl+1]
			carry = append(carry[:0], data[nl+1:]...)
			line += bytes.Count(data[:nl+1], []byte{'\n'})
			commit(c, nl+1, line-1)
			pos += span(data[:nl+1])
			lo, col0, cell, cellStart = 0, 0, 0, 0
		} else {
			// A line longer than a chunk: cut it with overlap on both
			// sides of the cut.
			c.hi = n - overlap
			carry = append(carry[:0], data[c.hi-overlap:]...)
			if t != nil {
				if done := data[:c.hi-overlap]; bytes.IndexByte(done, '\t') >= 0 {
					cell += bytes.Count(done, []byte{'\t'})
					cellStart = col0 + bytes.LastIndexByte(done, '\t') + 1
				}
			}
			col0 += c.hi - overlap
			pos += span(data[:c.hi-overlap])
			lo = overlap
		}
		if rec != nil {
			rec.Feed(data[:n-len(carry)]) // up to the next chunk's start
		}
		if err := r.send(c); err != nil {
			return true, err
		}
	}
}

// fill reads into p until it is full or the reader fails; a reader that
// ends returns io.EOF (also after a partial fill).
func fill(r io.Reader, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := r.Read(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (r *run) send(c *chunk) error {
	select {
	case r.chunks <- c:
		return nil
	case <-r.ctx.Done():
		if c.buf != nil {
			r.bufs.Put(c.buf)
		}
		return context.Cause(r.ctx)
	}
}

// lineAt returns the line number of the byte at off in the chunk.
func (c *chunk) lineAt(off int) int {
	return c.line + bytes.Count(c.data[:off], []byte{'\n'})
}

// LooksBinary reports whether the start of a stream is binary: it holds a
// NUL byte, or more than one byte in ten is a control character other than
// the usual whitespace and terminal escapes. A run of NULs at the very
// start does not count when text follows it: logrotate's copytruncate
// leaves one in a log whose writer kept its offset. A head of NULs only
// is binary (nothing tells it is text).
func LooksBinary(head []byte) bool {
	if len(head) == 0 {
		return false
	}
	if head[0] == 0 {
		head = bytes.TrimLeft(head, "\x00")
		if len(head) == 0 {
			return true
		}
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	ctrl := 0
	for _, c := range head {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != '\v' && c != 0x1b && c != '\b' || c == 0x7f {
			ctrl++
		}
	}
	return ctrl*10 > len(head)
}

// CSVColumns returns the personal-data columns of a delimited stream:
// files named .csv, .tsv or .psv, or any stream whose first line reads like
// a header (delimiter-separated names, no key=value or JSON). path is the
// stream's finding path or a file's real path: only the extension of the
// last name counts.
func CSVColumns(path string, head []byte) *detect.Columns {
	nl := bytes.IndexByte(head, '\n')
	if nl < 0 {
		return nil
	}
	first := head[:nl]
	var delim byte
	switch itempath.Ext(path) {
	case ".csv":
		delim = ','
	case ".tsv":
		delim = '\t'
	case ".psv":
		delim = '|'
	default:
		if bytes.ContainsAny(first, "{}=[]<>:") || bytes.Count(first, []byte{','}) < 2 && bytes.Count(first, []byte{'\t'}) < 2 {
			return nil
		}
		for _, c := range first {
			if c >= '0' && c <= '9' {
				return nil // data, not names
			}
		}
	}
	return detect.HeaderColumns(first, delim)
}
