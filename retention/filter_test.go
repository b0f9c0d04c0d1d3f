package retention

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Fixed times of the record tests: records before corpusCutoff expire.
var (
	corpusNow    = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	corpusRef    = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC) // the files' mtime
	corpusCutoff = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
)

func keepAfter(cutoff time.Time) KeepFunc {
	return func(t time.Time) bool { return !t.Before(cutoff) }
}

// filter runs FilterRecords over in with the corpus times.
func filter(t *testing.T, p *TimeParser, in string) (string, RecordStats, error) {
	t.Helper()
	if p == nil {
		p = &TimeParser{}
	}
	if p.Now.IsZero() {
		p.Now = corpusNow
	}
	var out bytes.Buffer
	st, err := FilterRecords(strings.NewReader(in), &out, p, corpusRef, keepAfter(corpusCutoff))
	if st.BytesIn != int64(len(in)) || st.BytesOut != int64(out.Len()) || st.BytesOut+st.BytesDropped != st.BytesIn {
		t.Errorf("byte counts %+v, input %d, output %d", st, len(in), out.Len())
	}
	return out.String(), st, err
}

// newLines returns n dated records after the cutoff, in the form of line.
func newLines(n int, line string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, line, i%60)
	}
	return b.String()
}

// The corpus holds a log of each format, written as the framework writes
// it; NAME.want is what stays of NAME.log with records before 2026-09-01
// dropped.
func TestFilterRecordsCorpus(t *testing.T) {
	tests := []struct {
		name                      string
		records, dropped, undated int64
	}{
		{"log4j", 4, 2, 0},
		{"monolog", 4, 2, 0},
		{"rails", 6, 3, 0},
		{"python", 5, 2, 0},
		{"golog", 4, 2, 0},
		{"slog_text", 4, 2, 0},
		{"slog_json", 3, 2, 0},
		{"syslog3164", 4, 2, 0},
		{"syslog5424", 4, 2, 0},
		{"nginx_access", 4, 2, 0},
		{"nginx_error", 4, 2, 0},
		{"apache_access", 3, 1, 0},
		{"apache_error", 4, 2, 0},
		{"jsonl", 5, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", "records", tt.name+".log"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join("testdata", "records", tt.name+".want"))
			if err != nil {
				t.Fatal(err)
			}
			got, st, err := filter(t, nil, string(in))
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("kept:\n%s\nwant:\n%s", got, want)
			}
			if st.Records != tt.records || st.Dropped != tt.dropped || st.Undated != tt.undated {
				t.Errorf("records %d, dropped %d, undated %d; want %d, %d, %d", st.Records, st.Dropped, st.Undated, tt.records, tt.dropped, tt.undated)
			}
		})
	}
}

