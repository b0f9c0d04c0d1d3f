package source

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/piiscan/piiscan/scanners/detect"
	"modernc.org/sqlite" // and the database/sql driver "sqlite"
	"modernc.org/sqlite/vfs"
)

// SQLite: a database file (an application's, or one in a backup) is read
// table by table, through a file system of its own that holds the one
// file and cannot write (modernc.org/sqlite/vfs), opened read-only and
// immutable: nothing is written, no journal or -wal file is looked for or
// made, and no lock is taken. A file in an archive, on stdin or in a
// bucket is spooled first, as a zip is.
//
// Each table is a Table whose columns are its columns (field
// "table.column") and whose lines are its rows, in the order the table
// stores them (rowid order). Every value is read as text, by its own
// type: an integer in a column of integer affinity (as a Parquet file's)
// only under a name that says what it holds; a text wherever it is (a
// twin column takes text that a column of integer affinity holds); a
// blob only if it is text. Views and virtual tables are not read: what
// they show is in tables (a full-text index's content in its shadow
// tables), which SQLite itself lists, as it does the columns (generated
// ones too). The schema is read last: its SQL holds defaults and checks.

// sqliteMagic starts every SQLite 3 database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// ErrSQLite is the problem of a database SQLite could not read through:
// damaged pages, or a format it refuses.
var ErrSQLite = errors.New("sqlite database could not be read")

// maxSQLiteValue is the longest value read (SQLITE_LIMIT_LENGTH): SQLite
// holds a value whole, several times over, and a damaged file can claim
// a value of a gigabyte in a few pages that point to themselves. A longer
// one stops its table, reported.
const maxSQLiteValue = 16 << 20

// sqliteLimitLength is SQLite's SQLITE_LIMIT_LENGTH.
const sqliteLimitLength = 0

// sqlite reads the database name; top, it is an input itself (not in an
// archive, not decompressed), and what is beside it on disk counts.
func (ex *expansion) sqlite(name string, br *bufio.Reader, size int64, ra io.ReaderAt, top bool) error {
	if ra == nil {
		f, n, err := ex.spool(name, br, "SQLite database")
		if err != nil {
			return err
		}
		defer CloseSpool(f)
		ra, size = f, n
	}
	if top && ex.x.Beside != nil {
		if err := ex.sqliteBeside(name, ra, size); err != nil {
			return err
		}
	}
	// The rows rendered count against the input's budget and, against
	// the file's size, the ratio: pages of a damaged file that point to
	// each other can make a few KiB give rows without end.
	in := &countingReader{n: size}
	vname, vfsys, err := vfs.New(dbFS{ra: ra, size: size})
	if err != nil {
		return &fs.PathError{Op: "sqlite", Path: name, Err: err}
	}
	defer vfsys.Close()
	d := &sqliteHandle{ctx: ex.ctx, vname: vname}
	if err := d.open(false); err != nil {
		return &fs.PathError{Op: "sqlite", Path: name, Err: sqliteError(err)}
	}
	defer d.Close()
	tables, err := sqliteTables(ex.ctx, d.Conn)
	if err != nil {
		// A schema SQLite finds damaged (an index whose pages a file cut
		// short lost) stops every table: with writable_schema, a flag of
		// the connection that writes nothing, SQLite passes over what it
		// cannot read in it, and the tables it can read are read.
		schemaErr := sqliteError(err)
		if err := d.open(true); err != nil {
			return &fs.PathError{Op: "sqlite", Path: name, Err: schemaErr}
		}
		if tables, err = sqliteTables(ex.ctx, d.Conn); err != nil {
			return &fs.PathError{Op: "sqlite", Path: name, Err: schemaErr}
		}
		if err := ex.memberError(name, &fs.PathError{Op: "sqlite", Path: name, Err: fmt.Errorf("its schema: %w", schemaErr)}); err != nil {
			return err
		}
	}
	for i, tb := range tables {
		if err := ex.ctx.Err(); err != nil {
			return err
		}
		err := ex.sqliteTable(name, d.Conn, tb, in)
		// A table SQLite refuses for a collation it does not know (an
		// application registers its own: Anki's "unicase") is read again
		// once the collation is added, as byte order: reading every row
		// compares none.
		if sqliteGenericError(err) {
			again, cerr := d.addCollations(tb.name)
			switch {
			case errors.Is(cerr, ErrSQLiteCollation):
				err = cerr
			case cerr != nil:
				return &fs.PathError{Op: "sqlite", Path: name, Err: sqliteError(cerr)}
			case again:
				err = ex.sqliteTable(name, d.Conn, tb, in)
			}
		}
		if err != nil && !fatal(err) {
			// The table by its number: a name is the schema's, and may
			// be anything.
			err = &fs.PathError{Op: "sqlite", Path: name, Err: fmt.Errorf("table %d of %d: %w", i+1, len(tables), sqliteError(err))}
		}
		if err := ex.memberError(name, err); err != nil {
			return err
		}
	}
	var disguised int
	err = d.QueryRowContext(ex.ctx, `SELECT count(*) FROM sqlite_schema
		WHERE type = 'table' AND rootpage > 0 AND upper(ltrim(sql)) LIKE 'CREATE VIRTUAL%'`).Scan(&disguised)
	if err == nil && disguised > 0 {
		// A virtual table has no pages: one that has, and says it is
		// virtual, hides its rows from SQLite.
		err := fmt.Errorf("%w: %d tables that say they are virtual have pages of their own: not read", ErrCorrupt, disguised)
		if err := ex.memberError(name, &fs.PathError{Op: "sqlite", Path: name, Err: err}); err != nil {
			return err
		}
	}
	if err := sqliteCut(ra, size); err != nil {
		return &fs.PathError{Op: "sqlite", Path: name, Err: err}
	}
	return nil
}

