package scanners

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// A database's findings carry table.column as field and the row's place
// in its table as line; a version column of dotted quads, an integer
// order_id (Luhn-valid or not: a number says nothing but by its name) and
// a view are no findings; a card in an integer column named for it is.
func TestScanSQLite(t *testing.T) {
	data := sqliteFile(t,
		`CREATE TABLE customers(id INTEGER PRIMARY KEY, order_id INTEGER, app_version TEXT, email TEXT, card_number INTEGER, notes TEXT)`,
		`INSERT INTO customers VALUES(1, 4111111111111111, '10.2.3.4', 'ada@example.com', 4111111111111111, NULL)`,
		`INSERT INTO customers VALUES(2, 4000000000000001, '192.168.1.1', NULL, NULL, 'SSN 536-22-8726, call +1 415 555 0134')`,
		`CREATE VIEW v AS SELECT email, notes FROM customers`,
		`CREATE TABLE audit(ts TEXT, client_ip TEXT)`,
		`INSERT INTO audit VALUES('2026-12-01T09:14:03Z', '203.0.113.9')`,
		// A bare "name" is a person's in a table of people only; the
		// schema's "name" is a table's.
		`CREATE TABLE Track(TrackId INTEGER PRIMARY KEY, Name TEXT)`,
		`INSERT INTO Track VALUES(1, 'Let''s Get It Up')`,
		`CREATE TABLE Customer(CustomerId INTEGER PRIMARY KEY, Name TEXT)`,
		`INSERT INTO Customer VALUES(1, 'Ada Lovelace')`,

		`CREATE VIEW "Current Product List" AS SELECT Name FROM Track`)
	got := fileFindings(t, "app.sqlite", data)
	want := []string{
		" 1:1+15 customers.email email",
		" 1:1+16 customers.card_number credit_card",
		" 2:5+11 customers.notes us_ssn",
		" 2:23+15 customers.notes phone_number",
		" 1:1+11 audit.client_ip ip_address",
		" 1:1+12 Customer.Name person_name",
	}
	checkFindings(t, got, want)
}

// A database named alone, with a write-ahead log beside it that holds
// rows the file has not (or a rollback journal of a change cut short),
// is read and reported: what SQLite would read is not the file alone. A
// log emptied by a checkpoint, or whose pages the file has, and a
// journal whose change ended say nothing.
func TestScanSQLiteLogBeside(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	db, err := sql.Open("sqlite", "file:"+src+"?_pragma=journal_mode(wal)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, s := range []string{
		`PRAGMA wal_autocheckpoint = 0`,
		`CREATE TABLE t(email TEXT)`,
		`INSERT INTO t VALUES('ada@example.com')`,
		`PRAGMA wal_checkpoint(TRUNCATE)`,
		`INSERT INTO t VALUES('grace@example.org')`, // in the log only
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	wal, err := os.ReadFile(src + "-wal")
	if err != nil || len(wal) <= 32 {
		t.Fatalf("no log to copy (%d bytes): %v", len(wal), err)
	}
	// Checkpointed: the file has the log's pages; the log stays, for the
	// next writer to reset.
	if _, err := db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
		t.Fatal(err)
	}
	applied, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	journal := append([]byte{0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7}, make([]byte, 504)...)
	for _, c := range []struct {
		name     string
		db       []byte
		beside   map[string][]byte
		link     bool // the database named by a link to it
		findings int
		want     string
	}{
		{name: "a log with rows", db: data, beside: map[string][]byte{"-wal": wal}, findings: 1, want: "a write-ahead log"},
		{name: "through a link", db: data, beside: map[string][]byte{"-wal": wal}, link: true, findings: 1, want: "a write-ahead log"},
		{name: "a hot journal", db: data, beside: map[string][]byte{"-journal": journal}, findings: 1, want: "a rollback journal"},
		{name: "a log checkpointed", db: applied, beside: map[string][]byte{"-wal": wal}, findings: 2},
		{name: "a log's header", db: data, beside: map[string][]byte{"-wal": wal[:32]}, findings: 1},
		{name: "an empty log, a finished journal", db: data, beside: map[string][]byte{"-wal": nil, "-journal": make([]byte, 512)}, findings: 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "app.db")
			writeFile(t, p, c.db)
			for sfx, b := range c.beside {
				writeFile(t, p+sfx, b)
			}
			if c.link {
				link := filepath.Join(t.TempDir(), "link.db")
				if err := os.Symlink(p, link); err != nil {
					t.Skip(err)
				}
				p = link
			}
			got, stats := collect(t, testOptions(t), p)
			if len(got) != c.findings {
				t.Errorf("findings %v, want %d", keys(got), c.findings)
			}
			switch {
			case c.want == "" && len(stats.Problems) != 0:
				t.Errorf("problems %+v, want none", stats.Problems)
			case c.want != "" && (len(stats.Problems) != 1 || !strings.Contains(stats.Problems[0].Error, c.want) ||
				!strings.Contains(stats.Problems[0].Error, "not read")):
				t.Errorf("problems %+v, want %q", stats.Problems, c.want)
			}
		})
	}
}

// sqliteFile returns a database the statements stmts made.
func sqliteFile(t *testing.T, stmts ...string) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "src.db")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
