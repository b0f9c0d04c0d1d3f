package detect

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// dumpFound scans a whole dump as one block, with the context a tracker
// gives the block at its start.
func dumpFound(e *Engine, dump string) []string {
	tr := NewSQLTracker([]byte(dump))
	cols := tr.Columns(false)
	tr.Feed([]byte(dump))
	return found(e, dump, cols)
}

const mysqlPatients = "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n" +
	"/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n" +
	"DROP TABLE IF EXISTS `patients`;\n" +
	"CREATE TABLE `patients` (\n" +
	"  `id` int NOT NULL AUTO_INCREMENT,\n" +
	"  `first_name` varchar(64) DEFAULT NULL,\n" +
	"  `diagnosis` varchar(255) DEFAULT NULL,\n" +
	"  `ssn` char(9) DEFAULT NULL,\n" +
	"  `notes` text,\n" +
	"  `status` enum('healthy','ill') DEFAULT 'healthy',\n" +
	"  PRIMARY KEY (`id`),\n" +
	"  KEY `idx_name` (`first_name`)\n" +
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n" +
	"\n--\n-- Dumping data for table `patients`\n--\n\n" +
	"LOCK TABLES `patients` WRITE;\n"

const pgHead = "--\n-- PostgreSQL database dump\n--\n\nSET standard_conforming_strings = on;\n\n"

const pgPatients = "CREATE TABLE public.patients (\n" +
	"    id integer NOT NULL,\n" +
	"    first_name text,\n" +
	"    diagnosis text,\n" +
	"    ssn character(9),\n" +
	"    notes text,\n" +
	"    status text\n" +
	");\n\n"