func TestFilterRecordsDropsExpiredWithContinuations(t *testing.T) {
	in := "2026-08-28T10:00:00Z old one\n" +
		"\tat old.stack(Trace.java:1)\n" +
		"2026-09-01T10:00:00Z new one\n" +
		"\tat new.stack(Trace.java:2)\n" +
		"2026-08-29T23:59:59Z old two\n" +
		"2026-09-02T00:00:00Z no newline at end"
	want := "2026-09-01T10:00:00Z new one\n" +
		"\tat new.stack(Trace.java:2)\n" +
		"2026-09-02T00:00:00Z no newline at end"
	got, st, err := filter(t, nil, in)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if st.Records != 4 || st.Dropped != 2 || st.Undated != 0 || st.BytesDropped != int64(len(in)-len(want)) {
		t.Errorf("stats %+v", st)
	}
	if !st.Newest.Equal(time.Date(2026, 9, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("newest %v", st.Newest)
	}
}

// Lines that neither carry a time nor look like a continuation are
// undatable records: kept wherever they are, whatever the record before
// them.
func TestFilterRecordsKeepsUndatableRecords(t *testing.T) {
	fresh := newLines(40, "2026-10-01 10:00:%02d,000 INFO fresh\n")
	tests := []struct {
		name      string
		in, want  string
		undated   int64
		dropped   int64
		parser    *TimeParser
		wantError bool
	}{{
		// Defect 2: Monolog lines after one old log4j line were taken as
		// its continuation, and the file emptied.
		name:    "monolog after log4j",
		in:      "2026-07-01 09:00:00,000 INFO old\n" + newLines(20, "[2026-11-10 10:00:%02d] production.INFO: new\n"),
		want:    newLines(20, "[2026-11-10 10:00:%02d] production.INFO: new\n"),
		dropped: 1,
	}, {
		name:    "plain line after an old record",
		in:      "2026-07-01 09:00:00,000 INFO old\nsomething else entirely\n" + fresh,
		want:    "something else entirely\n" + fresh,
		undated: 1, dropped: 1,
	}, {
		name:    "header before the first record",
		in:      "header without time\n" + fresh,
		want:    "header without time\n" + fresh,
		undated: 1,
	}, {
		// Defect 3: a JSON line without a time after an old line.
		name:    "JSON without a time after an old line",
		in:      `{"ts":"2026-07-01T00:00:00Z","msg":"old"}` + "\n" + `{"msg":"no time","user":{"ts":"2019-01-01T00:00:00Z"}}` + "\n" + fresh,
		want:    `{"msg":"no time","user":{"ts":"2019-01-01T00:00:00Z"}}` + "\n" + fresh,
		undated: 1, dropped: 1,
	}, {
		// Defect 4: "time":17 is a duration, not 1970.
		name:    "implausible JSON time",
		in:      `{"time":17,"msg":"a"}` + "\n" + fresh,
		want:    `{"time":17,"msg":"a"}` + "\n" + fresh,
		undated: 1,
	}, {
		name:    "record time in the future",
		in:      "2027-01-01 00:00:00,000 INFO too new\n\tat x\n" + fresh,
		want:    "2027-01-01 00:00:00,000 INFO too new\n\tat x\n" + fresh,
		undated: 1,
	}, {
		name:    "indented lines before the first record",
		in:      "\tat leftover.frame(X.java:1)\n\n" + fresh,
		want:    "\tat leftover.frame(X.java:1)\n\n" + fresh,
		undated: 0,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, st, err := filter(t, tt.parser, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("kept:\n%s\nwant:\n%s", got, tt.want)
			}
			if st.Undated != tt.undated || st.Dropped != tt.dropped {
				t.Errorf("undated %d, dropped %d; want %d, %d", st.Undated, st.Dropped, tt.undated, tt.dropped)
			}
		})
	}
}

// Defect 2: Rails logger lines were never recognised, so never purged.
func TestFilterRecordsPurgesRails(t *testing.T) {
	in := "I, [2026-08-10T10:00:00.123456 #123]  INFO -- : old\n" +
		"E, [2026-08-10T10:00:01.000000 #123] ERROR -- : old error\n" +
		"I, [2026-11-10T10:00:00.123456 #123]  INFO -- : new\n"
	got, st, err := filter(t, nil, in)
	if err != nil {
		t.Fatal(err)
	}
	if want := "I, [2026-11-10T10:00:00.123456 #123]  INFO -- : new\n"; got != want || st.Dropped != 2 {
		t.Errorf("kept %q (dropped %d), want %q", got, st.Dropped, want)
	}
}

