package source

import (
	"bufio"
	"bytes"
	"database/sql"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
// read; a full-text index's content is, in its shadow tables.
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
			{"app.db", "id\temail\tborn\tnote\tavatar\tvisits\n1\tada@example.com\t1986-12-09\tline one two tabbed\t\t4111111111111111\n2\t\t\tcall +1 415 555 0134\t\t3\n"},
			{"app.db", "e-mail\ngrace@example.org\n"},
			// The full-text index's shadow tables: its data (binary
			// blocks left out), its content, its sizes, its config.
			{"app.db", "id\tblock\n1\t\n10\t\n137438953473\t\n"},
			{"app.db", "segid\tterm\tpgno\n1\t\t2\n"},
			{"app.db", "id\tc0\n1\tlin@example.net\n"},
			{"app.db", "id\tsz\n1\t\n"},
			{"app.db", "k\tv\nversion\t4\n"},
		})
		if len(tables) > 1 {
			if got := strings.Join(tables[0].Fields, ","); got != "users.id,users.email,users.born,users.note,users.avatar,users.visits" {
				t.Errorf("fields %s", got)
			}
			if got := tables[1].Fields[0]; got != `odd "name".e-mail` {
				t.Errorf("field %s", got)
			}
			if n := tables[0].Numbers; !n[0] || n[1] || !n[5] {
				t.Errorf("numbers %v: want id and visits (INTEGER, INT)", n)
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
	_, err = expandBytes(t, "cut.db", data[:page+100], Limits{})
	rec, _ = expandBytes(t, "cut.db", data[:page+100], Limits{})
	if err == nil && len(rec.members) == 0 {
		t.Error("a database cut short read as clean")
	} else if err != nil && !errors.Is(err, ErrSQLite) || len(rec.members) > 0 && !errors.Is(rec.members[0].err, ErrSQLite) {
		t.Errorf("cut: %v %v, want ErrSQLite", err, rec.members)
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