func TestSQLDumpColumns(t *testing.T) {
	e := allBuiltins(t)
	tests := []struct {
		name string
		dump string
		want []string // rule=exact span; nil means nothing may be found
	}{
		{"mysqldump extended insert", mysqlPatients +
			"INSERT INTO `patients` VALUES (1,'Maria','high blood pressure','536228741','follow-up','healthy'),(2,'Tomasz','seasonal allergies',NULL,NULL,'ill');\n",
			[]string{"person_name_field=Maria", "health_field=high blood pressure", "us_ssn=536228741",
				"person_name_field=Tomasz", "health_condition=seasonal allergies"}},
		{"mysqldump complete insert, columns in another order", mysqlPatients +
			"INSERT INTO `patients` (`id`, `ssn`, `diagnosis`) VALUES (1,'536228741','high blood pressure'),(2,'412667309','gout');\n",
			[]string{"us_ssn=536228741", "health_field=high blood pressure", "us_ssn=412667309", "health_field=gout"}},
		{"mysqldump escapes", mysqlPatients +
			"INSERT INTO `patients` VALUES (1,'O\\'Brien','x','536228741','C:\\\\dir\\\\),(\\'',NULL),(2,'Ann','chronic back pain',NULL,'said \\\"no\\\"\\n','ill');\n",
			[]string{"person_name_field=O\\'Brien", "health_field=x", "us_ssn=536228741",
				"person_name_field=Ann", "health_field=chronic back pain"}},
		{"mysqldump replace and insert ignore", mysqlPatients +
			"REPLACE INTO `patients` VALUES (1,'Maria','asthma',NULL,NULL,'ill');\n" +
			"INSERT IGNORE INTO `patients` VALUES (2,'Ann','lupus',NULL,NULL,'ill');\n",
			[]string{"person_name_field=Maria", "health_condition=asthma", "person_name_field=Ann", "health_condition=lupus"}},
		{"pg_dump COPY", pgHead + pgPatients +
			"COPY public.patients (id, first_name, diagnosis, ssn, notes, status) FROM stdin;\n" +
			"1\tMaria\thigh blood pressure\t536228741\tcalled\\ttwice\thealthy\n" +
			"2\tTomasz\t\\N\t\\N\t\\N\till\n" +
			"\\.\n",
			[]string{"person_name_field=Maria", "health_field=high blood pressure", "us_ssn=536228741", "person_name_field=Tomasz"}},
		{"pg_dump COPY ends", pgHead + pgPatients +
			"COPY public.patients (id, first_name, diagnosis, ssn, notes, status) FROM stdin;\n" +
			"1\tMaria\thigh blood pressure\t536228741\tx\thealthy\n" +
			"\\.\n\n" +
			"COPY public.audit (id, tag) FROM stdin;\n" +
			"1\tMaria Lopez\n" +
			"\\.\n" +
			"2\tSam Hill\t412667309\n",
			[]string{"person_name_field=Maria", "health_field=high blood pressure", "us_ssn=536228741"}},
		{"pg_dump --inserts, many rows per statement", pgHead + pgPatients +
			"INSERT INTO public.patients VALUES\n" +
			"\t(1, 'Maria', 'high blood pressure', '536228741', 'C:\\', 'healthy'),\n" +
			"\t(2, 'Tomasz', 'migraine without aura', NULL, 'it''s ok', 'ill');\n",
			[]string{"person_name_field=Maria", "health_field=high blood pressure", "us_ssn=536228741",
				"person_name_field=Tomasz", "health_condition=migraine without aura"}},
		{"pg_dump --column-inserts", pgHead + pgPatients +
			"INSERT INTO public.patients (id, first_name, diagnosis) VALUES (1, 'Maria', 'sumatriptan daily');\n",
			[]string{"person_name_field=Maria", "health_medication=sumatriptan daily"}},
		{"pg string over lines", pgHead + pgPatients +
			"INSERT INTO public.patients VALUES (1, 'Maria', 'high blood pressure', NULL, 'line one\nline two', 'ill');\n" +
			"INSERT INTO public.patients VALUES (2, 'Ann', 'gout', NULL, NULL, 'ill');\n",
			[]string{"person_name_field=Maria", "health_field=high blood pressure", "person_name_field=Ann", "health_field=gout"}},
		{"sqlite3 .dump", "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n" +
			"CREATE TABLE patients(id INTEGER PRIMARY KEY, name TEXT, dob TEXT, diagnosis TEXT, phone TEXT);\n" +
			"INSERT INTO patients VALUES(1,'Maria Delgado','1984-03-12','asthma','2025550143');\n" +
			"CREATE TABLE IF NOT EXISTS \"users\"(\"id\" INTEGER, \"password\" TEXT);\n" +
			"INSERT INTO users VALUES(1,'Spr1ngfield!2024');\nCOMMIT;\n",
			[]string{"person_name_field=Maria Delgado", "date_of_birth_field=1984-03-12", "health_condition=asthma",
				"phone_number=2025550143", "credential_field=Spr1ngfield!2024"}},
		{"quoted identifiers, schema", pgHead +
			"CREATE TABLE \"Clinic\".\"Visits\" (\n    \"Id\" integer,\n    \"Medication\" text,\n    \"key\" text\n);\n" +
			"INSERT INTO \"Clinic\".\"Visits\" VALUES (1, 'sumatriptan', 'k1');\n",
			[]string{"health_medication=sumatriptan"}},

		// Hard negatives.
		{"version column of dotted quads", mysqlPatients +
			"CREATE TABLE `software` (\n  `id` int,\n  `version` varchar(32),\n  `os_version` varchar(32)\n);\n" +
			"INSERT INTO `software` VALUES (1,'6.1.1.0','10.0.17.1'),(2,'2.4.1.12','5.7.44.1');\n", nil},
		{"phone and fax columns of dotted numbers", mysqlPatients +
			"CREATE TABLE `suppliers` (\n  `id` int,\n  `Phone` varchar(24),\n  `Fax` varchar(24)\n);\n" +
			"INSERT INTO `suppliers` VALUES (1,'88.60.15.31','88.60.15.32');\n", nil},
		{"phone column with an address among text", mysqlPatients +
			"CREATE TABLE `lines` (\n  `id` int,\n  `phone` varchar(64)\n);\n" +
			"INSERT INTO `lines` VALUES (1,'sip:1001@81.2.69.170');\n", []string{"ipv4=81.2.69.170"}},
		{"order ids failing Luhn, status healthy", mysqlPatients +
			"CREATE TABLE `orders` (\n  `order_id` bigint,\n  `status` varchar(16)\n);\n" +
			"INSERT INTO `orders` VALUES (4111111111111112,'healthy'),(5500000000000005,'healthy');\n", nil},
		{"diagnosis_code_version", pgHead +
			"CREATE TABLE public.codes (\n    id integer,\n    diagnosis_code_version text\n);\n" +
			"COPY public.codes (id, diagnosis_code_version) FROM stdin;\n1\tICD-10-CM 2024\n\\.\n", nil},
		{"ssn_audit count", mysqlPatients +
			"CREATE TABLE `ssn_audit` (\n  `id` int,\n  `count` int\n);\n" +
			"INSERT INTO `ssn_audit` VALUES (1,412667309),(2,536228741);\n", nil},
		{"name column of products", mysqlPatients +
			"CREATE TABLE `products` (\n  `id` int,\n  `name` varchar(64)\n);\n" +
			"INSERT INTO `products` VALUES (1,'Acme Super Widget'),(2,'Blue Harbor Lamp');\n", nil},
		{"name column of customers", pgHead +
			"CREATE TABLE shop.customers (\n    id integer,\n    name text\n);\n" +
			"COPY shop.customers (id, name) FROM stdin;\n1\tMaria Delgado\n2\tacme-bot\n\\.\n",
			[]string{"person_name_field=Maria Delgado"}},
		{"comments name tables", mysqlPatients + "--\n-- Dumping data for table `patients`\n--\n", nil},
		{"no CREATE TABLE for the table", pgHead +
			"INSERT INTO public.other VALUES (1, 'Maria', 'high blood pressure');\n", nil},
		{"row with too few values", mysqlPatients +
			"INSERT INTO `patients` VALUES (1,'Maria','high blood pressure');\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := dumpFound(e, tt.dump)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			// Cut in two blocks at any line (inside a CREATE TABLE,
			// a COPY block, an INSERT over many lines), the dump
			// gives the same.
			for k := range len(tt.dump) {
				if k == 0 || tt.dump[k-1] != '\n' {
					continue
				}
				tr := NewSQLTracker([]byte(tt.dump))
				first := tr.Columns(false)
				tr.Feed([]byte(tt.dump[:k]))
				got := append(found(e, tt.dump[:k], first), found(e, tt.dump[k:], tr.Columns(false))...)
				if !slices.Equal(got, tt.want) {
					t.Fatalf("cut at %d (%q): got  %q\nwant %q", k, tt.dump[k:min(len(tt.dump), k+20)], got, tt.want)
				}
			}
		})
	}
}