// ErrSQLiteLog is the problem of a database with a write-ahead log or a
// rollback journal beside it that holds changes: the database file alone
// is not what SQLite would read.
var ErrSQLiteLog = errors.New("changes beside the database are not read")

// sqliteBeside reports a write-ahead log whose changes the database file
// does not have yet (rows written since its last checkpoint, which
// SQLite reads before the file) or a hot rollback journal (a change cut
// short, which SQLite would roll back) beside the database name (db,
// size bytes), as the scan reads the file alone.
func (ex *expansion) sqliteBeside(name string, db io.ReaderAt, size int64) error {
	err := ex.sqliteWALBeside(name, db, size)
	if err == nil {
		err = ex.sqliteJournalBeside(name)
	}
	if err == nil {
		return nil
	}
	return ex.memberError(name, &fs.PathError{Op: "sqlite", Path: name, Err: err})
}

// sqliteWALBeside returns the problem of the write-ahead log beside the
// database name (db, size bytes), if it has one.
func (ex *expansion) sqliteWALBeside(name string, db io.ReaderAt, size int64) error {
	wal, err := ex.x.Beside("-wal")
	if err != nil {
		return fmt.Errorf("%w: a write-ahead log beside it could not be read (%w): it may hold changes the file does not have yet", ErrSQLiteLog, err)
	}
	if wal == nil {
		return nil
	}
	defer wal.Close()
	fi, err := wal.Stat()
	if err != nil || walApplied(wal, fi.Size(), db, size) {
		return nil
	}
	return fmt.Errorf("%w: a write-ahead log (%s-wal, %d bytes) holds changes the file does not have yet: rows written since its last checkpoint are not read, and rows since changed are read as they were; "+
		"checkpoint it (sqlite3 DB 'PRAGMA wal_checkpoint(TRUNCATE)') and scan again", ErrSQLiteLog, path.Base(name), fi.Size())
}

// sqliteJournalBeside returns the problem of the hot rollback journal
// beside the database name, if it has one.
func (ex *expansion) sqliteJournalBeside(name string) error {
	j, err := ex.x.Beside("-journal")
	if err != nil {
		return fmt.Errorf("%w: a rollback journal beside it could not be read (%w): a change may have been cut short", ErrSQLiteLog, err)
	}
	if j == nil {
		return nil
	}
	defer j.Close()
	var head [8]byte
	if n, _ := io.ReadFull(j, head[:]); !IsSQLiteJournal(head[:n]) {
		return nil
	}
	return fmt.Errorf("%w: a rollback journal (%s-journal) says a change was cut short: the file holds it half made; "+
		"open the database with sqlite3 to roll it back and scan again", ErrSQLiteLog, path.Base(name))
}

