package retention

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners"
)

// Values found only through the structure of their file (an SQL dump's
// column, a FHIR resource's path, an HL7 v2 field) are masked as the scan
// found them: what the scan reports, the rewrite of redact and erase
// masks, and an HL7 file keeps its segment ends.
func TestMaskUsesTheFieldsTheScanUsed(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		text   string
		values []string // found only through their field
	}{
		{"pg_dump COPY", "clinic.sql", "--\n-- PostgreSQL database dump\n--\n\n" +
			"CREATE TABLE public.patients (\n    id integer NOT NULL,\n    ssn text,\n    diagnosis text\n);\n\n" +
			"COPY public.patients (id, ssn, diagnosis) FROM stdin;\n1\t536228104\thigh blood pressure\n2\t412673390\tasthma\n\\.\n",
			[]string{"536228104", "high blood pressure", "412673390"}},
		{"mysqldump INSERT", "shop.sql", "-- MySQL dump 10.13\n/*!40101 SET NAMES utf8mb4 */;\n" +
			"CREATE TABLE `patients` (\n  `id` int NOT NULL,\n  `ssn` varchar(11),\n  `diagnosis` text\n);\n" +
			"INSERT INTO `patients` VALUES (1,'536228104','high blood pressure'),(2,'412673390','asthma');\n",
			[]string{"536228104", "high blood pressure", "412673390"}},
		{"FHIR pretty-printed", "bundle.json", `{
  "resourceType": "Bundle",
  "entry": [
    {
      "resource": {
        "resourceType": "Patient",
        "name": [
          {
            "family": "Kowalczyk",
            "given": [
              "Marta"
            ]
          }
        ]
      }
    }
  ]
}
`, []string{"Kowalczyk", "Marta"}},
		{"HL7 v2 with CR-only segments", "adt.hl7", "MSH|^~\\&|ADT1|GHH|LAB|GHH|20260101120000||ADT^A01|MSG1|P|2.5.1\r" +
			"EVN|A01|20260101120000\rPID|1||PATID1^^^GHH^MR||KOWALCZYK^MARTA^^^^^L||19840317|F\rDG1|1||E11.9^DIABETES^I10\r",
			[]string{"KOWALCZYK", "MARTA", "19840317"}},
	}
	e := defaultEngine(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, tt.file)
			if err := os.WriteFile(path, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			found := scanFile(t, path)
			for _, v := range tt.values {
				if !found[v] {
					t.Fatalf("the scan does not report %q: the test needs values it finds; found %v", v, found)
				}
			}
			out, st := mask(t, maskAll(e), tt.text, path)
			for v := range found {
				if strings.Contains(out, v) {
					t.Errorf("%q is reported by the scan but stays after masking:\n%s", v, out)
				}
			}
			if st.Values < int64(len(found)) {
				t.Errorf("masked %d values, the scan reports %d", st.Values, len(found))
			}
			if got, want := strings.Count(out, "\r"), strings.Count(tt.text, "\r"); got != want {
				t.Errorf("%d CRs after masking, want %d: segment ends must stay", got, want)
			}
			if got, want := strings.Count(out, "\n"), strings.Count(tt.text, "\n"); got != want {
				t.Errorf("%d lines after masking, want %d", got, want)
			}
		})
	}
}

// scanFile returns the values a scan of path reports.
func scanFile(t *testing.T, path string) map[string]bool {
	t.Helper()
	sc, err := scanners.New(scanners.Options{Engine: defaultEngine(t), Workers: 1,
		Fingerprints: finding.NewFingerprinter([]byte("k")), Reveal: true})
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	_, err = sc.Scan(context.Background(), []string{path}, scanners.SinkFunc(func(f *finding.Finding) error {
		found[f.Value] = true
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	return found
}
