package source

import (
	"bufio"
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// sqliteDB writes a database with SQLite itself (the same driver, read
// and write), from statements.
func sqliteDB(t testing.TB, stmts ...string) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "app.db")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var sqliteSample = []string{
	`CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT, born DATE, note TEXT, avatar BLOB, visits INT)`,
	`INSERT INTO users VALUES(1, 'ada@example.com', '1986-12-09', 'line one
two	tabbed', x'89504e470d0a1a0a00000000', 4111111111111111)`,
	`INSERT INTO users VALUES(2, NULL, NULL, 'call +1 415 555 0134', NULL, 3)`,
	`CREATE TABLE "odd ""name"""("e-mail" TEXT)`,
	`INSERT INTO "odd ""name""" VALUES('grace@example.org')`,
	`CREATE VIEW emails AS SELECT email FROM users`,
	`CREATE VIRTUAL TABLE notes USING fts5(body)`,
	`INSERT INTO notes VALUES('lin@example.net')`,
}

// Each table is a table of its own: the first line names its columns,
// each further line is a row, every value as text (a date as stored;
// blobs that are binary left out). Views and virtual tables are not
// read; a full-text index's content is, in its shadow tables; the
// schema is, last.
func TestSQLiteTables(t *testing.T) {
	data := sqliteDB(t, sqliteSample...)
	var tables []Table
	rec := newRecorder()
	x := rec.expander(Limits{})
	for _, inPlace := range []bool{true, false} {
		rec.streams, tables = nil, nil
		p := filepath.Join(t.TempDir(), "app.db")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		var ra io.ReaderAt
		size := int64(-1)
		if inPlace { // else spooled, as from a stream
			ra, size = f, int64(len(data))
		}
		err = x.Expand(t.Context(), "app.db", f, ra, size, func(p string, br *bufio.Reader, tb *Table) error {
			tables = append(tables, *tb)
			return rec.fn(p, br, tb)
		})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		checkMembers(t, rec, nil)
		checkStreams(t, rec, []stream{
			// Integer columns have a twin, for text they may hold.
			{"app.db", "id\temail\tborn\tnote\tavatar\tvisits\tid\tvisits\n" +
				"1\tada@example.com\t1986-12-09\tline one two tabbed\t\t4111111111111111\t\t\n" +
				"2\t\t\tcall +1 415 555 0134\t\t3\t\t\n"},
			{"app.db", "e-mail\ngrace@example.org\n"},
			// The full-text index's shadow tables: its data (binary
			// blocks left out), its terms, its content, its sizes, its
			// config.
			{"app.db", "id\tblock\tid\n1\t\t\n10\t\t\n137438953473\t\t\n"},
			{"app.db", "segid\tterm\tpgno\n1\t\t2\n"},
			{"app.db", "id\tc0\tid\n1\tlin@example.net\t\n"},
			{"app.db", "id\tsz\tid\n1\t\t\n"},
			{"app.db", "k\tv\nversion\t4\n"},
			// The schema: its SQL holds defaults and checks. Its columns'
			// names say nothing of what they hold ("name" is a table's).
			{"app.db", "\t\t\t\t\t\n" +
				"table\tusers\tusers\t2\tCREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT, born DATE, note TEXT, avatar BLOB, visits INT)\t\n" +
				"table\todd \"name\"\todd \"name\"\t3\tCREATE TABLE \"odd \"\"name\"\"\"(\"e-mail\" TEXT)\t\n" +
				"view\temails\temails\t0\tCREATE VIEW emails AS SELECT email FROM users\t\n" +
				"table\tnotes\tnotes\t0\tCREATE VIRTUAL TABLE notes USING fts5(body)\t\n" +
				"table\tnotes_data\tnotes_data\t4\tCREATE TABLE 'notes_data'(id INTEGER PRIMARY KEY, block BLOB)\t\n" +
				"table\tnotes_idx\tnotes_idx\t5\tCREATE TABLE 'notes_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID\t\n" +
				"table\tnotes_content\tnotes_content\t6\tCREATE TABLE 'notes_content'(id INTEGER PRIMARY KEY, c0)\t\n" +
				"table\tnotes_docsize\tnotes_docsize\t7\tCREATE TABLE 'notes_docsize'(id INTEGER PRIMARY KEY, sz BLOB)\t\n" +
				"table\tnotes_config\tnotes_config\t8\tCREATE TABLE 'notes_config'(k PRIMARY KEY, v) WITHOUT ROWID\t\n"},
		})
		if len(tables) > 1 {
			if got := strings.Join(tables[0].Fields, ","); got != "users.id,users.email,users.born,users.note,users.avatar,users.visits,users.id,users.visits" {
				t.Errorf("fields %s", got)
			}
			if got := tables[1].Fields[0]; got != `odd "name".e-mail` {
				t.Errorf("field %s", got)
			}
			if n := tables[0].Numbers; !n[0] || n[1] || !n[5] || n[6] || n[7] {
				t.Errorf("numbers %v: want id and visits (INTEGER, INT), not their twins", n)
			}
		}
	}
}