// maxWALCompared is the largest write-ahead log compared with its
// database, page by page; a larger one counts as not applied.
const maxWALCompared = 256 << 20

// walApplied reports whether the write-ahead log wal (size bytes) holds
// nothing the database db (dbSize bytes) does not: no committed frame
// (one of the log's current salts, up to its last commit) whose page
// differs from the database's. A log checkpointed and not yet reset
// (SQLite keeps it for the next writer) holds the file's own pages; one
// that is no log, or not the database's, holds no frame that counts.
func walApplied(wal io.ReaderAt, size int64, db io.ReaderAt, dbSize int64) bool {
	var h [32]byte
	if size <= 32 {
		return true // a header and no frames, or nothing
	}
	if _, err := wal.ReadAt(h[:], 0); err != nil || !IsSQLiteWAL(h[:]) {
		return true // not a log: nothing SQLite would read
	}
	if size > maxWALCompared {
		return false
	}
	page := int64(binary.BigEndian.Uint32(h[8:12]))
	if page < 512 || page > 65536 || page&(page-1) != 0 {
		return true // SQLite would not read it either
	}
	salt := h[16:24]
	committed, pending := map[uint32]int64{}, map[uint32]int64{}
	var fh [24]byte
	for off := int64(32); off+24+page <= size; off += 24 + page {
		if _, err := wal.ReadAt(fh[:], off); err != nil || !bytes.Equal(fh[8:16], salt) {
			break // frames of an earlier generation of the log
		}
		pending[binary.BigEndian.Uint32(fh[0:4])] = off + 24
		if binary.BigEndian.Uint32(fh[4:8]) != 0 { // a commit
			for pg, at := range pending {
				committed[pg] = at
			}
			clear(pending)
		}
	}
	a, b := make([]byte, page), make([]byte, page)
	for pg, at := range committed {
		if pg == 0 || int64(pg)*page > dbSize {
			return false
		}
		if _, err := wal.ReadAt(a, at); err != nil {
			return false
		}
		if _, err := db.ReadAt(b, int64(pg-1)*page); err != nil || !bytes.Equal(a, b) {
			return false
		}
	}
	return true
}

// IsSQLiteWAL reports whether head starts a SQLite write-ahead log (its
// magic, in either byte order of its checksums, and a whole header).
func IsSQLiteWAL(head []byte) bool {
	return len(head) >= 32 && (bytes.HasPrefix(head, []byte{0x37, 0x7f, 0x06, 0x82}) || bytes.HasPrefix(head, []byte{0x37, 0x7f, 0x06, 0x83}))
}

// IsSQLiteJournal reports whether head starts a hot SQLite rollback
// journal (one whose change was not finished: a finished one is deleted,
// emptied, or its header zeroed).
func IsSQLiteJournal(head []byte) bool {
	return bytes.HasPrefix(head, []byte{0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7})
}

// sqliteDriver opens the databases: a driver of piiscan's own, to which
// the collations databases name are added (sqliteAddCollation).
var sqliteDriver = &sqlite.Driver{}

// sqliteConn is a connection to a database, with the *sql.DB it is from.
type sqliteConn struct {
	*sql.Conn
	db *sql.DB
}

func (c sqliteConn) Close() error {
	if c.db == nil {
		return nil
	}
	c.Conn.Close()
	return c.db.Close()
}

// sqliteHandle is a database open for reading, and what it takes to open it
// again: a connection has the collations there were when it opened.
type sqliteHandle struct {
	sqliteConn
	ctx     context.Context
	vname   string // its vfs
	lenient bool   // with writable_schema: SQLite called its schema damaged
	added   int    // collations added for it
}

// open opens the database (again), lenient or not.
func (d *sqliteHandle) open(lenient bool) error {
	d.Close()
	c, err := sqliteOpen(d.ctx, d.vname, lenient)
	d.sqliteConn, d.lenient = c, lenient
	return err
}