// A block that starts inside a long INSERT line (the reader cuts a line
// longer than a block) finds the rows after its start, and only whole ones
// of the right table.
func TestSQLDumpBlockInsideRow(t *testing.T) {
	e := allBuiltins(t)
	var sb strings.Builder
	sb.WriteString(mysqlPatients)
	sb.WriteString("INSERT INTO `patients` VALUES ")
	for i := range 40 {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString("(1,'Maria','high blood pressure','536228741','x),(\\'y','ill')")
	}
	sb.WriteString(";\nUNLOCK TABLES;\n")
	dump := sb.String()
	line := strings.Index(dump, "INSERT INTO")
	for cut := line + 40; cut < len(dump)-40; cut += 7 {
		tr := NewSQLTracker([]byte(dump))
		tr.Feed([]byte(dump[:cut]))
		block := dump[cut:]
		got := found(e, block, tr.Columns(true))
		// Every row that starts after the cut is found whole.
		rows := strings.Count(block, "),(1,")
		if strings.HasPrefix(block, "(1,") {
			rows++
		}
		var want []string
		for range rows {
			want = append(want, "person_name_field=Maria", "health_field=high blood pressure", "us_ssn=536228741")
		}
		if !slices.Equal(got, want) {
			t.Fatalf("cut at %d (%q...): got %d findings, want %d\n%q", cut, block[:20], len(got), len(want), got)
		}
	}
}

