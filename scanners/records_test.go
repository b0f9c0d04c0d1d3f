package scanners

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/piiscan/piiscan/finding"
)

func TestSegmentReader(t *testing.T) {
	for in, want := range map[string]string{
		"MSH|a\rPID|b\r":         "MSH|a\nPID|b\n",
		"MSH|a\r\nPID|b\r\n":     "MSH|a\r\nPID|b\r\n",
		"MSH|a\nPID|b":           "MSH|a\nPID|b",
		"a\r\r\nb\r\rc\r":        "a\n\r\nb\n\nc\n",
		"\r":                     "\n",
		"\x0bMSH|a\rPID\r\x1c\r": "\x0bMSH|a\nPID\n\x1c\n",
	} {
		for name, r := range map[string]func(io.Reader) io.Reader{
			"whole": func(r io.Reader) io.Reader { return r }, "byte by byte": iotest.OneByteReader,
			"half": iotest.HalfReader,
		} {
			got, err := io.ReadAll(&segmentReader{r: r(strings.NewReader(in))})
			if err != nil || string(got) != want {
				t.Errorf("%s: %q read as %q (%v), want %q", name, in, got, err, want)
			}
		}
	}
}

// hl7Messages writes n ADT^A01 messages, segments ended by CR alone, each
// of four segments with a PID of a name, a date of birth and an SSN.
func hl7Messages(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "MSH|^~\\&|ADT1|GHH|LAB|GHH|20260314%04d||ADT^A01^ADT_A01|MSG%06d|P|2.5.1\r", i%2400, i)
		fmt.Fprintf(&b, "EVN|A01|20260314%04d\r", i%2400)
		fmt.Fprintf(&b, "PID|1||PAT%06d^^^GHH^MR||%s^%s||19%02d0%d1%d|F|||%d Birch Ln^^Ames^IA^50010||||||||%03d-%02d-%04d\r",
			i, clinicLast[i%8], clinicFirst[i%8], 40+i%50, 1+i%9, i%10, 100+i, 101+i%500, 10+i%89, 1000+i%8999)
		fmt.Fprintf(&b, "DG1|1|I10|E11.9^Type 2 diabetes mellitus^I10\r")
	}
	return b.Bytes()
}

// An HL7 file of CR-only segments is read segment by segment: findings
// carry their segment's number as line, and cut into small blocks (many
// messages long, one line before the reader turned its CRs into line
// ends) the file says the same as in one block.
func TestHL7AcrossBlocks(t *testing.T) {
	const n = 3000
	data := hl7Messages(n)
	path := filepath.Join(t.TempDir(), "adt.hl7")
	writeFile(t, path, data)
	opts := testOptions(t)
	opts.MaxFindings = -1
	opts.ChunkSize = 8 << 20
	whole, _ := collect(t, opts, path)
	opts.ChunkSize = 32 << 10
	cut, _ := collect(t, opts, path)
	if got := countClass(whole, finding.ClassUSSSN); got != n {
		t.Errorf("%d SSNs, want %d", got, n)
	}
	for class, per := range map[string]int{finding.ClassPersonName: 2, finding.ClassDateOfBirth: 1, finding.ClassPostalAddress: 1} {
		if got := countClass(whole, class); got != per*n {
			t.Errorf("%d of class %s, want %d", got, class, per*n)
		}
	}
	for _, f := range whole {
		want := 3 // the PID, third segment of its message
		if f.Class == finding.ClassHealth {
			want = 4
		}
		if (f.Line-want)%4 != 0 {
			t.Fatalf("%s finding on line %d, not on a segment %d of a message", f.Class, f.Line, want)
		}
	}
	a, b := keys(whole), keys(cut)
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		t.Errorf("%d findings in one block, %d in blocks of 32 KiB", len(a), len(b))
	}
}

// HL7 v2 messages of every header form are read as HL7 (v2.7's
// truncation character, a body framed by MLLP without its MSH), and a
// segment longer than a block (a field of a megabyte) has the fields
// after the cut read by their number.
func TestHL7Forms(t *testing.T) {
	const pid = "PID|1||MRN1^^^NWMC^MR||QUINTERO^RAFAEL||19941022|M|||55 Wharfside Crescent^^PORTLAND^OR^97201\r"
	big := strings.Repeat("A", 1<<20)
	tests := []struct {
		name, text string
		dobs       int
	}{
		{"v2.5.1", "MSH|^~\\&|A|B|C|D|20260101||ADT^A08|1|P|2.5.1\r" + pid, 1},
		{"v2.7 truncation character", "MSH|^~\\&#|A|B|C|D|20260101||ADT^A08|1|P|2.7\r" + pid, 1},
		{"MLLP-framed body without MSH", "\x0b" + pid + "\x1c\r\x0bMSH|^~\\&|A|B|C|D|20260101||ADT^A08|1|P|2.5.1\r" + pid + "\x1c\r", 2},
		{"PID-5 of 1 MiB", "MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.5.1\rPID|1||MRN1||" + big + "^GIVEN||19710409|F\r" + pid, 2},
		{"PID-3 of 1 MiB, v2.7, CRLF", "MSH|^~\\&#|A|B|C|D|20260101||ADT^A01|1|P|2.7\r\nPID|1||" + big + "||DOE^JANE||19710409|F\r\n", 1},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("m%d.hl7", i))
			writeFile(t, path, []byte(tt.text))
			opts := testOptions(t)
			opts.MaxFindings = -1
			got, stats := collect(t, opts, path)
			if n := countClass(got, finding.ClassDateOfBirth); n != tt.dobs {
				t.Errorf("%d dates of birth, want %d: %v", n, tt.dobs, keys(got))
			}
			if len(stats.Problems) > 0 {
				t.Errorf("problems: %v", stats.Problems)
			}
		})
	}
}

