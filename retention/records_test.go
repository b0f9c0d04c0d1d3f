package retention

import (
	"testing"
	"time"
)

func TestTimeParser(t *testing.T) {
	ref := time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		line string
		want string // "" = not a record start
	}{
		{"2024-03-01T10:00:00Z INFO started", "2024-03-01T10:00:00Z"},
		{"2024-03-01T10:00:00.123456789+01:00 x", "2024-03-01T09:00:00.123456789Z"},
		{"2024-03-01 10:00:00,123 ERROR [main] boom", "2024-03-01T10:00:00.123Z"},
		{"2024/03/01 10:00:00 go log line", "2024-03-01T10:00:00Z"},
		{"2024-03-01T10:00:00-0500 x", "2024-03-01T15:00:00Z"},
		{`{"ts":"2024-03-01T10:00:00.5Z","msg":"x"}`, "2024-03-01T10:00:00.5Z"},
		{`{"level":"info","time":1709287200,"msg":"x"}`, "2024-03-01T10:00:00Z"},
		{`{"timestamp":1709287200123}`, "2024-03-01T10:00:00.123Z"},
		{`{"@timestamp":"1709287200.25"}`, "2024-03-01T10:00:00.25Z"},
		{`{"msg":"no time"}`, ""},
		{`{broken json`, ""},
		{`{"msg":"ts","ts" : "2024-03-01T10:00:00Z"}`, "2024-03-01T10:00:00Z"},
		{`{"msg":"x","t":"not a time"}`, ""},
		{"Mar  1 10:00:01 web1 sshd[42]: Accepted", "2024-03-01T10:00:01Z"},
		{"Dec 31 23:59:59 web1 cron: x", "2023-12-31T23:59:59Z"}, // the year before ref
		{"<34>Mar  1 10:00:01 web1 su: x", "2024-03-01T10:00:01Z"},
		{"<165>1 2024-03-01T10:00:00.003Z host app 1 ID47 - msg", "2024-03-01T10:00:00.003Z"},
		{`192.0.2.1 - - [01/Mar/2024:10:00:00 +0100] "GET / HTTP/1.1" 200 5`, "2024-03-01T09:00:00Z"},
		{`2001:db8::1 - frank [01/Mar/2024:10:00:00 -0700] "GET /"`, "2024-03-01T17:00:00Z"},
		{"\tat com.example.Foo.bar(Foo.java:42)", ""},
		{"Caused by: java.io.IOException", ""},
		{"", ""},
		{"2024-13-01T10:00:00Z bad month", ""},
		{"Foo  1 10:00:01 not a month", ""},
		// Framework formats.
		{"[2024-03-01 10:00:00] production.INFO: x", "2024-03-01T10:00:00Z"},
		{"[2024-03-01T10:00:00.123456+01:00] production.INFO: x", "2024-03-01T09:00:00.123456Z"},
		{"I, [2024-03-01T10:00:00.123456 #123]  INFO -- : x", "2024-03-01T10:00:00.123456Z"},
		{"F, [2024-03-01T10:00:00.123456 #123] FATAL -- : x", "2024-03-01T10:00:00.123456Z"},
		{"2024-03-01 10:00:00,123 - app.worker - INFO - x", "2024-03-01T10:00:00.123Z"},
		{"2024/03/01 10:00:00 [error] 123#0: *1 open() failed", "2024-03-01T10:00:00Z"},
		{"time=2024-03-01T10:00:00.000Z level=INFO msg=x", "2024-03-01T10:00:00Z"},
		{`time="2024-03-01T10:00:00+01:00" level=info msg="x y"`, "2024-03-01T09:00:00Z"},
		{"level=info ts=2024-03-01T10:00:00.5Z caller=main.go:1", "2024-03-01T10:00:00.5Z"},
		{"level=info ts=1709287200 msg=x", "2024-03-01T10:00:00Z"},
		{"[Fri Mar 01 10:00:00.123456 2024] [core:error] [pid 1] x", "2024-03-01T10:00:00.123456Z"},
		{"[Fri Mar  1 10:00:00 2024] [error] x", "2024-03-01T10:00:00Z"},
		{"[01/Mar/2024:10:00:00 +0000] x", "2024-03-01T10:00:00Z"},
		{"\xef\xbb\xbf2024-03-01T10:00:00Z bom", "2024-03-01T10:00:00Z"},
		{"<13>1 - host app - - - nil time", ""},
		{"Feb 29 10:00:00 web1 x", "2024-02-29T10:00:00Z"},
		// Zones.
		{"2024-03-01 10:00:00 +05:00 x", "2024-03-01T05:00:00Z"},
		{"2024-03-01 10:00:00+05 x", "2024-03-01T05:00:00Z"},
		{"2024-03-01 10:00:00 UTC x", "2024-03-01T10:00:00Z"},
		{"2024-03-01 10:00:00 GMT+01:00 x", "2024-03-01T09:00:00Z"},
		{"2024-03-01 10:00:00 Z x", "2024-03-01T10:00:00Z"},
		{"2024-03-01 10:00:00 ZZZ x", "2024-03-01T10:00:00Z"}, // in Location
		// JSON: top-level fields only, plausible times only.
		{`{"payload":{"ts":"2019-01-01T00:00:00Z"},"time":"2024-03-01T10:00:00Z"}`, "2024-03-01T10:00:00Z"},
		{`{"payload":{"ts":"2024-03-01T10:00:00Z"}}`, ""},
		{`{"msg":"{\"ts\":\"2024-03-01T10:00:00Z\"}"}`, ""},
		{`{"a":["ts",{"ts":1709287200}],"b":"\\"}`, ""},
		{`{"time":17}`, ""},
		{`{"time":-1709287200}`, ""},
		{`{"ts":"1999-12-31T23:59:59Z"}`, ""},
		{`{"ts":"2024-03-03T00:00:01Z"}`, ""}, // more than a day after Now
		{`{"ts":"bad","time":"2024-03-01T10:00:00Z"}`, "2024-03-01T10:00:00Z"},
		{`{"time":"2024-03-01T10:00:00Z","ts":99}`, "2024-03-01T10:00:00Z"},
		{`{"ts":"01/Mar/2024:10:00:00 +0000"}`, "2024-03-01T10:00:00Z"},
		{"2024-02-30 10:00:00 no such day", ""},
	}
	p := &TimeParser{Now: ref}
	for _, tt := range tests {
		got, ok := p.Parse([]byte(tt.line), ref)
		if tt.want == "" {
			if ok {
				t.Errorf("Parse(%q) = %v, want no time", tt.line, got)
			}
			continue
		}
		if !ok || !got.Equal(utc(tt.want)) {
			t.Errorf("Parse(%q) = %v, %v; want %s", tt.line, got, ok, tt.want)
		}
	}
	// Configured fields and zone.
	ny, _ := time.LoadLocation("America/New_York")
	p = &TimeParser{Fields: []string{"when"}, Location: ny, Now: ref}
	if got, ok := p.Parse([]byte(`{"ts":"2020-01-01T00:00:00Z","when":"2024-03-01 10:00:00"}`), ref); !ok || !got.Equal(utc("2024-03-01T15:00:00Z")) {
		t.Errorf("configured field: %v %v", got, ok)
	}
}