// The database is never written: not the file, not a journal or -wal
// beside it (immutable, on a file system that cannot write).
func TestSQLiteReadOnly(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.db")
	data := sqliteDB(t, sqliteSample...)
	if err := os.WriteFile(p, data, 0o400); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(p)
	if _, err := expandFile(t, p, Limits{}, true); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(p)
	got, _ := os.ReadFile(p)
	if !bytes.Equal(got, data) || !after.ModTime().Equal(before.ModTime()) {
		t.Error("the database changed")
	}
	if es := dirEntries(t, dir); len(es) != 1 {
		t.Errorf("files beside the database: %q", es)
	}
}

// A damaged database is reported, not passed as clean; a cut one too.
// The tables before the damage are read.
func TestSQLiteDamage(t *testing.T) {
	data := sqliteDB(t,
		`CREATE TABLE a(email TEXT)`, `INSERT INTO a VALUES('ada@example.com')`,
		`CREATE TABLE b(email TEXT)`, `INSERT INTO b VALUES('grace@example.org')`)
	page := int(data[16])<<8 | int(data[17])
	// b's root page is the third: fill it with garbage.
	bad := bytes.Clone(data)
	for i := 2 * page; i < 3*page; i++ {
		bad[i] = 0xa5
	}
	rec, err := expandBytes(t, "bad.db", bad, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	checkMembers(t, rec, []memberErr{{"bad.db", ErrSQLite}})
	if len(rec.streams) == 0 || !strings.Contains(rec.streams[0].content, "ada@example.com") {
		t.Errorf("streams %q: want table a read", rec.paths())
	}
	for _, m := range rec.members {
		if strings.Contains(m.err.Error(), "grace") {
			t.Errorf("regression (an error quotes the database's text): %v", m.err)
		}
	}
	// Cut short: the schema is on the first page, the rows are not.
	rec, err = expandBytes(t, "cut.db", data[:page+100], Limits{})
	if err == nil && len(rec.members) == 0 {
		t.Error("a database cut short read as clean")
	} else if err != nil && !errors.Is(err, ErrCorrupt) || len(rec.members) > 0 && !errors.Is(rec.members[0].err, ErrSQLite) {
		t.Errorf("cut: %v %v, want ErrCorrupt (cut short), and ErrSQLite for what SQLite could not read", err, rec.members)
	}
}

// FuzzSQLite: no database file makes the reader panic or hang.
func FuzzSQLite(f *testing.F) {
	f.Add(sqliteDB(f, sqliteSample...))
	f.Add(sqliteDB(f, `CREATE TABLE a(x TEXT, y INT)`, `INSERT INTO a VALUES('ada@example.com', 7)`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !isSQLite(data) {
			data = append(bytes.Clone(sqliteMagic), data...)
		}
		x := &Expander{Limits: Limits{MaxBytes: 64 << 20, RatioFloor: 1 << 20}}
		x.Expand(t.Context(), "db", bytes.NewReader(data), bytes.NewReader(data), int64(len(data)), func(_ string, br *bufio.Reader, _ *Table) error {
			_, err := io.Copy(io.Discard, br)
			return err
		})
	})
}

// From a hostile reading: values SQLite holds in any column are read
// whatever the column says; what cannot be read is reported.
func TestSQLiteHostile(t *testing.T) {
	for _, c := range []struct {
		name  string
		stmts []string
		cut   int // bytes cut off the end
		want  string
		err   error
	}{
		{name: "a NUL in a text", stmts: []string{`CREATE TABLE t(note TEXT)`, `INSERT INTO t VALUES('ssn 536-22-8726' || char(0))`},
			want: "ssn 536-22-8726 "},
		{name: "text in an integer column", stmts: []string{`CREATE TABLE t(ref INTEGER)`, `INSERT INTO t VALUES('ada@example.com')`},
			want: "ada@example.com"},
		{name: "a real, as SQLite writes it", stmts: []string{`CREATE TABLE t(amount REAL, note TEXT)`, `INSERT INTO t VALUES(12.5, 'x')`},
			want: "12.5\tx"},
		{name: "text in a blob", stmts: []string{`CREATE TABLE t(payload BLOB)`, `INSERT INTO t VALUES(CAST('ada@example.com' AS BLOB))`},
			want: "ada@example.com"},
		{name: "a UTF-16 database", stmts: []string{`PRAGMA encoding = 'UTF-16le'`, `CREATE TABLE t(a TEXT)`, `INSERT INTO t VALUES('ada@example.com')`},
			want: "ada@example.com"},
		{name: "a collation of the application's", stmts: []string{`CREATE TABLE tags(tag TEXT PRIMARY KEY COLLATE nocase, note TEXT) WITHOUT ROWID`,
			`INSERT INTO tags VALUES('x', 'ada@example.com')`, `CREATE INDEX byNote ON tags(note COLLATE rtrim)`,
			`PRAGMA writable_schema = ON`, `UPDATE sqlite_schema SET sql = replace(replace(sql, 'nocase', 'unicase'), 'rtrim', '"app ""order"""')`},
			want: "x\tada@example.com"},
		{name: "a generated column", stmts: []string{`CREATE TABLE t(a TEXT, b TEXT GENERATED ALWAYS AS (a || '@example.com') STORED)`, `INSERT INTO t(a) VALUES('ada')`},
			want: "ada@example.com"},
		{name: "a value over the limit", stmts: []string{`CREATE TABLE t(a TEXT)`, `INSERT INTO t VALUES(printf('%.*c', 17000000, 'x'))`,
			`CREATE TABLE u(b TEXT)`, `INSERT INTO u VALUES('grace@example.org')`},
			want: "grace@example.org", err: ErrSQLite},
		{name: "a value over the limit after a row", stmts: []string{`CREATE TABLE t(a TEXT)`, `INSERT INTO t VALUES('ada@example.com')`,
			`INSERT INTO t VALUES(printf('%.*c', 17000000, 'x'))`},
			want: "ada@example.com", err: ErrSQLite},
		{name: "cut in its last page", stmts: []string{`CREATE TABLE t(a TEXT)`, `INSERT INTO t VALUES('ada@example.com')`},
			// The row was at the page's end: lost, and said so.
			cut: 100, want: "CREATE TABLE t", err: ErrCorrupt},
		{name: "cut in an index's pages", stmts: []string{`CREATE TABLE t(a TEXT)`, `INSERT INTO t VALUES('ada@example.com')`,
			`CREATE TABLE big(b)`, `WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM r WHERE i < 2000) INSERT INTO big SELECT printf('%08d', i) FROM r`,
			`CREATE INDEX ib ON big(b)`},
			// SQLite calls the schema malformed: the tables are read all
			// the same, and the file said to be cut short.
			cut: 4096, want: "ada@example.com", err: ErrCorrupt},
		{name: "a table that says it is virtual", stmts: []string{`CREATE TABLE t(a TEXT)`, `INSERT INTO t VALUES('ada@example.com')`,
			`PRAGMA writable_schema = ON`, `UPDATE sqlite_schema SET sql = 'CREATE VIRTUAL TABLE t USING fts5(a)' WHERE name = 't'`},
			want: "CREATE VIRTUAL TABLE t", err: ErrCorrupt},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := sqliteDB(t, c.stmts...)
			rec, err := expandBytes(t, "db", data[:len(data)-c.cut], Limits{})
			if err != nil && (c.err == nil || !errors.Is(err, c.err)) {
				t.Fatal(err)
			}
			if c.err != nil && err == nil {
				checkMembers(t, rec, []memberErr{{"db", c.err}})
			}
			var all string
			for _, s := range rec.streams {
				all += s.content
			}
			if !strings.Contains(all, c.want) {
				t.Errorf("%q not read: %q", c.want, abbrev(all))
			}
		})
	}
}