// addCollations adds the collations the SQL of table names (at most
// maxSQLiteCollationsPerDB for the database) and, where it added one,
// opens the database again to have them: it reports whether it did.
func (d *sqliteHandle) addCollations(table string) (bool, error) {
	colls, err := sqliteTableCollations(d.ctx, d.Conn, table)
	if err != nil {
		return false, err
	}
	again := false
	for _, coll := range colls {
		if d.added >= maxSQLiteCollationsPerDB {
			break
		}
		ok, err := sqliteAddCollation(coll)
		if err != nil {
			return false, err
		}
		if ok {
			d.added++
			again = true
		}
	}
	if !again {
		return false, nil
	}
	return true, d.open(d.lenient)
}

// sqliteConnector opens the database in vfs vname through sqliteDriver.
type sqliteConnector struct{ vname string }

func (c sqliteConnector) Connect(context.Context) (driver.Conn, error) {
	// The driver reads its collations unlocked as it opens: none may be
	// added meanwhile.
	sqliteCollationsMu.RLock()
	defer sqliteCollationsMu.RUnlock()
	return sqliteDriver.Open("file:db?mode=ro&immutable=1&vfs=" + c.vname)
}

func (c sqliteConnector) Driver() driver.Driver { return sqliteDriver }

// sqliteOpen opens the database in vfs vname, read-only and immutable,
// with values limited to maxSQLiteValue bytes; lenient, with
// writable_schema set.
func sqliteOpen(ctx context.Context, vname string, lenient bool) (sqliteConn, error) {
	db := sql.OpenDB(sqliteConnector{vname})
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return sqliteConn{}, err
	}
	c := sqliteConn{Conn: conn, db: db}
	if _, err := sqlite.Limit(conn, sqliteLimitLength, maxSQLiteValue); err != nil {
		c.Close()
		return sqliteConn{}, err
	}
	if lenient {
		if _, err := conn.ExecContext(ctx, "PRAGMA writable_schema = ON"); err != nil {
			c.Close()
			return sqliteConn{}, err
		}
	}
	return c, nil
}

// Collations are added to sqliteDriver for good (the driver keeps each
// one's name for the life of the process): at most maxSQLiteCollations,
// of at most 64 bytes each, and at most maxSQLiteCollationsPerDB for one
// database, only those SQLite asks for.
const (
	maxSQLiteCollations      = 16384
	maxSQLiteCollationsPerDB = 64
)

// sqliteCollationsMu orders adding collations to sqliteDriver (Lock)
// and opening connections with it (RLock).
var sqliteCollationsMu sync.RWMutex

// sqliteKnown holds, lower-cased, the collations added to sqliteDriver.
var sqliteKnown = map[string]bool{}

// ErrSQLiteCollation is the problem of a table whose collation could
// not be stood in for (collationError: it is ErrSQLite too, and said as
// it is).
var ErrSQLiteCollation = errors.New("a collation the application registers, not known to SQLite, could not be stood in for")

// collationError returns ErrSQLiteCollation, for why.
func collationError(why string) error {
	return fmt.Errorf("%w: %w: %s", ErrSQLite, ErrSQLiteCollation, why)
}

// sqliteGenericError reports whether err is SQLite's SQLITE_ERROR (of
// any extended code), as a collation SQLite does not know gives: "no such
// collation sequence", or "no query solution" for a table whose primary
// key needs one.
func sqliteGenericError(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == 1
}