// Defect 3: only top-level time fields count.
func TestFilterRecordsJSONTopLevelTime(t *testing.T) {
	in := `{"time":"2026-11-20T10:00:00Z","payload":{"ts":"2019-05-05T00:00:00Z"}}` + "\n" +
		`{"payload":{"ts":"2026-11-20T00:00:00Z"},"time":"2026-07-05T00:00:00Z"}` + "\n" +
		newLines(40, `{"ts":"2026-10-01T10:00:%02dZ"}`+"\n")
	got, st, err := filter(t, nil, in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"time":"2026-11-20T10:00:00Z","payload":{"ts":"2019-05-05T00:00:00Z"}}` + "\n" + newLines(40, `{"ts":"2026-10-01T10:00:%02dZ"}`+"\n"); got != want {
		t.Errorf("kept:\n%s\nwant:\n%s", got, want)
	}
	if st.Dropped != 1 || st.Records != 42 {
		t.Errorf("stats %+v", st)
	}
	// Configured names replace the defaults.
	got, _, err = filter(t, &TimeParser{Fields: []string{"when"}}, `{"when":"2026-07-01T00:00:00Z","ts":"2026-11-01T00:00:00Z"}`+"\n"+newLines(40, `{"when":"2026-10-01T10:00:%02dZ"}`+"\n"))
	if err != nil || strings.Contains(got, "2026-07-01") {
		t.Errorf("configured field: %v, kept %q", err, got[:min(len(got), 80)])
	}
}

// Defect 15: explicit zones in every form win over time_zone.
func TestFilterRecordsExplicitZones(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	// In New York, 2026-08-31 23:30 is after the cutoff; each of these is
	// really before it.
	old := []string{
		"2026-09-01 02:00:00 +05:00 x\n",
		"2026-09-01 02:00:00 +0500 x\n",
		"2026-09-01 02:00:00+05 x\n",
		"2026-09-01T02:00:00.5 +05 x\n",
		"2026-08-31 23:30:00Z x\n",
		"2026-08-31 23:30:00 Z x\n",
		"2026-08-31 23:30:00 UTC x\n",
		"2026-08-31 23:30:00 GMT x\n",
		"2026-08-31 23:30:00.123 UTC+00:00 x\n",
		"[2026-08-31 23:30:00 UTC] production.INFO: x\n",
	}
	// Without a zone, or with a word that is not one, time_zone holds.
	kept := []string{
		"2026-08-31 23:30:00 x\n",
		"2026-08-31 23:30:00 CEST x\n",
		"2026-08-31 23:30:00 Zeta x\n",
		"2026-08-31 23:30:00 UTCx x\n",
		"2026-08-31 23:30:00 - app - INFO - x\n",
	}
	fresh := newLines(200, "2026-10-01 10:00:%02d x\n")
	got, st, err := filter(t, &TimeParser{Location: ny}, strings.Join(old, "")+strings.Join(kept, "")+fresh)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(kept, "") + fresh; got != want {
		t.Errorf("kept:\n%s\nwant:\n%s", got[:len(got)-len(fresh)], want[:len(want)-len(fresh)])
	}
	if st.Dropped != int64(len(old)) {
		t.Errorf("dropped %d, want %d", st.Dropped, len(old))
	}
}

// A file whose records cannot be dated is reported, never acted on.
func TestFilterRecordsUndatableFile(t *testing.T) {
	tests := []struct {
		name, in string
		undated  int64
	}{
		{"only durations", `{"time":17,"msg":"a"}` + "\n" + `{"time":18,"msg":"b"}` + "\n", 2},
		{"no time at all", "alpha\nbeta\ngamma\n", 3},
		{"empty", "", 0},
		{"too few dated", "2026-07-01 10:00:00 old\n" + newLines(19, "2026-10-01 10:00:%02d new\n") + "a\nb\n", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, st, err := filter(t, nil, tt.in)
			if !errors.Is(err, ErrUndatable) {
				t.Fatalf("err = %v, want ErrUndatable", err)
			}
			if !st.Undatable() || st.Undated != tt.undated {
				t.Errorf("stats %+v", st)
			}
		})
	}
	// 95% dated is enough.
	_, st, err := filter(t, nil, "2026-07-01 10:00:00 old\n"+newLines(18, "2026-10-01 10:00:%02d new\n")+"a\n")
	if err != nil || st.Undatable() {
		t.Errorf("19 of 20 dated: %v %+v", err, st)
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

// splitLines splits b after each newline.
func splitLines(b []byte) [][]byte {
	var lines [][]byte
	for len(b) > 0 {
		n := bytes.IndexByte(b, '\n') + 1
		if n == 0 {
			n = len(b)
		}
		lines, b = append(lines, b[:n]), b[n:]
	}
	return lines
}

// FuzzFilterRecords checks, for any input, that the output is the input's
// lines, in order, less some of the expired records: every line is kept
// except expired dated lines and lines after one (up to the next dated
// line); lines that start an undatable record are always kept.
func FuzzFilterRecords(f *testing.F) {
	for _, name := range []string{"log4j", "python", "jsonl", "monolog", "syslog3164", "apache_error"} {
		if b, err := os.ReadFile(filepath.Join("testdata", "records", name+".log")); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("2026-07-01 09:00:00,000 old\nx\n{\"time\":17}\n\tat y\n[2026-11-10 10:00:00] new\n  z"))
	f.Fuzz(func(t *testing.T, in []byte) {
		p := &TimeParser{Now: corpusNow}
		keep := keepAfter(corpusCutoff)
		var out bytes.Buffer
		st, err := FilterRecords(bytes.NewReader(in), &out, p, corpusRef, keep)
		if err != nil && !errors.Is(err, ErrUndatable) {
			t.Fatal(err)
		}
		if st.BytesIn != int64(len(in)) || st.BytesOut != int64(out.Len()) || st.BytesOut+st.BytesDropped != st.BytesIn {
			t.Fatalf("byte counts %+v for %d in, %d out", st, len(in), out.Len())
		}
		// What each line may become: 'k' kept, 'd' dropped, '?' either.
		lines := splitLines(in)
		fate := make([]byte, len(lines))
		region := byte('k') // the fate of undated lines: after an expired record, '?'
		var newest time.Time
		for i, l := range lines {
			tm, start := p.ParseStart(l, corpusRef)
			if !tm.IsZero() && (bareCR(l) || tooFarBack(l, tm, newest)) {
				tm, start = time.Time{}, true
			}
			if tm.After(newest) {
				newest = tm
			}
			switch {
			case !tm.IsZero() && keep(tm):
				region, fate[i] = 'k', 'k'
			case !tm.IsZero():
				region, fate[i] = '?', 'd'
			case start:
				region, fate[i] = 'k', 'k' // an undatable record and its lines
			default:
				fate[i] = region
			}
		}
		if !matches(lines, fate, out.Bytes()) {
			t.Fatalf("output %q is not the input %q less expired records (fates %s)", out.Bytes(), in, fate)
		}
	})
}

// matches reports whether out is the concatenation of lines with every
// 'k' line, no 'd' line and any of the '?' lines, in order.
func matches(lines [][]byte, fate []byte, out []byte) bool {
	type key struct{ i, pos int }
	memo := map[key]bool{}
	var match func(i, pos int) bool
	match = func(i, pos int) bool {
		if i == len(lines) {
			return pos == len(out)
		}
		k := key{i, pos}
		if v, ok := memo[k]; ok {
			return v
		}
		take := fate[i] != 'd' && bytes.HasPrefix(out[pos:], lines[i]) && match(i+1, pos+len(lines[i]))
		v := take || fate[i] != 'k' && match(i+1, pos)
		memo[k] = v
		return v
	}
	return match(0, 0)
}

// Records that were lost to attacks on the splitter: a duration in a
// numeric "time" field beside a written timestamp, lines ended by a lone
// CR, and a pretty-printed JSON record after an expired one.
func TestFilterRecordsKeepsWhatItCannotSplit(t *testing.T) {
	fresh := corpusCutoff.Add(30 * 24 * time.Hour).Format(time.RFC3339)
	old := corpusCutoff.Add(-30 * 24 * time.Hour).Format(time.RFC3339)
	var zap strings.Builder
	for range 20 {
		fmt.Fprintf(&zap, `{"timestamp":"%s","level":"info","msg":"query","time":1234567890}`+"\n", fresh)
	}
	logfmt := "level=info msg=query time=1234567890 timestamp=" + fresh + "\n"
	cr := old + " started\r" + fresh + " progress 50%\r" + fresh + " finished\r"
	pretty := `{"time":"` + old + `","msg":"old"}` + "\n{\n  \"time\": \"" + fresh + "\",\n  \"msg\": \"new error\"\n}\n"
	for i := range 40 {
		pretty += fmt.Sprintf(`{"time":"%s","msg":"new %d"}`+"\n", fresh, i)
	}
	// nginx writes $remote_user, which any client sets with an
	// Authorization: Basic header, unescaped before the time.
	fresh2 := corpusCutoff.Add(30 * 24 * time.Hour).Format("02/Jan/2006:15:04:05 -0700")
	access := "198.51.100.7 - - [" + fresh2 + "] \"GET / HTTP/1.1\" 200 612 \"-\" \"curl/8.0\"\n" +
		"203.0.113.9 - x [01/Jan/2019:00:00:00 +0000] [" + fresh2 + "] \"POST /admin/login HTTP/1.1\" 401 179 \"-\" \"hydra\"\n" +
		"198.51.100.8 - - [" + fresh2 + "] \"GET /a HTTP/1.1\" 200 612 \"-\" \"curl/8.0\"\n"
	padded := "203.0.113.9 - x [01/Jan/2019:00:00:00 +0000]" + strings.Repeat("A", 1500) + " [" + fresh2 + "] \"GET / HTTP/1.1\" 200 1 \"-\" \"x\"\n" +
		"198.51.100.7 - - [" + fresh2 + "] \"GET / HTTP/1.1\" 200 612 \"-\" \"curl/8.0\"\n"
	var pino strings.Builder
	for i := range 20 {
		fmt.Fprintf(&pino, `{"level":30,"time":%d,"pid":7,"userId":%d,"date":"2019-03-01T12:00:00.000Z","msg":"loaded user profile"}`+"\n",
			corpusCutoff.Add(30*24*time.Hour).UnixMilli(), i)
	}
	logfmtUser := "time=" + fresh + " level=info msg=login ts=2019-01-15T00:00:00Z user=u1\n"
	log4j := strings.ReplaceAll(fresh, "T", " ")[:19] + ",000 ERROR [main] import failed on rows:\n" +
		"2019-02-03 04:05:06,row one,+14155552671,\"1 Main St\"\n" +
		"2019-02-04 04:05:06,row two,+14155552672,\"2 Main St\"\n"
	tests := []struct {
		name, in, want string
	}{
		{"numeric time beside a written timestamp", zap.String(), zap.String()},
		{"an access-log user field holding a date", access, access},
		{"an access-log user field holding a date and padding", padded, padded},
		{"a user's date field beside the logger's time", pino.String(), pino.String()},
		{"logfmt: a user's ts beside the logger's time", logfmtUser, logfmtUser},
		{"old-dated lines of a fresh message", log4j, log4j},
		{"logfmt numeric time beside a written timestamp", logfmt, logfmt},
		{"lone CR line ends", cr, cr},
		{"pretty-printed JSON after an expired record", pretty, strings.SplitN(pretty, "\n", 2)[1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, st, err := filter(t, nil, tt.in)
			if err != nil && !errors.Is(err, ErrUndatable) {
				t.Fatal(err)
			}
			if errors.Is(err, ErrUndatable) {
				out = tt.in // the caller keeps the file whole
			}
			if out != tt.want {
				t.Errorf("kept:\n%q\nwant:\n%q\n%+v", out, tt.want, st)
			}
		})
	}
}
