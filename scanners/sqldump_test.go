package scanners

import (
	"archive/tar"
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/piiscan/piiscan/finding"
)

func TestSQLDumpDetected(t *testing.T) {
	tests := []struct {
		path, head string
		want       bool
	}{
		{"backup/clinic.sql", "SET NAMES utf8mb4;\n", true},
		{"backup/clinic.SQL.gz", "", true},
		{"site.tar!db/clinic.sql", "", true},
		{"clinic.dump", "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n", true},
		{"clinic.dump", "/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB\n", true},
		{"clinic.txt", "--\n-- PostgreSQL database dump\n--\n\n", true},
		{"clinic.txt", "--\r\n-- PostgreSQL database dump\r\n--\r\n", true},
		{"all.out", "--\n-- PostgreSQL database cluster dump\n--\n", true},
		{"clinic.dump", "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE patients(id INTEGER);\n", true},
		{"notes.txt", "BEGIN TRANSACTION;\nnothing else\n", false},
		{"app.log", "2024-03-01 INSERT INTO t VALUES (1)\n", false},
		{"query.log", "-- PostgreSQL database dump is a comment here\n", false},
	}
	for _, tt := range tests {
		if got := SQLDump(tt.path, []byte(tt.head)); got != tt.want {
			t.Errorf("SQLDump(%q, %q) = %v, want %v", tt.path, tt.head, got, tt.want)
		}
	}
}

var (
	clinicFirst = []string{"Maria", "Tomasz", "Aiko", "Samuel", "Priya", "Jonas", "Lucia", "Kwame"}
	clinicLast  = []string{"Delgado", "Nowak", "Tanaka", "Okafor", "Raman", "Berg", "Ferri", "Mensah"}
	clinicDx    = []string{"high blood pressure", "Type 2 diabetes", "seasonal allergies", "chronic back pain", "migraine without aura", "gout"}
	clinicMeds  = []string{"lisinopril", "metformin", "sumatriptan", "cetirizine", "naproxen", "allopurinol"}
)

// clinicDump writes about size bytes of an SQL dump of made-up patients and
// of an event table without personal data (two bytes in three), in the
// format of mysqldump ("mysql": extended INSERT lines of up to lineMax
// bytes, strings with backslash escapes) or of pg_dump ("pgcopy": COPY
// blocks). Without header, the dump does not say what it is (the same
// bytes scanned as a plain log).
func clinicDump(format string, size, lineMax int, header bool) []byte {
	r := rand.New(rand.NewPCG(7, uint64(size)))
	var b bytes.Buffer
	ssn := func() string {
		for {
			a, g, s := 1+r.IntN(665), 1+r.IntN(99), 1+r.IntN(9999)
			if a != 666 {
				return fmt.Sprintf("%03d%02d%04d", a, g, s)
			}
		}
	}
	patient := func(id int) []string {
		f, l := clinicFirst[r.IntN(len(clinicFirst))], clinicLast[r.IntN(len(clinicLast))]
		return []string{fmt.Sprint(id), f, l, fmt.Sprintf("19%02d-%02d-%02d", 40+r.IntN(60), 1+r.IntN(12), 1+r.IntN(28)),
			ssn(), fmt.Sprintf("20255501%02d", r.IntN(100)), strings.ToLower(f+"."+l) + "@example.com",
			clinicDx[r.IntN(len(clinicDx))], clinicMeds[r.IntN(len(clinicMeds))], "follow-up in 3 months", "active"}
	}
	event := func(id int) []string {
		return []string{fmt.Sprint(id), fmt.Sprintf("ws-%03d", r.IntN(500)), fmt.Sprintf("%d.%d.%d", 1+r.IntN(9), r.IntN(20), r.IntN(300)),
			fmt.Sprintf("2024-03-%02d %02d:%02d:%02d", 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60)),
			fmt.Sprintf("job %d finished in %d ms, %d rows", r.IntN(100000), r.IntN(5000), r.IntN(1000000))}
	}
	patientCols := "id, first_name, last_name, dob, ssn, phone, email, diagnosis, medication, notes, status"
	eventCols := "id, host, build, created_at, message"
	switch format {
	case "mysql":
		if header {
			b.WriteString("-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n-- Host: localhost    Database: clinic\n")
		}
		for _, tbl := range []struct{ name, cols string }{{"patients", patientCols}, {"events", eventCols}} {
			fmt.Fprintf(&b, "\nDROP TABLE IF EXISTS `%s`;\nCREATE TABLE `%s` (\n", tbl.name, tbl.name)
			for _, c := range strings.Split(tbl.cols, ", ") {
				fmt.Fprintf(&b, "  `%s` varchar(255) DEFAULT NULL,\n", c)
			}
			b.WriteString("  PRIMARY KEY (`id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n")
		}
		id := 0
		for b.Len() < size {
			tbl, row := "events", event
			if id%3 == 0 {
				tbl, row = "patients", patient
			}
			fmt.Fprintf(&b, "INSERT INTO `%s` VALUES ", tbl)
			start := b.Len()
			for n := 0; b.Len()-start < lineMax-1024 && b.Len() < size; n++ {
				if n > 0 {
					b.WriteByte(',')
				}
				b.WriteByte('(')
				for i, v := range row(id) {
					if i > 0 {
						b.WriteByte(',')
					}
					if i == 0 {
						b.WriteString(v)
					} else {
						fmt.Fprintf(&b, "'%s'", strings.ReplaceAll(v, "'", `\'`))
					}
				}
				b.WriteByte(')')
				id++
			}
			b.WriteString(";\n")
		}
	case "pgcopy":
		if header {
			b.WriteString("--\n-- PostgreSQL database dump\n--\n\nSET standard_conforming_strings = on;\n")
		}
		for _, tbl := range []struct{ name, cols string }{{"patients", patientCols}, {"events", eventCols}} {
			fmt.Fprintf(&b, "\nCREATE TABLE public.%s (\n    %s text\n);\n", tbl.name, strings.ReplaceAll(tbl.cols, ", ", " text,\n    "))
		}
		id := 0
		for b.Len() < size {
			tbl, cols, row := "events", eventCols, event
			if id%3 == 0 {
				tbl, cols, row = "patients", patientCols, patient
			}
			fmt.Fprintf(&b, "\nCOPY public.%s (%s) FROM stdin;\n", tbl, cols)
			for n := 0; n < 2000 && b.Len() < size; n++ {
				b.WriteString(strings.Join(row(id), "\t"))
				b.WriteByte('\n')
				id++
			}
			b.WriteString("\\.\n")
		}
	}
	return b.Bytes()
}

