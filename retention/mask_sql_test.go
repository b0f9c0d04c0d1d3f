package retention

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/scanners/detect"
)

// dataLines returns the lines of an SQL dump that hold rows: COPY data
// and INSERT statements.
func dataLines(dump string) []string {
	var out []string
	copying := false
	for _, l := range strings.Split(dump, "\n") {
		switch {
		case copying && l == `\.`:
			copying = false
		case copying, strings.HasPrefix(l, "INSERT "):
			out = append(out, l)
		case strings.HasPrefix(l, "COPY "):
			copying = true
		}
	}
	return out
}

// readDump reads a dump of testdata/sqldump: real output of pg_dump 15
// (plain COPY, --inserts, --column-inserts, --data-only) and sqlite3's
// .dump, and a dump as mysqldump 8.0 writes it, all of made-up people.
func readDump(t *testing.T, name string) (string, string) {
	t.Helper()
	path := filepath.Join("testdata", "sqldump", name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), path
}

// A rewritten SQL dump still restores: a value in a column whose type
// cannot hold a mask (date, numeric, inet, a varchar too short for it) is
// replaced by NULL (\N in COPY data); text columns keep their masks; an
// SQLite table that is not STRICT takes a mask in any column, as a
// string; a STRICT one does not. (pg_dump's output so rewritten was
// restored by psql 15, sqlite3's by sqlite3, all rows.)
func TestMaskKeepsSQLDumpsRestorable(t *testing.T) {
	tests := []struct {
		file string
		want []string // the data lines after
	}{
		{"pg_customers_copy.sql", []string{
			"1\t[email:…@example.org]\t\\N\t\\N\t\\N\t\\N\tcall back at [email:…@example.org]\tPL",
			"2\t[email:…@example.net]\t\\N\t\\N\t\\N\t\\N\tno notes\tSE"}},
		{"pg_customers_inserts.sql", []string{
			"INSERT INTO public.customers VALUES (1, '[email:…@example.org]', NULL, NULL, NULL, NULL, 'call back at [email:…@example.org]', 'PL');",
			"INSERT INTO public.customers VALUES (2, '[email:…@example.net]', NULL, NULL, NULL, NULL, 'no notes', 'SE');"}},
		{"pg_customers_column-inserts.sql", []string{
			"INSERT INTO public.customers (id, email, dob, phone, card_number, last_ip, note, country) VALUES (1, '[email:…@example.org]', NULL, NULL, NULL, NULL, 'call back at [email:…@example.org]', 'PL');",
			"INSERT INTO public.customers (id, email, dob, phone, card_number, last_ip, note, country) VALUES (2, '[email:…@example.net]', NULL, NULL, NULL, NULL, 'no notes', 'SE');"}},
		{"mysql_customers.sql", []string{
			"INSERT INTO `customers` VALUES (1,'[email:…@example.org]',NULL,NULL,NULL,'call back at [email:…@example.org]'),(2,'[email:…@example.net]',NULL,NULL,NULL,'no notes');"}},
		{"sqlite_customers.sql", []string{
			"INSERT INTO customers VALUES(1,'[email:…@example.org]','[date_of_birth]','[credit_card:…5128]','[phone_number:…4567]');",
			"INSERT INTO customers VALUES(2,'[email:…@example.net]','[date_of_birth]','[credit_card:…8363]','[phone_number:…4567]');",
			"INSERT INTO cards VALUES(1,NULL,'[email:…@example.org]');",
			"INSERT INTO cards VALUES(2,NULL,'[email:…@example.net]');"}},
	}
	e := defaultEngine(t)
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in, path := readDump(t, tt.file)
			out, _ := mask(t, maskAll(e), in, path)
			got := dataLines(out)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("data after masking:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// A value to mask in a column that can hold neither the mask nor NULL
// (numeric NOT NULL, a varchar(n) NOT NULL too short), or whose type the
// dump does not declare (a data-only dump), fails the rewrite with
// ErrSQLColumn naming the line, the column and its type, never the
// value: redact and erase keep the file as it is.
func TestMaskLeavesSQLDumpsItCannotRewrite(t *testing.T) {
	short := "CREATE TABLE public.users (\n    id integer NOT NULL,\n    email character varying(12) NOT NULL\n);\n" +
		"COPY public.users (id, email) FROM stdin;\n1\tb@example.de\n\\.\n"
	tests := []struct {
		file, text string
		want       string
	}{
		{"pg_payments_copy.sql", "", "line 43: column public.payments.card_number (numeric) cannot hold a mask and may not be NULL"},
		{"pg_payments_inserts.sql", "", "line 42: column public.payments.card_number (numeric) cannot hold a mask and may not be NULL"},
		{"pg_customers_data-only.sql", "", "line 26: column public.customers.email (type not declared: no CREATE TABLE before its data) cannot hold a mask safely"},
		{"short.sql", short, "line 6: column public.users.email (character varying(12)) cannot hold a mask (too short) and may not be NULL"},
		{"domain.sql", "CREATE TABLE public.users (\n    id integer NOT NULL,\n    email public.email_address\n);\n" +
			"COPY public.users (id, email) FROM stdin;\n1\tb@example.de\n\\.\n",
			"line 6: column public.users.email (email_address, a type the dump defines, which may refuse NULL) cannot hold a mask"},
		// Values in statements: a mask would change or break the schema.
		{"check_list.sql", "CREATE TABLE public.c (\n    id integer,\n    diagnosis text,\n" +
			"    CONSTRAINT c_dx CHECK ((diagnosis = ANY (ARRAY['asthma'::text, 'HIV infection'::text])))\n);\n",
			"line 4: a value outside the rows of a table (in a statement: a CHECK or ENUM list, a view, an index, or data piiscan does not read as rows) cannot hold a mask safely"},
		{"copy_csv.sql", "CREATE TABLE public.p (\n    id integer,\n    card numeric(19,0)\n);\n" +
			"COPY public.p (id, card) FROM stdin WITH (FORMAT csv);\n1,4532019384765128\n\\.\n",
			"line 6: a value outside the rows of a table"},
		// A CHECK that tests for NULL refuses NULL as well as a mask.
		{"check_not_null.sql", "CREATE TABLE public.c (\n    id integer,\n    phone text CHECK ((phone IS NOT NULL))\n);\n" +
			"COPY public.c (id, phone) FROM stdin;\n1\tb@example.de\n\\.\n",
			"line 6: column public.c.phone (text) cannot hold a mask and may not be NULL"},
		{"check_num_nonnulls.sql", "CREATE TABLE public.c (\n    id integer,\n    email text,\n    phone text,\n" +
			"    CONSTRAINT contact CHECK ((num_nonnulls(email, phone) >= 1))\n);\n" +
			"COPY public.c (id, email, phone) FROM stdin;\n1\tb@example.de\t\\N\n\\.\n",
			"line 8: column public.c.email (text, named in a CHECK, which may refuse a mask and NULL alike) cannot hold a mask"},
	}
	e := defaultEngine(t)
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in, path := tt.text, tt.file
			if in == "" {
				in, path = readDump(t, tt.file)
			}
			var out bytes.Buffer
			_, err := maskAll(e).Mask(strings.NewReader(in), &out, path)
			if !errors.Is(err, ErrSQLColumn) {
				t.Fatalf("Mask: %v, want ErrSQLColumn; wrote:\n%s", err, dataLines(out.String()))
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "the file is left unchanged") {
				t.Errorf("error %q, want it to say %q and that the file is left unchanged", err, tt.want)
			}
			for _, v := range []string{"4532019384765128", "marta.kowalczyk", "b@example.de"} {
				if strings.Contains(err.Error(), v) {
					t.Errorf("the error shows a value: %v", err)
				}
			}
		})
	}
}

