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
	}
	p := &TimeParser{}
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
	p = &TimeParser{Fields: []string{"when"}, Location: ny}
	if got, ok := p.Parse([]byte(`{"ts":"2020-01-01T00:00:00Z","when":"2024-03-01 10:00:00"}`), ref); !ok || !got.Equal(utc("2024-03-01T15:00:00Z")) {
		t.Errorf("configured field: %v %v", got, ok)
	}
}

func FuzzTimeParser(f *testing.F) {
	for _, s := range []string{"2024-03-01T10:00:00Z", `{"ts":1}`, "Mar  1 10:00:01 x", `a [01/Mar/2024:10:00:00 +0100]`, "<34>1 2024-03-01T10:00:00Z"} {
		f.Add([]byte(s))
	}
	p := &TimeParser{}
	f.Fuzz(func(t *testing.T, line []byte) {
		p.Parse(line, time.Now())
	})
}