// sqliteTableCollations returns the collations the SQL of table and of
// its indexes names that SQLite has not: those an application registers.
func sqliteTableCollations(ctx context.Context, conn *sql.Conn, table string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT sql FROM sqlite_schema WHERE tbl_name = ? AND sql IS NOT NULL`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var colls []string
	for rows.Next() {
		var q string
		if err := rows.Scan(&q); err != nil {
			return nil, err
		}
		colls = append(colls, sqlCollations(q)...)
	}
	return colls, rows.Err()
}

// sqlCollations returns the names after COLLATE in the SQL q, read as
// SQLite reads it: past comments and string literals, names quoted any
// of the four ways; SQLite's own (BINARY, NOCASE, RTRIM) left out.
func sqlCollations(q string) []string {
	var colls []string
	collate := false // the last token was COLLATE
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
			continue
		case strings.HasPrefix(q[i:], "--"):
			if j := strings.IndexByte(q[i:], '\n'); j >= 0 {
				i += j + 1
			} else {
				i = len(q)
			}
			continue
		case strings.HasPrefix(q[i:], "/*"):
			if j := strings.Index(q[i+2:], "*/"); j >= 0 {
				i += j + 4
			} else {
				i = len(q)
			}
			continue
		}
		var tok string
		quoted := false
		switch c {
		case '"', '\'', '`', '[':
			end := c
			if c == '[' {
				end = ']'
			}
			var b strings.Builder
			j := i + 1
			for j < len(q) {
				if q[j] == end {
					if end != ']' && j+1 < len(q) && q[j+1] == end { // doubled
						b.WriteByte(end)
						j += 2
						continue
					}
					break
				}
				b.WriteByte(q[j])
				j++
			}
			tok, quoted, i = b.String(), true, min(j+1, len(q))
		default:
			j := i
			for j < len(q) && (q[j] >= 0x80 || q[j] == '_' || q[j] == '$' || 'a' <= q[j]|0x20 && q[j]|0x20 <= 'z' || '0' <= q[j] && q[j] <= '9') {
				j++
			}
			if j == i {
				j++ // punctuation
			}
			tok, i = q[i:j], j
		}
		if collate {
			switch strings.ToLower(tok) {
			case "binary", "nocase", "rtrim":
			default:
				colls = append(colls, tok)
			}
		}
		collate = !quoted && strings.EqualFold(tok, "collate")
	}
	return colls
}

// sqliteAddCollation adds collation name to sqliteDriver, as byte
// order, and reports whether this database's connection must open again
// to have it: it is new, or another database's added it (the connection
// may have opened before). Names of more than 64 bytes are left out.
func sqliteAddCollation(name string) (bool, error) {
	key := strings.ToLower(name)
	if len(name) == 0 || len(name) > 64 || strings.IndexByte(name, 0) >= 0 {
		return false, nil
	}
	sqliteCollationsMu.Lock()
	defer sqliteCollationsMu.Unlock()
	switch {
	case sqliteKnown[key]:
		return true, nil
	case len(sqliteKnown) >= maxSQLiteCollations:
		return false, collationError(fmt.Sprintf("%d collations added already", len(sqliteKnown)))
	}
	if err := sqliteDriver.RegisterCollationUtf8(name, strings.Compare); err != nil {
		return false, collationError(sqliteError(err).Error())
	}
	sqliteKnown[key] = true
	return true, nil
}

// sqliteCut reports a database file shorter than its pages: SQLite reads
// what is missing as zeros, and the rows there as none.
func sqliteCut(ra io.ReaderAt, size int64) error {
	var h [100]byte
	if _, err := ra.ReadAt(h[:], 0); err != nil {
		return nil // SQLite said what it found
	}
	page := int64(binary.BigEndian.Uint16(h[16:18]))
	if page == 1 {
		page = 65536
	}
	pages := int64(binary.BigEndian.Uint32(h[28:32]))
	// The page count is valid where the header's change counter and
	// "version valid for" agree.
	counted := pages > 0 && binary.BigEndian.Uint32(h[24:28]) == binary.BigEndian.Uint32(h[92:96])
	if page < 512 || size%page != 0 || counted && pages*page > size {
		return fmt.Errorf("%w: the file (%d bytes) is shorter than its pages: cut short, rows at its end not read", ErrCorrupt, size)
	}
	return nil
}