// --drop-records never drops a row of an SQL dump: another table may
// reference it (pg_dump adds foreign keys after the data, and they would
// fail on restore), so the subject's values are masked as redact masks
// them: NULL in a nullable typed column, a quoted mask in a column of an
// SQLite table that takes any value, and a dump left unchanged where the
// column takes neither (NOT NULL numeric).
func TestDropRecordsKeepsSQLRows(t *testing.T) {
	e := defaultEngine(t)
	m := &Masker{Engine: e, DropLines: true, Select: func(class string, raw []byte, region string) (string, bool) {
		return "[" + class + ":erased]", class == "credit_card" && string(detect.Normalize(class, raw, region)) == "4532019384765128"
	}}
	tests := []struct {
		file string
		want []string // data lines after; nil: Mask fails with ErrSQLColumn
	}{
		{"pg_customers_copy.sql", []string{
			"1\tmarta.kowalczyk@example.org\t1984-03-17\t+48601234567\t\\N\t81.2.69.142\tcall back at marta.kowalczyk@example.org\tPL",
			"2\tjonas.berg@example.net\t1979-11-02\t+46701234567\t5529130477128363\t81.2.69.160\tno notes\tSE"}},
		{"pg_payments_copy.sql", nil},
		{"pg_payments_inserts.sql", nil},
		{"pg_customers_column-inserts.sql", []string{
			"INSERT INTO public.customers (id, email, dob, phone, card_number, last_ip, note, country) VALUES (1, 'marta.kowalczyk@example.org', '1984-03-17', '+48601234567', NULL, '81.2.69.142', 'call back at marta.kowalczyk@example.org', 'PL');",
			"INSERT INTO public.customers (id, email, dob, phone, card_number, last_ip, note, country) VALUES (2, 'jonas.berg@example.net', '1979-11-02', '+46701234567', 5529130477128363, '81.2.69.160', 'no notes', 'SE');"}},
		{"sqlite_customers.sql", []string{
			"INSERT INTO customers VALUES(1,'marta.kowalczyk@example.org','1984-03-17','[credit_card:erased]','+48601234567');",
			"INSERT INTO customers VALUES(2,'jonas.berg@example.net','1979-11-02',5529130477128363,'+46701234567');",
			"INSERT INTO cards VALUES(1,NULL,'marta.kowalczyk@example.org');",
			"INSERT INTO cards VALUES(2,5529130477128363,'jonas.berg@example.net');"}},
		{"mysql_customers.sql", []string{
			"INSERT INTO `customers` VALUES (1,'marta.kowalczyk@example.org','1984-03-17','+48601234567',NULL,'call back at marta.kowalczyk@example.org'),(2,'jonas.berg@example.net','1979-11-02','+46701234567',5529130477128363,'no notes');"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in, path := readDump(t, tt.file)
			var out bytes.Buffer
			st, err := m.Mask(strings.NewReader(in), &out, path)
			if tt.want == nil {
				if !errors.Is(err, ErrSQLColumn) {
					t.Fatalf("Mask: %v, want ErrSQLColumn", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Mask: %v", err)
			}
			got := dataLines(out.String())
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("data after:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if st.Values == 0 {
				t.Error("no value counted")
			}
		})
	}
}

// A COPY block longer than a batch of the rewrite: the batches after the
// first know the columns of the COPY they start in.
func TestMaskKnowsSQLColumnsAcrossBatches(t *testing.T) {
	var b strings.Builder
	b.WriteString("--\n-- PostgreSQL database dump\n--\n\nCREATE TABLE public.patients (\n    id integer NOT NULL,\n    note text,\n    dob date,\n    email text\n);\n\n")
	b.WriteString("COPY public.patients (id, note, dob, email) FROM stdin;\n")
	n := 0
	for b.Len() < 1<<20 {
		n++
		fmt.Fprintf(&b, "%d\tno complaints, next visit in spring\t\\N\t\\N\n", n)
	}
	b.WriteString("99999\tfollow-up\t1984-03-17\tmarta.kowalczyk@example.org\n\\.\n")
	out, st := mask(t, maskAll(defaultEngine(t)), b.String(), "clinic.sql")
	want := "99999\tfollow-up\t\\N\t[email:…@example.org]\n\\.\n"
	if !strings.HasSuffix(out, want) {
		t.Errorf("the last row after masking: %q, want %q", out[strings.LastIndex(out[:len(out)-4], "\n")+1:], want)
	}
	if st.Values != 2 {
		t.Errorf("%d values masked, want 2", st.Values)
	}
}

// phpMyAdmin writes an INSERT's rows one a line: dropping one of those
// lines would break the statement, so the subject's values are masked
// there; a text column under a CHECK gets NULL, which passes it.
func TestDropRecordsKeepsSQLStatementsWhole(t *testing.T) {
	e := defaultEngine(t)
	m := &Masker{Engine: e, DropLines: true, Select: func(class string, raw []byte, region string) (string, bool) {
		return "[" + class + ":erased]", class == "email" && string(raw) == "marta.kowalczyk@example.org"
	}}
	tests := []struct {
		name, in, want string
	}{
		{"phpMyAdmin rows", "-- phpMyAdmin SQL Dump\n" +
			"CREATE TABLE `customers` (\n  `id` int(11) NOT NULL,\n  `email` varchar(255) NOT NULL\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n\n" +
			"INSERT INTO `customers` (`id`, `email`) VALUES\n(1, 'jonas.berg@example.net'),\n(2, 'marta.kowalczyk@example.org');\n",
			"-- phpMyAdmin SQL Dump\n" +
				"CREATE TABLE `customers` (\n  `id` int(11) NOT NULL,\n  `email` varchar(255) NOT NULL\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n\n" +
				"INSERT INTO `customers` (`id`, `email`) VALUES\n(1, 'jonas.berg@example.net'),\n(2, '[email:erased]');\n"},
		{"a text column under a CHECK", "CREATE TABLE public.users (\n    id integer NOT NULL,\n    email text,\n    CONSTRAINT users_email_check CHECK ((email ~ '^[^@]+@[^@]+$'))\n);\n" +
			"INSERT INTO public.users VALUES (1, 'marta.kowalczyk@example.org'), (2, 'jonas.berg@example.net');\n",
			"CREATE TABLE public.users (\n    id integer NOT NULL,\n    email text,\n    CONSTRAINT users_email_check CHECK ((email ~ '^[^@]+@[^@]+$'))\n);\n" +
				"INSERT INTO public.users VALUES (1, NULL), (2, 'jonas.berg@example.net');\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := mask(t, m, tt.in, "db.sql")
			if out != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", out, tt.want)
			}
		})
	}
}

