package scanners

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"
)

// A database's findings carry table.column as field and the row's place
// in its table as line; a version column of dotted quads, an integer
// order_id (Luhn-valid or not: a number says nothing but by its name) and
// a view are no findings; a card in an integer column named for it is.
func TestScanSQLite(t *testing.T) {
	p := filepath.Join(t.TempDir(), "src.db")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		`CREATE TABLE customers(id INTEGER PRIMARY KEY, order_id INTEGER, app_version TEXT, email TEXT, card_number INTEGER, notes TEXT)`,
		`INSERT INTO customers VALUES(1, 4111111111111111, '10.2.3.4', 'ada@example.com', 4111111111111111, NULL)`,
		`INSERT INTO customers VALUES(2, 4000000000000001, '192.168.1.1', NULL, NULL, 'SSN 536-22-8726, call +1 415 555 0134')`,
		`CREATE VIEW v AS SELECT email, notes FROM customers`,
		`CREATE TABLE audit(ts TEXT, client_ip TEXT)`,
		`INSERT INTO audit VALUES('2026-12-01T09:14:03Z', '203.0.113.9')`,
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	got := fileFindings(t, "app.sqlite", data)
	want := []string{
		" 1:1+15 customers.email email",
		" 1:1+16 customers.card_number credit_card",
		" 2:5+11 customers.notes us_ssn",
		" 2:23+15 customers.notes phone_number",
		" 1:1+11 audit.client_ip ip_address",
	}
	checkFindings(t, got, want)
}