// countClass counts the findings of a class.
func countClass(fs []finding.Finding, class string) int {
	n := 0
	for _, f := range fs {
		if f.Class == class {
			n++
		}
	}
	return n
}

// Blocks of a dump are scanned apart and in parallel; the reader tells
// each where it starts. Cut into many small blocks (a mysqldump INSERT
// line cut inside rows, COPY blocks cut between rows), a dump gives the
// same findings as in one block, and every patient row its SSN.
func TestSQLDumpAcrossBlocks(t *testing.T) {
	for _, format := range []string{"mysql", "pgcopy"} {
		t.Run(format, func(t *testing.T) {
			data := clinicDump(format, 1<<20, 600<<10, true)
			path := filepath.Join(t.TempDir(), "clinic.dump") // known by its content
			writeFile(t, path, data)
			opts := testOptions(t)
			opts.MaxFindings = -1
			opts.ChunkSize = 8 << 20
			whole, _ := collect(t, opts, path)
			opts.ChunkSize = 32 << 10
			cut, _ := collect(t, opts, path)
			rows := strings.Count(string(data), "@example.com")
			if n := countClass(whole, finding.ClassUSSSN); n != rows {
				t.Errorf("%d SSNs in one block, want one per patient, %d", n, rows)
			}
			a, b := keys(whole), keys(cut)
			slices.Sort(a)
			slices.Sort(b)
			if !slices.Equal(a, b) {
				t.Errorf("%d findings in one block, %d in blocks of 32 KiB", len(a), len(b))
				for _, k := range a {
					if _, ok := slices.BinarySearch(b, k); !ok {
						t.Errorf("lost in blocks: %s", k)
						break
					}
				}
			}
		})
	}
}

// Dumps are found inside archives: a .sql.gz by its name, a tar member by
// its content.
func TestSQLDumpInArchives(t *testing.T) {
	data := clinicDump("mysql", 64<<10, 16<<10, true)
	dir := t.TempDir()
	plain := filepath.Join(dir, "clinic.sql")
	writeFile(t, plain, data)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	gzPath := filepath.Join(dir, "clinic.sql.gz")
	writeFile(t, gzPath, gz.Bytes())
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	tw.WriteHeader(&tar.Header{Name: "db/clinic.dump", Mode: 0o644, Size: int64(len(data))})
	tw.Write(data)
	tw.Close()
	tarPath := filepath.Join(dir, "backup.tar")
	writeFile(t, tarPath, tb.Bytes())

	opts := testOptions(t)
	opts.MaxFindings = -1
	want, _ := collect(t, opts, plain)
	rows := strings.Count(string(data), "@example.com")
	if n := countClass(want, finding.ClassUSSSN); n != rows {
		t.Fatalf("%d SSNs in the plain dump, want %d", n, rows)
	}
	for _, p := range []string{gzPath, tarPath} {
		got, stats := collect(t, opts, p)
		if len(stats.Problems) > 0 {
			t.Fatalf("%s: problems %+v", p, stats.Problems)
		}
		if len(got) != len(want) || countClass(got, finding.ClassUSSSN) != rows {
			t.Errorf("%s: %d findings, %d SSNs; want %d, %d", p, len(got), countClass(got, finding.ClassUSSSN), len(want), rows)
		}
	}
}