// Masks in the text columns of an SQL dump carry their value's tag:
// UNIQUE, PRIMARY KEY and FOREIGN KEY constraints, which pg_dump adds
// after the data, hold on restore (two emails, two masks; one email twice,
// one mask). Elsewhere masks stay as they are.
func TestMaskTagsSQLTextValues(t *testing.T) {
	e := defaultEngine(t)
	m := maskAll(e)
	m.Tag = func(class string, raw []byte, region string) string {
		return fmt.Sprintf("%x", len(raw)) + string(raw[:1])
	}
	in := "CREATE TABLE public.users (\n    id integer NOT NULL,\n    email text,\n    backup_email text\n);\n" +
		"COPY public.users (id, email, backup_email) FROM stdin;\n1\tana@example.org\tana@example.org\n2\tbob.k@example.net\t\\N\n\\.\n"
	out, _ := mask(t, m, in, "users.sql")
	want := "1\t[email:…@example.org:fa]\t[email:…@example.org:fa]\n2\t[email:…@example.net:11b]\t\\N\n"
	if !strings.Contains(out, want) {
		t.Errorf("got:\n%s\nwant rows:\n%s", out, want)
	}
	if log, _ := mask(t, m, "login ana@example.org\n", "app.log"); log != "login [email:…@example.org]\n" {
		t.Errorf("a log's mask: %q", log)
	}
}

// A mask's length is counted in bytes: in a LATIN1 dump the UTF-8 of '…'
// is three characters, and "[phone_number:…0132]" would not fit a
// varchar(20).
func TestMaskCountsSQLMaskBytes(t *testing.T) {
	in := "SET client_encoding = 'LATIN1';\nCREATE TABLE public.c (\n    id integer,\n    phone character varying(20)\n);\n" +
		"COPY public.c (id, phone) FROM stdin;\n1\t+1 415 555 0132\n\\.\n"
	out, _ := mask(t, maskAll(defaultEngine(t)), in, "c.sql")
	if !strings.Contains(out, "1\t\\N\n") {
		t.Errorf("got:\n%s\nwant the phone set to NULL", out)
	}
}
