package retention

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestFilterRecords(t *testing.T) {
	cutoff := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	in := "header without time\n" +
		"2024-02-28T10:00:00Z old one\n" +
		"\tat old.stack(Trace.java:1)\n" +
		"2024-03-01T10:00:00Z new one\n" +
		"\tat new.stack(Trace.java:2)\n" +
		"2024-02-29T23:59:59Z old two\n" +
		"2024-03-02T00:00:00Z no newline at end"
	want := "header without time\n" +
		"2024-03-01T10:00:00Z new one\n" +
		"\tat new.stack(Trace.java:2)\n" +
		"2024-03-02T00:00:00Z no newline at end"
	var out bytes.Buffer
	st, err := FilterRecords(strings.NewReader(in), &out, &TimeParser{}, time.Time{}, func(t time.Time) bool { return !t.Before(cutoff) })
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != want {
		t.Errorf("got %q\nwant %q", out.String(), want)
	}
	if st.Records != 4 || st.Dropped != 2 || st.Undated != 1 || st.BytesIn != int64(len(in)) || st.BytesOut != int64(len(want)) {
		t.Errorf("stats %+v", st)
	}
}

func TestFilterRecordsLongLines(t *testing.T) {
	cutoff := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	long := strings.Repeat("x", 300<<10)
	in := `{"ts":"2024-02-01T00:00:00Z","blob":"` + long + "\"}\n" +
		`{"ts":"2024-03-05T00:00:00Z","blob":"` + long + "\"}\n"
	var out bytes.Buffer
	st, err := FilterRecords(strings.NewReader(in), &out, &TimeParser{}, time.Time{}, func(t time.Time) bool { return !t.Before(cutoff) })
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != in[len(in)/2:] || st.Dropped != 1 {
		t.Errorf("kept %d bytes, stats %+v", out.Len(), st)
	}
}