// The tracker follows a dump fed in pieces of any size: after each piece
// the context it gives is the one of the whole dump at that point.
func TestSQLTrackerPieces(t *testing.T) {
	dump := pgHead + pgPatients +
		"COPY public.patients (id, first_name, diagnosis, ssn, notes, status) FROM stdin;\n" +
		"1\tMaria\thigh blood pressure\t536228741\tx\thealthy\n" +
		"\\.\n" +
		"INSERT INTO public.patients VALUES\n\t(1, 'Maria', 'gout', NULL, NULL, 'ill'),\n" +
		"\t(2, 'Ann', 'gout', NULL, NULL, 'ill');\n"
	want := func(upTo int) (sqlMode, bool) {
		tr := NewSQLTracker([]byte(dump))
		tr.Feed([]byte(dump[:upTo]))
		c := tr.Columns(false).sql
		return c.mode, c.cur != nil && c.cur.any
	}
	for size := 1; size < 40; size++ {
		tr := NewSQLTracker([]byte(dump))
		for p := 0; p < len(dump); p += size {
			end := min(len(dump), p+size)
			tr.Feed([]byte(dump[p:end]))
			if end == len(dump) || dump[end-1] != '\n' {
				continue
			}
			c := tr.Columns(false).sql
			m, any := want(end)
			if c.mode != m || (c.cur != nil && c.cur.any) != any {
				t.Fatalf("pieces of %d, after %d: mode %d, want %d", size, end, c.mode, m)
			}
		}
		if len(tr.tables) != 2 { // public.patients, patients
			t.Fatalf("pieces of %d: tables %v", size, tr.tables)
		}
	}
}

// benchDump returns about size bytes of mysqldump's patients rows in
// extended INSERT lines of about 1 MB, or of pg_dump's COPY rows.
func benchDump(pg bool, size int) []byte {
	var b strings.Builder
	if pg {
		b.WriteString(pgHead + pgPatients + "COPY public.patients (id, first_name, diagnosis, ssn, notes, status) FROM stdin;\n")
	} else {
		b.WriteString(mysqlPatients)
	}
	for i := 0; b.Len() < size; {
		if pg {
			fmt.Fprintf(&b, "%d\tMaria\tgout\t%03d%02d%04d\tcalled twice\tok\n", i, 100+i%500, 10+i%90, 1000+i%9000)
			i++
			continue
		}
		b.WriteString("INSERT INTO `patients` VALUES ")
		for start := b.Len(); b.Len()-start < 1<<20 && b.Len() < size; i++ {
			if b.Len() > start {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d,'Maria','gout','%03d%02d%04d','called twice','ok')", i, 100+i%500, 10+i%90, 1000+i%9000)
		}
		b.WriteString(";\n")
	}
	if pg {
		b.WriteString("\\.\n")
	}
	return []byte(b.String())
}

// BenchmarkSQLBlock scans a 512 KiB block of patient rows (every row has
// three findings by its columns) with the dump's context and without it
// (the same bytes as a plain log).
//
//	go test -run '^$' -bench SQLBlock ./scanners/detect/
func BenchmarkSQLBlock(b *testing.B) {
	e := allBuiltins(b)
	for _, pg := range []bool{false, true} {
		name := "mysql"
		if pg {
			name = "pgcopy"
		}
		data := benchDump(pg, 512<<10)
		tr := NewSQLTracker(data)
		ctx := tr.Columns(false)
		tr.Feed(data)
		for _, with := range []bool{true, false} {
			cols, sub := ctx, "/dump"
			if !with {
				cols, sub = nil, "/plain"
			}
			b.Run(name+sub, func(b *testing.B) {
				sc := e.NewMatcher()
				b.SetBytes(int64(len(data)))
				n := 0
				for b.Loop() {
					n = len(sc.Scan(data, cols))
				}
				b.ReportMetric(float64(n), "matches")
			})
		}
	}
}

