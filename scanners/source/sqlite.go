package source

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
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
// stores them (rowid order); every value is read as text (integers, as
// a Parquet file's, are only read under a name that says what they hold).
// Views and virtual tables are not read: what they show is in tables
// (a full-text index's content in its shadow tables).

// sqliteMagic starts every SQLite 3 database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// ErrSQLite is the problem of a database SQLite could not read through:
// damaged pages, or a format it refuses.
var ErrSQLite = errors.New("sqlite database could not be read")

func (ex *expansion) sqlite(name string, br *bufio.Reader, size int64, ra io.ReaderAt) error {
	if ra == nil {
		f, n, err := ex.spool(name, br, "SQLite database")
		if err != nil {
			return err
		}
		defer CloseSpool(f)
		ra, size = f, n
	}
	// What SQLite reads counts against the input's budget, as what a
	// decompressor makes does.
	in := &countingReader{r: io.NewSectionReader(ra, 0, size)}
	vname, vfsys, err := vfs.New(dbFS{ra: ra, size: size})
	if err != nil {
		return &fs.PathError{Op: "sqlite", Path: name, Err: err}
	}
	defer vfsys.Close()
	db, err := sql.Open("sqlite", "file:db?mode=ro&immutable=1&vfs="+vname)
	if err != nil {
		return &fs.PathError{Op: "sqlite", Path: name, Err: err}
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tables, err := sqliteTables(ex.ctx, db)
	if err != nil {
		return &fs.PathError{Op: "sqlite", Path: name, Err: sqliteError(err)}
	}
	for i, tb := range tables {
		if err := ex.ctx.Err(); err != nil {
			return err
		}
		err := ex.sqliteTable(name, db, tb, in)
		if err != nil && !fatal(err) {
			// The table by its number: a name is the schema's, and may
			// be anything.
			err = &fs.PathError{Op: "sqlite", Path: name, Err: fmt.Errorf("table %d of %d: %w", i+1, len(tables), sqliteError(err))}
		}
		if err := ex.memberError(name, err); err != nil {
			return err
		}
	}
	return nil
}

// sqliteError marks an error of SQLite's as ErrSQLite, keeping its code
// and words: SQLite's messages name no value of the database.
func sqliteError(err error) error {
	if fatal(err) || errors.Is(err, ErrBomb) || errors.Is(err, ErrCorrupt) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrSQLite, err)
}

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

// sqliteTables lists the tables of db that hold rows: not views, not
// virtual tables, not SQLite's own (sqlite_sequence, sqlite_stat1).
func sqliteTables(ctx context.Context, db *sql.DB) ([]sqliteTable, error) {
	rows, err := db.QueryContext(ctx, `SELECT name, coalesce(sql, '') FROM sqlite_schema
		WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY rowid`)
	if err != nil {
		return nil, err
	}
	var tables []sqliteTable
	for rows.Next() {
		var t sqliteTable
		var ddl string
		if err := rows.Scan(&t.name, &ddl); err != nil {
			rows.Close()
			return nil, err
		}
		if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(ddl)), "CREATE VIRTUAL") {
			continue
		}
		tables = append(tables, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	for i := range tables {
		t := &tables[i]
		cols, err := db.QueryContext(ctx, `SELECT name, type FROM pragma_table_info(?)`, t.name)
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

// sqliteTable hands the rows of table tb to the scanner.
func (ex *expansion) sqliteTable(name string, db *sql.DB, tb sqliteTable, in *countingReader) error {
	if len(tb.columns) == 0 {
		return nil
	}
	sel := make([]string, len(tb.columns))
	for i, c := range tb.columns {
		// As text: a date is read as it is stored, not as the driver
		// would parse it.
		sel[i] = "CAST(" + sqliteIdent(c) + " AS TEXT)"
	}
	rows, err := db.QueryContext(ex.ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+sqliteIdent(tb.name))
	if err != nil {
		return err
	}
	defer rows.Close()
	r := &sqliteRows{rows: rows, in: in}
	r.table.Fields = make([]string, len(tb.columns))
	for i, c := range tb.columns {
		r.table.Fields[i] = tb.name + "." + c
	}
	r.table.Names = tb.columns
	r.table.Numbers = tb.numbers
	r.vals = make([]sql.RawBytes, len(tb.columns))
	r.dest = make([]any, len(tb.columns))
	for i := range r.vals {
		r.dest[i] = &r.vals[i]
	}
	r.start(r.fill)
	return ex.table(name, &r.tableRows, in, FormatSQLite, &r.table)
}

// sqliteRows renders the rows of a table, a batch at a time.
type sqliteRows struct {
	tableRows
	rows *sql.Rows
	in   *countingReader
	vals []sql.RawBytes
	dest []any
}

// fill renders rows until 64 KiB are ready, or sets err at the end.
func (r *sqliteRows) fill() {
	buf := r.back[:0]
	defer func() { r.buf, r.back = buf, buf }()
	for len(buf) < 64<<10 {
		if !r.rows.Next() {
			r.err = r.rows.Err()
			if r.err == nil {
				r.err = io.EOF
			}
			return
		}
		if err := r.rows.Scan(r.dest...); err != nil {
			r.err = err
			return
		}
		for i, v := range r.vals {
			if len(v) > 0 && (r.table.IsNumber(i) || !looksBinary(v)) {
				add(&r.tableRows, i, v)
			}
		}
		buf = renderRow(buf, r.cells)
		// The pages SQLite read are not seen by the counting reader:
		// count the row's bytes as read, for the ratio.
		for _, v := range r.vals {
			r.in.n += int64(len(v))
		}
	}
}

// isSQLite reports whether head starts an SQLite 3 database.
func isSQLite(head []byte) bool { return bytes.HasPrefix(head, sqliteMagic) }