// Databases naming collations of their own are read side by side: a
// collation added while another database opens races nothing (-race),
// and one another database added while this one opened is had.
func TestSQLiteCollationsConcurrent(t *testing.T) {
	now := time.Now().UnixNano()
	var dbs [][]byte
	for i := range 8 {
		dbs = append(dbs, sqliteDB(t, `CREATE TABLE t(a TEXT COLLATE nocase)`, `INSERT INTO t VALUES('ada@example.com')`,
			`PRAGMA writable_schema = ON`, fmt.Sprintf(`UPDATE sqlite_schema SET sql = replace(sql, 'nocase', 'app%d_%d')`, i%2, now)))
	}
	var wg sync.WaitGroup
	for i, data := range dbs {
		wg.Go(func() {
			rec, err := expandBytes(t, fmt.Sprintf("db%d", i), data, Limits{})
			if err != nil {
				t.Error(err)
				return
			}
			if len(rec.streams) == 0 || !strings.Contains(rec.streams[0].content, "ada@example.com") {
				t.Errorf("db%d: %q not read", i, "ada@example.com")
			}
		})
	}
	wg.Wait()
}

// The names after COLLATE, read as SQLite reads SQL.
func TestSQLCollations(t *testing.T) {
	for _, c := range []struct{ sql, want string }{
		{`CREATE TABLE t(a TEXT COLLATE unicase, b COLLATE NOCASE)`, "unicase"},
		{`CREATE TABLE t(a COLLATE"x ""y""", b COLLATE [z w], c COLLATE ` + "`q``r`" + `, d COLLATE 's''t')`, `x "y"|z w|q` + "`r" + `|s't`},
		{"CREATE TABLE t(a COLLATE /* c */ x, b COLLATE -- c\n y, c collate ünicase)", "x|y|ünicase"},
		{`CREATE TABLE t(a TEXT DEFAULT 'COLLATE p0 COLLATE p1', b CHECK (b = "COLLATE p2"))`, ""},
		{`CREATE INDEX i ON t(a COLLATE binary, b COLLATE rtrim)`, ""},
		{`CREATE TABLE t(a COLLATE`, ""},
		{`CREATE TABLE t(a COLLATE "unterminated`, "unterminated"},
	} {
		if got := strings.Join(sqlCollations(c.sql), "|"); got != c.want {
			t.Errorf("sqlCollations(%q) = %q, want %q", c.sql, got, c.want)
		}
	}
}

// A collation that could not be stood in for is said as such in the
// table's problem, not as an error of a type.
func TestSQLiteCollationErrorSaid(t *testing.T) {
	err := sqliteError(collationError("16384 collations added already"))
	if !errors.Is(err, ErrSQLite) || !errors.Is(err, ErrSQLiteCollation) || !strings.Contains(err.Error(), "16384 collations added already") {
		t.Errorf("%v", err)
	}
}