// BenchmarkSQLTracker feeds 64 MB of a dump to a tracker in blocks of
// 512 KiB, as the reader does: it is the part of the work done in order.
//
//	go test -run '^$' -bench SQLTracker ./scanners/detect/
func BenchmarkSQLTracker(b *testing.B) {
	for _, pg := range []bool{false, true} {
		name := "mysql"
		if pg {
			name = "pgcopy"
		}
		data := benchDump(pg, 64<<20)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				tr := NewSQLTracker(data)
				for p := 0; p < len(data); p += 512 << 10 {
					tr.Columns(p > 0 && data[p-1] != '\n')
					tr.Feed(data[p:min(len(data), p+512<<10)])
				}
			}
		})
	}
}

// FuzzSQLDump checks that any input, scanned as a block of an SQL dump
// that starts at a line or inside one, with any split of what the tracker
// was fed before, gives matches sorted and in bounds, and does not panic.
func FuzzSQLDump(f *testing.F) {
	f.Add([]byte(mysqlPatients+"INSERT INTO `patients` VALUES (1,'Maria','asthma','536228741','x),(\\'','ill'),(2,'A','b',NULL,NULL,'c');\n"), 40)
	f.Add([]byte(pgHead+pgPatients+"COPY public.patients (id, first_name, diagnosis, ssn, notes, status) FROM stdin;\n1\tMaria\tgout\t536228741\tx\ty\n\\.\n"), 100)
	f.Add([]byte(pgHead+pgPatients+"INSERT INTO public.patients VALUES\n\t(1, 'Maria', 'gout', NULL, 'it''s', 'ill'),\n\t(2, 'A', 'b', NULL, NULL, 'c');\n"), 7)
	f.Add([]byte("CREATE TABLE t (ssn text, diagnosis text);\nINSERT INTO t VALUES ('536228741', E'a\\'b'),((((;\n"), 3)
	e := allBuiltins(f)
	sc := e.NewMatcher()
	f.Fuzz(func(t *testing.T, data []byte, cut int) {
		if cut < 0 || cut > len(data) {
			cut = len(data) / 2
		}
		tr := NewSQLTracker(data)
		tr.Feed(data[:cut])
		block := data[cut:]
		for _, mid := range []bool{false, true} {
			ms := sc.Scan(block, tr.Columns(mid))
			for i, m := range ms {
				if m.Start < 0 || m.End > len(block) || m.Start >= m.End {
					t.Fatalf("match %d out of bounds: %+v (len %d)", i, m, len(block))
				}
				if i > 0 && ms[i-1].Start > m.Start {
					t.Fatalf("matches not sorted: %+v", ms)
				}
			}
		}
		tr.Feed(block)
	})
}

const mysqlCustomers = "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n" +
	"CREATE TABLE `customers` (\n" +
	"  `id` int NOT NULL,\n" +
	"  `card_number` varchar(19) DEFAULT NULL,\n" +
	"  `ref` varchar(19) DEFAULT NULL,\n" +
	"  `mobile` varchar(20) DEFAULT NULL,\n" +
	"  `country` char(2) DEFAULT NULL,\n" +
	"  PRIMARY KEY (`id`)\n" +
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n"

const pgContacts = "CREATE TABLE public.contacts (\n" +
	"    id integer NOT NULL,\n" +
	"    country text,\n" +
	"    mobile text\n" +
	");\n\n"

