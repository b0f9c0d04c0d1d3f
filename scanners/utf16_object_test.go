package scanners_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"unicode/utf16"

	"github.com/klauspost/compress/gzip"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/internal/s3test"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/bucket"
	"github.com/piiscan/piiscan/scanners/detect"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
	"github.com/piiscan/piiscan/scanners/source"
)

// An object holding UTF-16 text (little-endian with a BOM, as Windows
// tools write it), plain or gzipped, is decoded and scanned like a file.
func TestScanUTF16Objects(t *testing.T) {
	s := s3test.Start(t)
	s.Env(t)
	s.Bucket(t, "win")
	text := "**********************\r\nWindows PowerShell transcript start\r\n" +
		"PS C:\\> Get-ADUser -Identity jdoe | Select mail\r\nmail : jane.doe@example.com\r\n"
	u16 := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune(text)) {
		u16 = append(u16, byte(u), byte(u>>8))
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(u16)
	zw.Close()
	s.Put(t, "win", "transcripts/PowerShell_transcript.txt", u16)
	s.Put(t, "win", "transcripts/old.txt.gz", gz.Bytes())
	c, err := bucket.New(context.Background(), bucket.Options{Endpoint: s.Endpoint, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	var rules []detect.Rule
	for _, b := range catalog.Detectors() {
		rules = append(rules, detect.Rule{ID: b.Name, Detector: b.Name, Severity: finding.SeverityMedium})
	}
	e, err := detect.New(rules, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scanners.New(scanners.Options{Engine: e, Workers: 2, Sources: []source.Source{bucket.Source{Client: c}}, Fingerprints: finding.NewFingerprinter([]byte("5c1e0a9d3b7f4286e1d0c5a7b92f38e4"))})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	st, err := sc.Scan(context.Background(), []string{"s3://win/"}, scanners.SinkFunc(func(f *finding.Finding) error {
		got = append(got, fmt.Sprintf("%s:%d:%d+%d %s", f.Path, f.Line, f.Column, f.Length, f.Class))
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"s3://win/transcripts/PowerShell_transcript.txt:4:8+20 email",
		"s3://win/transcripts/old.txt.gz:4:8+20 email",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) || st.Binary != 0 || len(st.Problems) != 0 {
		t.Errorf("got %q, binary %d, problems %v\nwant %q", got, st.Binary, st.Problems, want)
	}
}