// ParseStart tells lines that start a record without a usable time from
// lines that continue one.
func TestTimeParserStart(t *testing.T) {
	ref := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	p := &TimeParser{Now: ref}
	tests := []struct {
		line         string
		start, dated bool
	}{
		{"2026-11-01T10:00:00Z x", true, true},
		{"1970-01-01T00:00:00Z x", true, false},
		{"2026-13-01T10:00:00Z x", true, false},
		{`{"time":17}`, true, false},
		{`{"msg":"x"}`, true, false},
		{"{\n", false, false},
		{"<13>1 - host app - - - x", true, false},
		{"level=info msg=x", true, false},
		{"\tat com.example.Foo.bar(Foo.java:42)", false, false},
		{"  2026-11-01T10:00:00Z indented", false, false},
		{"Caused by: java.io.IOException", false, false},
		{"plain words", false, false},
	}
	for _, tt := range tests {
		tm, start := p.ParseStart([]byte(tt.line), ref)
		if start != tt.start || !tm.IsZero() != tt.dated {
			t.Errorf("ParseStart(%q) = %v, %v; want start %v, dated %v", tt.line, tm, start, tt.start, tt.dated)
		}
	}
}

func FuzzTimeParser(f *testing.F) {
	for _, s := range []string{"2024-03-01T10:00:00Z", `{"ts":1}`, "Mar  1 10:00:01 x", `a [01/Mar/2024:10:00:00 +0100]`, "<34>1 2024-03-01T10:00:00Z"} {
		f.Add([]byte(s))
	}
	p := &TimeParser{}
	f.Fuzz(func(t *testing.T, line []byte) {
		tm, start := p.ParseStart(line, time.Now())
		if !tm.IsZero() && (!start || tm.Location() != time.UTC) {
			t.Errorf("ParseStart(%q) = %v, %v", line, tm, start)
		}
	})
}