// A card column makes a card of any valid brand, UATP's 15 digits starting
// with 1 included; a mobile column is read in the region of its row's
// country column, before or after it (issue 12).
func TestSQLDumpCardAndCountryColumns(t *testing.T) {
	e := allBuiltins(t)
	tests := []struct {
		name string
		dump string
		want []string
	}{
		{"uatp in card_number", mysqlCustomers +
			"INSERT INTO `customers` VALUES (1,'135410014004955','135410014004955',NULL,NULL),(2,'4111111111111111',NULL,NULL,NULL);\n",
			[]string{"credit_card=135410014004955", "credit_card=4111111111111111"}},
		{"uatp elsewhere", mysqlCustomers +
			"INSERT INTO `customers` VALUES (1,NULL,'135410014004955',NULL,NULL);\n", nil},
		{"card column, not luhn", mysqlCustomers +
			"INSERT INTO `customers` VALUES (1,'135410014004956',NULL,NULL,NULL);\n", nil},
		{"mobile and country", mysqlCustomers +
			"INSERT INTO `customers` VALUES (1,NULL,NULL,'090-1234-5678','JP'),(2,NULL,NULL,'13812345678','CN'),(3,NULL,NULL,'09012345678','Japan');\n",
			[]string{"phone_number=090-1234-5678", "phone_number=13812345678", "phone_number=09012345678"}},
		{"mobile of another country", mysqlCustomers +
			"INSERT INTO `customers` VALUES (1,NULL,NULL,'090-1234-5678','US'),(2,NULL,NULL,'13812345678',NULL);\n", nil},
		{"pg_dump copy, country first", pgHead + pgContacts +
			"COPY public.contacts (id, country, mobile) FROM stdin;\n1\tJP\t090-1234-5678\n2\tIL\t09-7625400\n3\t\\N\t090-1234-5678\n\\.\n",
			[]string{"phone_number=090-1234-5678", "phone_number=09-7625400"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dumpFound(e, tt.dump); !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// The names of dumps' columns, CSV headers and JSON keys come from one
// table: birth, addr1, social, dx_code and the like give their values
// their kinds wherever they stand; ssn_last4 holds four digits, no SSN.
func TestColumnNamesEverywhere(t *testing.T) {
	e := allBuiltins(t)
	names := []string{"birth", "birth_date", "addr1", "addr_line1", "social", "ssn_last4", "dx_code", "dx", "icd", "diag_code"}
	values := []string{"1980-02-29", "1980-02-28", "1 Main St", "12 High Street", "536-22-8741", "8741", "E11.9", "J45.909", "I10", "K21.9"}
	want := []string{"date_of_birth_field=1980-02-29", "date_of_birth_field=1980-02-28", "postal_address_field=1 Main St",
		"postal_address_field=12 High Street", "us_ssn=536-22-8741", "health_field=E11.9", "health_field=J45.909",
		"health_field=I10", "health_field=K21.9"}

	var create, row, obj strings.Builder
	create.WriteString("-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\nCREATE TABLE `patients` (\n  `id` int NOT NULL")
	row.WriteString("INSERT INTO `patients` VALUES (1")
	obj.WriteString(`{"id":1`)
	for k, n := range names {
		fmt.Fprintf(&create, ",\n  `%s` varchar(64) DEFAULT NULL", n)
		fmt.Fprintf(&row, ",'%s'", values[k])
		fmt.Fprintf(&obj, `,"%s":"%s"`, n, values[k])
	}
	create.WriteString("\n) ENGINE=InnoDB;\n")
	row.WriteString(");\n")
	obj.WriteString("}\n")
	if got := dumpFound(e, create.String()+row.String()); !slices.Equal(got, want) {
		t.Errorf("dump:\n got  %q\nwant %q", got, want)
	}
	csv := "id," + strings.Join(names, ",") + "\n1," + strings.Join(values, ",") + "\n"
	cols := HeaderColumns([]byte(csv[:strings.IndexByte(csv, '\n')]), 0)
	if cols == nil {
		t.Fatalf("HeaderColumns: no column of interest in %q", csv)
	}
	cols.SkipFirstLine = true
	if got := found(e, csv, cols); !slices.Equal(got, want) {
		t.Errorf("csv:\n got  %q\nwant %q", got, want)
	}
	// In JSON the key is a clinical cue on the code's line, and the
	// ICD-10 detector reports the codes themselves.
	for k := range want {
		want[k] = strings.Replace(want[k], "health_field=", "health_icd10=", 1)
	}
	if got := found(e, obj.String(), nil); !slices.Equal(got, want) {
		t.Errorf("json:\n got  %q\nwant %q", got, want)
	}
}

// Column types as pg_dump, mysqldump and sqlite3 declare them: what they
// hold, their length and whether they may be NULL.
func TestParseSQLType(t *testing.T) {
	tests := []struct {
		def  string
		want sqlType
	}{
		{" integer NOT NULL", sqlType{name: "integer", notNull: true}},
		{" numeric(19,0)", sqlType{name: "numeric"}},
		{" character varying(255)", sqlType{name: "character varying", text: true, maxLen: 255}},
		{" character(2)", sqlType{name: "character", text: true, maxLen: 2}},
		{" char", sqlType{name: "char", text: true, maxLen: 1}},
		{" text", sqlType{name: "text", text: true}},
		{" public.citext", sqlType{name: "citext", text: true}},
		{" text[]", sqlType{name: "text"}},
		{" character varying(64)[]", sqlType{name: "character varying", maxLen: 64}},
		{` "char"`, sqlType{name: "?", own: true}},
		{" public.email_address NOT NULL", sqlType{name: "email_address", notNull: true, own: true}},
		{" public.mood", sqlType{name: "mood", own: true}},
		{" text CHECK (char_length(phone) = 12)", sqlType{name: "text"}},
		{" timestamp with time zone DEFAULT now() NOT NULL", sqlType{name: "timestamp", notNull: true}},
		{" double precision", sqlType{name: "double precision"}},
		{" varchar(64) COLLATE utf8mb4_bin DEFAULT NULL", sqlType{name: "varchar", text: true, maxLen: 64}},
		{" varchar(64) DEFAULT 'not null'", sqlType{name: "varchar", text: true, maxLen: 64}},
		{" int NOT NULL AUTO_INCREMENT", sqlType{name: "int", notNull: true}},
		{" enum('a','b') DEFAULT NULL", sqlType{name: "enum"}},
		{" longtext CHARACTER SET utf8mb4", sqlType{name: "longtext", text: true}},
		{" INTEGER PRIMARY KEY", sqlType{name: "integer", notNull: true, rowid: true}},
		{" DATE", sqlType{name: "date"}},
		{"", sqlType{}},
	}
	for _, tt := range tests {
		if got := parseSQLType([]byte(tt.def)); got != tt.want {
			t.Errorf("parseSQLType(%q) = %+v, want %+v", tt.def, got, tt.want)
		}
	}
}

// A table constraint PRIMARY KEY makes its columns NOT NULL, a CHECK
// keeps masks out of the columns it names, and an SQLite table may be
// STRICT.
func TestParseCreateTableTypes(t *testing.T) {
	_, cols, ok := parseCreateTable([]byte("CREATE TABLE `t` (\n  `a` int,\n  `b` varchar(10),\n  `c` date,\n  PRIMARY KEY (`a`,`b`)\n) ENGINE=InnoDB;"))
	if !ok {
		t.Fatal("not parsed")
	}
	if !cols.types[0].notNull || !cols.types[1].notNull || cols.types[2].notNull || cols.strict {
		t.Errorf("types %+v strict %v", cols.types, cols.strict)
	}
	_, cols, _ = parseCreateTable([]byte("CREATE TABLE public.users (\n    id integer NOT NULL,\n    phone text,\n    note text,\n    CONSTRAINT users_phone_check CHECK ((length(phone) = 12))\n);"))
	if cols == nil || cols.types[1].text || !cols.types[2].text {
		t.Errorf("a table CHECK on phone: types %+v", cols)
	}
	_, cols, _ = parseCreateTable([]byte("CREATE TABLE cards (id INTEGER PRIMARY KEY, card_number INTEGER, holder TEXT) STRICT;"))
	if cols == nil || !cols.strict || len(cols.names) != 3 || cols.names[1] != "card_number" {
		t.Errorf("cols %+v", cols)
	}
}

// A table's name says whether its rows are people's, whose "name" is a
// person's.
func TestPeopleTable(t *testing.T) {
	for name, want := range map[string]bool{
		"Customer": true, "auth_user": true, "tblEmployees": true, "group_members": true,
		"Track": false, "Genre": false, "MediaType": false, "products": false, "t": false, "": false,
	} {
		if got := PeopleTable(name); got != want {
			t.Errorf("PeopleTable(%q) = %v, want %v", name, got, want)
		}
	}
}