// sqliteError marks an error of SQLite's as ErrSQLite, by its code only:
// SQLite's messages can quote the schema (a table's name, its SQL).
func sqliteError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		// The scanner's "read app.db": the table's error names the
		// database already.
		err = pe.Err
	}
	if fatal(err) || errors.Is(err, ErrBomb) || errors.Is(err, ErrCorrupt) || errors.Is(err, ErrSQLite) {
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		code := sqlite.ErrorCodeString[se.Code()]
		if code == "" {
			code = fmt.Sprintf("code %d", se.Code())
		}
		if se.Code()&0xff == 18 { // SQLITE_TOOBIG
			code += fmt.Sprintf(": a value longer than %d bytes; the table read up to its row", maxSQLiteValue)
		}
		return &sqliteErr{code: code, err: se}
	}
	return fmt.Errorf("%w: %T", ErrSQLite, err)
}

// sqliteErr is an error of SQLite's, said by its code: it is ErrSQLite,
// and holds SQLite's own error (whose message may quote the schema) for
// piiscan to read, not to say.
type sqliteErr struct {
	code string
	err  *sqlite.Error
}

func (e *sqliteErr) Error() string   { return ErrSQLite.Error() + ": " + e.code }
func (e *sqliteErr) Unwrap() []error { return []error{ErrSQLite, e.err} }

// dbFS is a file system that holds one file, the database, read through
// ra: SQLite opens it by any name, and nothing else.
type dbFS struct {
	ra   io.ReaderAt
	size int64
}

