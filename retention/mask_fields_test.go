package retention

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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

// TestMaskKeepsHL7Structure checks that a rewritten HL7 v2 message keeps
// every separator its MSH declares in place: each segment has as many
// fields, each field as many repetitions, components and subcomponents as
// before, also when a value runs over components (an address from street
// to zip code, a phone's area code and number), when the replacement
// holds a separator, and when a later message declares other separators.
func TestMaskKeepsHL7Structure(t *testing.T) {
	adt := "MSH|^~\\&|EPIC|NWMC|LAB|NWMC|20260101||ADT^A04|1|P|2.5.1\r" +
		"PID|1||MRN1^^^NWMC^MR||HALVORSEN^INGRID~HALVORSEN^I||19830206|F|||4410 Juniper Hollow Lane^^PORTLAND^OR^97201^USA^H||^PRN^PH^^^312^8674421\r"
	tests := []struct {
		name, text string
		with       string // the replacement; "" for finding.Redaction
		gone       []string
	}{
		{"address and XTN phone over components", adt, "",
			[]string{"Juniper", "PORTLAND", "97201", "8674421", "HALVORSEN", "19830206"}},
		{"v2.7 header, escaped name, NK1 address with subcomponents",
			"MSH|^~\\&#|A|B|C|D|20260101||ADT^A08|1|P|2.7\r" +
				"PID|1||MRN9||O\\T\\BRIEN^SIOBHAN||19630525|F|||55 Wharfside Crescent&Unit 4^^PORTLAND^OR^97201\r" +
				"NK1|1|QUINTERO^RAFAEL|SPO|27 Linden Grove^^SALEM^OR^97301|^PRN^PH^^1^503^2249187\r",
			"", []string{"BRIEN", "SIOBHAN", "Wharfside", "97201", "QUINTERO", "Linden", "2249187"}},
		{"replacement holding separators, other separators in a later message", adt +
			"MSH#:*!@#A#B#C#D#20260101##ADT:A01#4#P#2.5\r" +
			"PID#1##X:::::MR##Sato:Hiro##19700101####12 Elm Street::Dayton:OH:45402\r",
			"[x|y^z~w&v\\u#:*!@]", []string{"Juniper", "Sato", "Hiro", "19700101", "Elm Street", "45402"}},
	}
	e := defaultEngine(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := maskAll(e)
			if tt.with != "" {
				m.Select = func(string, []byte, string) (string, bool) { return tt.with, true }
			}
			path := filepath.Join(t.TempDir(), "adt.hl7")
			out, st := mask(t, m, tt.text, path)
			for _, v := range tt.gone {
				if strings.Contains(out, v) {
					t.Errorf("%q stays after masking:\n%s", v, out)
				}
			}
			if st.Values == 0 {
				t.Fatalf("nothing masked:\n%s", out)
			}
			if got, want := hl7Shape(out), hl7Shape(tt.text); !slices.Equal(got, want) {
				t.Errorf("structure changed:\n got %q\nwant %q\n%s", got, want, out)
			}
		})
	}
}

// hl7Shape describes the structure of an HL7 v2 text: per segment, its id
// and, per field, the count of its repetitions, components and
// subcomponents, in the separators of its message's MSH.
func hl7Shape(text string) []string {
	var shape []string
	seps := "|^~\\&"
	for _, seg := range strings.Split(text, "\r") {
		if len(seg) < 4 {
			continue
		}
		if strings.HasPrefix(seg, "MSH") {
			seps = seg[3:8]
			shape = append(shape, "MSH")
			continue
		}
		s := seg[:3]
		for _, f := range strings.Split(seg[4:], seps[:1]) {
			// An escape sequence (\T\) is text, not a separator.
			f = unescapeShape(f, seps[3])
			s += fmt.Sprintf("|%d.%d.%d", strings.Count(f, seps[2:3]), strings.Count(f, seps[1:2]), strings.Count(f, seps[4:5]))
		}
		shape = append(shape, s)
	}
	return shape
}

// unescapeShape drops the escape sequences of an HL7 field.
func unescapeShape(f string, esc byte) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] == esc {
			if j := strings.IndexByte(f[i+1:], esc); j >= 0 {
				i += j + 1
				continue
			}
		}
		b.WriteByte(f[i])
	}
	return b.String()
}

// TestHL7SpansWholeEscapes checks that a masked piece of an HL7 field
// that cuts an escape sequence takes it whole, so no escape is left open.
func TestHL7SpansWholeEscapes(t *testing.T) {
	text := "PID|1||X||O\\T\\BRIEN^DE\\S\\LA\\E\\CRUZ\r"
	seps := []byte("|^~\\&")
	tests := []struct {
		name, from, want string
	}{
		{"starts inside an escape", "T\\BRIEN", "PID|1||X||O[n]^DE\\S\\LA\\E\\CRUZ\r"},
		{"ends inside an escape", "O\\T", "PID|1||X||[n]BRIEN^DE\\S\\LA\\E\\CRUZ\r"},
		{"over a component separator", "BRIEN^DE\\S", "PID|1||X||O\\T\\[n]^[n]LA\\E\\CRUZ\r"},
		{"whole", "O\\T\\BRIEN", "PID|1||X||[n]^DE\\S\\LA\\E\\CRUZ\r"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := strings.Index(text, tt.from)
			e := s + len(tt.from)
			rs := hl7Spans([]byte(text), []span{{start: s, end: e, with: "[n]", values: 1}}, seps)
			var b strings.Builder
			pos := 0
			for _, r := range rs {
				b.WriteString(text[pos:r.start] + r.with)
				pos = r.end
			}
			b.WriteString(text[pos:])
			if b.String() != tt.want {
				t.Errorf("got %q, want %q", b.String(), tt.want)
			}
		})
	}
}