// fhirBundle writes a pretty-printed Bundle of n patients, each with a
// Condition; pad is the length of each patient's narrative.
func fhirBundle(n, pad int) []byte {
	var b bytes.Buffer
	b.WriteString("{\n  \"resourceType\": \"Bundle\",\n  \"type\": \"transaction\",\n  \"entry\": [")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `
    {
      "fullUrl": "urn:uuid:%08d",
      "resource": {
        "resourceType": "Patient",
        "text": { "status": "generated", "div": "<div>%s</div>" },
        "name": [ { "use": "official", "family": "%s%d", "given": [ "%s%d" ] } ],
        "birthDate": "19%02d-0%d-1%d"
      }
    },
    {
      "resource": {
        "resourceType": "Condition",
        "code": { "coding": [ { "system": "http://snomed.info/sct", "code": "15777000", "display": "Prediabetes" } ], "text": "Prediabetes" },
        "subject": { "reference": "urn:uuid:%08d" }
      }
    }`, i, strings.Repeat("x", pad), clinicLast[i%8], i%1000, clinicFirst[i%8], i%1000, 40+i%50, 1+i%9, i%10, i)
	}
	b.WriteString("\n  ]\n}\n")
	return b.Bytes()
}

// A FHIR Bundle is read as one structure however it is cut into blocks,
// pretty-printed or as ndjson of resources longer than a block.
func TestFHIRAcrossBlocks(t *testing.T) {
	const n = 2000
	pretty := fhirBundle(n, 10)
	// ndjson: one resource a line, each patient's narrative longer than
	// a block.
	var nd bytes.Buffer
	for i := range 40 {
		fmt.Fprintf(&nd, `{"resourceType":"Patient","text":{"div":"<div>%s</div>"},"name":[{"family":"Berg%d","given":["Jonas%d"]}]}`+"\n",
			strings.Repeat("y", 100<<10), i, i)
		fmt.Fprintf(&nd, `{"resourceType":"Condition","code":{"text":"Prediabetes"}}`+"\n")
	}
	dir := t.TempDir()
	for name, c := range map[string]struct {
		data        []byte
		names, dobs int
		health      int
	}{
		"bundle.json": {pretty, 2 * n, n, 2 * n},
		"bulk.ndjson": {nd.Bytes(), 80, 0, 40},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			writeFile(t, path, c.data)
			opts := testOptions(t)
			opts.MaxFindings = -1
			opts.ChunkSize = 16 << 20
			whole, _ := collect(t, opts, path)
			opts.ChunkSize = 32 << 10
			cut, _ := collect(t, opts, path)
			for class, want := range map[string]int{finding.ClassPersonName: c.names, finding.ClassDateOfBirth: c.dobs, finding.ClassHealth: c.health} {
				if got := countClass(whole, class); got != want {
					t.Errorf("%d of class %s, want %d", got, class, want)
				}
			}
			a, b := keys(whole), keys(cut)
			slices.Sort(a)
			slices.Sort(b)
			if !slices.Equal(a, b) {
				t.Errorf("%d findings in one block, %d in blocks of 32 KiB", len(a), len(b))
			}
		})
	}
}

// Streams that only look like FHIR or HL7 are not read as them.
func TestRecordStreamNegatives(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"fonts.json": "{\n  \"fonts\": [\n    { \"family\": \"Roboto\", \"given\": [\"Regular\"], \"display\": \"swap\" },\n" +
			"    { \"family\": \"Noto Serif\", \"text\": \"Hypertension Sans\" }\n  ]\n}\n",
		"ui.json": "{\n  \"code\": { \"text\": \"Asthma\", \"coding\": [ { \"display\": \"Lupus\" } ] }\n}\n",
		"pipes.log": "2026-03-14 11:30:01|INFO|PID|1||77^^^H^MR||Doe^Jane||19610615\n" +
			"2026-03-14 11:30:02|INFO|DG1|1||E11.9^Type 2 diabetes mellitus\n",
		"prose.txt": "Every HL7 message starts with MSH|^~\\&|, then PID|1||77||Doe^Jane||19610615 names the patient.\r",
	}
	for name, text := range files {
		path := filepath.Join(dir, name)
		writeFile(t, path, []byte(text))
		got, _ := collect(t, testOptions(t), path)
		for _, f := range got {
			t.Errorf("%s: found %s at %d:%d", name, f.Class, f.Line, f.Column)
		}
	}
}

// An HL7 file inside an archive is read as the file itself is: by
// segment, with the same lines and columns.
func TestHL7InArchive(t *testing.T) {
	data := hl7Messages(200)
	dir := t.TempDir()
	plain := filepath.Join(dir, "adt.hl7")
	writeFile(t, plain, data)
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	tw.WriteHeader(&tar.Header{Name: "feed/adt.dat", Mode: 0o644, Size: int64(len(data))})
	tw.Write(data)
	tw.Close()
	tarPath := filepath.Join(dir, "feed.tar")
	writeFile(t, tarPath, tb.Bytes())
	opts := testOptions(t)
	opts.MaxFindings = -1
	at := func(fs []finding.Finding) []string {
		var out []string
		for _, f := range fs {
			out = append(out, fmt.Sprintf("%d:%d %s", f.Line, f.Column, f.Class))
		}
		return out
	}
	want, _ := collect(t, opts, plain)
	got, _ := collect(t, opts, tarPath)
	if len(want) != 200*7 || !slices.Equal(at(got), at(want)) {
		t.Errorf("%d findings in the archive member, %d in the file (want %d)", len(got), len(want), 200*7)
	}
}
