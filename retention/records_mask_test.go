package retention

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners/detect"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

// emailMasker masks every e-mail address.
func emailMasker(t *testing.T) *Masker {
	t.Helper()
	var rules []detect.Rule
	for _, d := range catalog.Detectors() {
		rules = append(rules, detect.Rule{ID: d.Name, Detector: d.Name, Severity: finding.SeverityLow})
	}
	e, err := detect.New(rules, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &Masker{Engine: e, Select: func(class string, raw []byte, _ string) (string, bool) {
		return finding.Redaction(class, raw), class == finding.ClassEmail
	}}
}

// maskExpiredRecords splits records as FilterRecords does: the Monolog
// lines after an old log4j line are records of their own, not masked.
func TestMaskExpiredRecordsSplitsLikeFilter(t *testing.T) {
	m := emailMasker(t)
	in := "2026-07-01 09:00:00,000 INFO old mail ann@example.com\n" +
		"\tat old.frame ann@example.com\n" +
		"something undated bob@example.com\n" +
		newLines(40, "[2026-11-10 10:00:%02d] production.INFO: new carl@example.com\n")
	var out bytes.Buffer
	p := &TimeParser{Now: corpusNow}
	rst, mst, err := maskExpiredRecords(strings.NewReader(in), &out, p, corpusRef, corpusCutoff, m)
	if err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if strings.Contains(got, "ann@example.com") {
		t.Errorf("the expired record was not masked:\n%s", got)
	}
	if !strings.Contains(got, "something undated bob@example.com\n") || strings.Count(got, "carl@example.com") != 40 {
		t.Errorf("an undatable or fresh record was masked:\n%s", got)
	}
	if rst.Records != 41 || rst.Dropped != 1 || rst.Undated != 1 || mst.Values != 2 {
		t.Errorf("record stats %+v, mask stats %+v", rst, mst)
	}
	// The sizes are of the whole file, not of the expired records only.
	if mst.BytesIn != int64(len(in)) || mst.BytesOut != int64(out.Len()) || rst.BytesOut != int64(out.Len()) {
		t.Errorf("sizes: in %d, out %d; mask stats %+v, record stats %+v", len(in), out.Len(), mst, rst)
	}
}

func TestMaskExpiredRecordsUndatableFile(t *testing.T) {
	in := "2026-07-01 09:00:00,000 INFO old ann@example.com\nalpha\nbeta\n"
	rst, _, err := maskExpiredRecords(strings.NewReader(in), &bytes.Buffer{}, &TimeParser{Now: corpusNow}, corpusRef, corpusCutoff, emailMasker(t))
	if !errors.Is(err, ErrUndatable) || rst.Undated != 2 {
		t.Errorf("err = %v, stats %+v; want ErrUndatable", err, rst)
	}
}

func TestMaskExpiredRecordsLineTooLong(t *testing.T) {
	m := emailMasker(t)
	m.MaxLine = 100 << 10
	in := "2026-07-01 09:00:00,000 INFO old " + strings.Repeat("x", 200<<10) + "\n"
	_, _, err := maskExpiredRecords(strings.NewReader(in), &bytes.Buffer{}, &TimeParser{Now: corpusNow}, corpusRef, corpusCutoff, m)
	if !errors.Is(err, ErrLineTooLong) {
		t.Errorf("err = %v, want ErrLineTooLong", err)
	}
}