func (d dbFS) Open(name string) (fs.File, error) {
	if name != "db" {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &dbFile{SectionReader: io.NewSectionReader(d.ra, 0, d.size)}, nil
}

// dbFile is the database, open.
type dbFile struct{ *io.SectionReader }

func (f *dbFile) Stat() (fs.FileInfo, error) { return dbInfo{f.Size()}, nil }
func (f *dbFile) Close() error               { return nil }

type dbInfo struct{ size int64 }

func (i dbInfo) Name() string       { return "db" }
func (i dbInfo) Size() int64        { return i.size }
func (i dbInfo) Mode() fs.FileMode  { return 0o444 }
func (i dbInfo) ModTime() time.Time { return time.Time{} }
func (i dbInfo) IsDir() bool        { return false }
func (i dbInfo) Sys() any           { return nil }

// sqliteTable is a table and its columns.
type sqliteTable struct {
	name    string
	columns []string
	numbers []bool // declared with integer affinity
}

// sqliteTables lists the tables of the database that hold rows, as
// SQLite itself tells them (not from their SQL, which a file can word
// as it likes): tables, shadow tables (a full-text index's), and the
// schema (whose SQL holds defaults and checks); not views, not virtual
// tables. Every column is listed, generated ones too.
func sqliteTables(ctx context.Context, conn *sql.Conn) ([]sqliteTable, error) {
	rows, err := conn.QueryContext(ctx, `SELECT l.name FROM pragma_table_list AS l LEFT JOIN sqlite_schema AS s ON s.name = l.name
		WHERE l.schema = 'main' AND l.type IN ('table', 'shadow') ORDER BY s.rowid IS NULL, s.rowid`)
	if err != nil {
		return nil, err
	}
	var tables []sqliteTable
	for rows.Next() {
		var t sqliteTable
		if err := rows.Scan(&t.name); err != nil {
			rows.Close()
			return nil, err
		}
		tables = append(tables, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	for i := range tables {
		t := &tables[i]
		cols, err := conn.QueryContext(ctx, `SELECT name, type FROM pragma_table_xinfo(?) WHERE hidden != 1`, t.name)
		if err != nil {
			return nil, err
		}
		for cols.Next() {
			var name, typ string
			if err := cols.Scan(&name, &typ); err != nil {
				cols.Close()
				return nil, err
			}
			t.columns = append(t.columns, name)
			// SQLite's rule: a declared type containing "INT" has
			// integer affinity.
			t.numbers = append(t.numbers, strings.Contains(strings.ToUpper(typ), "INT"))
		}
		if err := cols.Err(); err != nil {
			return nil, err
		}
		cols.Close()
	}
	return tables, nil
}

// sqliteIdent quotes an identifier for SQL.
func sqliteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// sqliteTable hands the rows of table tb to the scanner. Each value is
// read with its type: an integer under a column of integer affinity goes
// to that column, which holds numbers (read only under a name that says
// what they hold); a text in such a column to a twin of it, which holds
// text (SQLite lets any column hold any value); a blob only if it is
// text.
func (ex *expansion) sqliteTable(name string, conn *sql.Conn, tb sqliteTable, in *countingReader) error {
	if len(tb.columns) == 0 {
		return nil
	}
	sel := make([]string, 0, len(tb.columns))
	for _, c := range tb.columns {
		// Each value as text (a date as it is stored, not as the driver
		// would parse it) after the first letter of its type: one
		// column for both, as each column costs the driver two locks.
		// NULL stays NULL.
		sel = append(sel, "substr(typeof("+sqliteIdent(c)+"), 1, 1) || "+sqliteIdent(c))
	}
	rows, err := conn.QueryContext(ex.ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+sqliteIdent(tb.name))
	if err != nil {
		return err
	}
	defer rows.Close()
	// A row takes 4 bytes of a page at the least: more rows than that
	// are pages that point to each other, read again and again.
	r := &sqliteRows{rows: rows, twin: make([]int, len(tb.columns)), maxRows: in.n/4 + 1}
	t := &r.table
	for i, c := range tb.columns {
		t.Fields = append(t.Fields, tb.name+"."+c)
		t.Names = append(t.Names, sqliteColumnName(tb.name, c))
		t.Numbers = append(t.Numbers, tb.numbers[i])
	}
	for i, c := range tb.columns {
		r.twin[i] = i
		if tb.numbers[i] {
			r.twin[i] = len(t.Fields)
			t.Fields = append(t.Fields, tb.name+"."+c)
			t.Names = append(t.Names, sqliteColumnName(tb.name, c))
			t.Numbers = append(t.Numbers, false)
		}
	}
	r.vals = make([]sql.RawBytes, len(sel))
	r.dest = make([]any, len(sel))
	for i := range r.vals {
		r.dest[i] = &r.vals[i]
	}
	r.start(r.fill)
	return ex.table(name, &r.tableRows, in, FormatSQLite, t)
}

// sqliteColumnName returns the name that says what column col of table
// holds, for detection: its own, but none for the schema's columns (its
// "name" is a table's, its SQL a schema's) and none for a bare "name"
// outside a table of people (a track's, a genre's, a product's name is
// no person's, as a customer's or a caller's is), as in an SQL dump.
func sqliteColumnName(table, col string) string {
	switch {
	case strings.EqualFold(table, "sqlite_schema"), strings.EqualFold(table, "sqlite_master"):
		return ""
	case strings.EqualFold(col, "name") && !detect.PeopleTable(table):
		return ""
	}
	return col
}

// sqliteRows renders the rows of a table, a batch at a time.
type sqliteRows struct {
	tableRows
	rows    *sql.Rows
	n       int64          // rows read
	maxRows int64          // rows the file can hold
	twin    []int          // by column: where its text goes
	vals    []sql.RawBytes // by column: its type's first letter, its value
	dest    []any
}

// fill renders rows until 64 KiB are ready, or sets err at the end.
func (r *sqliteRows) fill() {
	buf := r.back[:0]
	defer func() { r.buf, r.back = buf, buf }()
	for len(buf) < 64<<10 {
		if !r.rows.Next() {
			r.err = io.EOF
			if err := r.rows.Err(); err != nil {
				r.err = sqliteError(err)
			}
			return
		}
		if err := r.rows.Scan(r.dest...); err != nil {
			r.err = sqliteError(err)
			return
		}
		if r.n++; r.n > r.maxRows {
			r.err = fmt.Errorf("%w: more rows than the file can hold (pages that point to each other)", ErrBomb)
			return
		}
		for i := range r.twin {
			v := r.vals[i]
			if len(v) < 2 {
				continue // NULL, or empty
			}
			typ, v := v[0], v[1:]
			switch {
			case typ == 'i':
				add(&r.tableRows, i, v)
			case typ == 'b' && looksBinary(v):
			default:
				add(&r.tableRows, r.twin[i], v)
			}
		}
		buf = renderRow(buf, r.cells)
	}
}

// isSQLite reports whether head starts an SQLite 3 database.
func isSQLite(head []byte) bool { return bytes.HasPrefix(head, sqliteMagic) }
