package alert

import (
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/piiscan/piiscan/config"
)

// syslogMessage is a parsed RFC 5424 message.
type syslogMessage struct {
	Facility, Severity int
	Timestamp          string
	Hostname           string
	AppName            string
	ProcID             string
	MsgID              string
	SDID               string
	Params             map[string]string
	Msg                string
}

var syslogHeaderRe = regexp.MustCompile(`^<([0-9]{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) `)

// parseSyslog parses an RFC 5424 message with one SD-ELEMENT.
func parseSyslog(line string) (syslogMessage, error) {
	var m syslogMessage
	h := syslogHeaderRe.FindStringSubmatch(line)
	if h == nil {
		return m, fmt.Errorf("bad header: %q", line)
	}
	pri, _ := strconv.Atoi(h[1])
	m.Facility, m.Severity = pri/8, pri%8
	m.Timestamp, m.Hostname, m.AppName, m.ProcID, m.MsgID = h[2], h[3], h[4], h[5], h[6]
	rest := line[len(h[0]):]

	// SD-ELEMENT = "[" SD-ID *(SP SD-PARAM) "]"
	if !strings.HasPrefix(rest, "[") {
		return m, fmt.Errorf("no structured data: %q", rest)
	}
	rest = rest[1:]
	i := strings.IndexAny(rest, " ]")
	if i < 0 {
		return m, errors.New("unterminated SD-ID")
	}
	m.SDID, rest = rest[:i], rest[i:]
	m.Params = map[string]string{}
	for strings.HasPrefix(rest, " ") {
		rest = rest[1:]
		eq := strings.Index(rest, `="`)
		if eq < 0 {
			return m, fmt.Errorf("bad SD-PARAM: %q", rest)
		}
		name := rest[:eq]
		rest = rest[eq+2:]
		var v strings.Builder
		for {
			if rest == "" {
				return m, errors.New("unterminated PARAM-VALUE")
			}
			c := rest[0]
			rest = rest[1:]
			if c == '\\' && rest != "" && strings.IndexByte(`"\]`, rest[0]) >= 0 {
				v.WriteByte(rest[0])
				rest = rest[1:]
				continue
			}
			if c == '"' {
				break
			}
			if c == ']' {
				return m, fmt.Errorf("unescaped ] in PARAM-VALUE of %s", name)
			}
			v.WriteByte(c)
		}
		m.Params[name] = v.String()
	}
	if !strings.HasPrefix(rest, "] ") {
		return m, fmt.Errorf("SD-ELEMENT not closed: %q", rest)
	}
	m.Msg = rest[2:]
	return m, nil
}

func syslogRoute(network, addr string) *config.Route {
	return &config.Route{
		RouteSpec: config.RouteSpec{Name: "siem", Syslog: &config.SyslogSpec{Network: network, Address: addr}},
		Kind:      "syslog",
	}
}

// TestSyslogNetworks sends one message over each network to a real
// listener and parses what it gets.
func TestSyslogNetworks(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		network string
		listen  func(t *testing.T) (addr string, receive func() []byte)
		deframe func(t *testing.T, b []byte) string
	}{
		{
			name:    "udp",
			network: "udp",
			listen: func(t *testing.T) (string, func() []byte) {
				return listenPacket(t, "udp", "127.0.0.1:0")
			},
			deframe: func(t *testing.T, b []byte) string { return string(b) },
		},
		{
			name:    "tcp",
			network: "tcp",
			listen: func(t *testing.T) (string, func() []byte) {
				return listenStream(t, "tcp", "127.0.0.1:0")
			},
			deframe: func(t *testing.T, b []byte) string {
				// Octet counting: MSG-LEN SP SYSLOG-MSG, one frame.
				n, msg, ok := strings.Cut(string(b), " ")
				length, err := strconv.Atoi(n)
				if !ok || err != nil || length != len(msg) || n != strconv.Itoa(length) {
					t.Fatalf("frame %q: length %q does not count the %d bytes that follow", b, n, len(msg))
				}
				return msg
			},
		},
		{
			name:    "unix datagram",
			network: "unix",
			listen: func(t *testing.T) (string, func() []byte) {
				return listenPacket(t, "unixgram", filepath.Join(dir, "dgram.sock"))
			},
			deframe: func(t *testing.T, b []byte) string { return string(b) },
		},
		{
			name:    "unix stream",
			network: "unix",
			listen: func(t *testing.T) (string, func() []byte) {
				return listenStream(t, "unix", filepath.Join(dir, "stream.sock"))
			},
			deframe: func(t *testing.T, b []byte) string {
				msg, ok := strings.CutSuffix(string(b), "\n")
				if !ok || strings.Contains(msg, "\n") {
					t.Fatalf("stream %q is not one line", b)
				}
				return msg
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, receive := tt.listen(t)
			sink, err := New(syslogRoute(tt.network, addr), Options{Hostname: "scan01.example.com"})
			if err != nil {
				t.Fatal(err)
			}
			s := Summarize("nightly", "siem", "scan01", testTime, testViolations())
			if err := sink.Send(t.Context(), s); err != nil {
				t.Fatal(err)
			}
			line := tt.deframe(t, receive())
			m, err := parseSyslog(line)
			if err != nil {
				t.Fatal(err)
			}
			want := syslogMessage{
				Facility:  4, // auth
				Severity:  2, // crit: there is a critical violation
				Timestamp: "2025-03-04T05:06:07.000000Z",
				Hostname:  "scan01.example.com",
				AppName:   "piiscan",
				ProcID:    m.ProcID,
				MsgID:     "violations",
				SDID:      "piiscan@32473",
				Params:    map[string]string{"job": "nightly", "route": "siem", "total": "6", "new": "4"},
				Msg:       s.Subject() + " classes: email=3, credit_card=1, ip_address=1, us_ssn=1; top path: /var/log/app.log (2)",
			}
			if fmt.Sprint(m) != fmt.Sprint(want) {
				t.Errorf("got\n%+v\nwant\n%+v", m, want)
			}
			if _, err := strconv.Atoi(m.ProcID); err != nil {
				t.Errorf("PROCID %q is not a process id", m.ProcID)
			}
		})
	}
}

// listenPacket listens on a datagram socket and returns its address and a
// function that returns the next datagram.
func listenPacket(t *testing.T, network, addr string) (string, func() []byte) {
	t.Helper()
	pc, err := net.ListenPacket(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String(), func() []byte {
		buf := make([]byte, 65536)
		pc.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		return buf[:n]
	}
}

// listenStream listens on a stream socket and returns its address and a
// function that returns all that the next connection sends.
func listenStream(t *testing.T, network, addr string) (string, func() []byte) {
	t.Helper()
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.Addr().String(), func() []byte {
		c, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		b, err := io.ReadAll(c)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

func TestSyslogFormat(t *testing.T) {
	tests := []struct {
		name     string
		facility string
		job      string
		host     string
		vs       []Violation
		want     syslogMessage // the fields set are checked
		notBOM   bool
	}{
		{
			name: "severity high, facility local3",
			vs:   []Violation{{Severity: "high", Class: "email", Path: "/a"}, {Severity: "low", Class: "email", Path: "/a"}},
			want: syslogMessage{Facility: 19, Severity: 3}, facility: "local3", notBOM: true,
		},
		{
			name: "severity medium",
			vs:   []Violation{{Severity: "medium"}},
			want: syslogMessage{Facility: 4, Severity: 4},
		},
		{
			name: "severity low",
			vs:   []Violation{{Severity: "low"}},
			want: syslogMessage{Facility: 4, Severity: 5},
		},
		{
			name: "SD-PARAM escaping",
			job:  `a"b\c]d`,
			vs:   []Violation{{Severity: "critical"}},
			want: syslogMessage{Facility: 4, Severity: 2, Params: map[string]string{"job": `a"b\c]d`}},
		},
		{
			name: "no newlines",
			job:  "a\nb",
			vs:   []Violation{{Severity: "low", Class: "email", Path: "/evil\n<13>1 forged"}},
			want: syslogMessage{Params: map[string]string{"job": `a\nb`}},
		},
		{
			name: "host from summary",
			host: "scan 01",
			want: syslogMessage{Hostname: "scan_01"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := &config.SyslogSpec{Address: "127.0.0.1:514", Facility: tt.facility}
			sink, err := newSyslog(validSink(t, &config.Route{RouteSpec: config.RouteSpec{Syslog: spec}}).Syslog, Options{})
			if err != nil {
				t.Fatal(err)
			}
			host := "scan01"
			if tt.host != "" {
				host = tt.host
			}
			s := Summarize(cmpOr(tt.job, "nightly"), "siem", host, testTime, tt.vs)
			line := sink.format(s, 42)
			if strings.ContainsAny(line, "\r\n") {
				t.Errorf("line has a line break: %q", line)
			}
			m, err := parseSyslog(line)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want.Facility != 0 && (m.Facility != tt.want.Facility || m.Severity != tt.want.Severity) {
				t.Errorf("facility, severity = %d, %d; want %d, %d", m.Facility, m.Severity, tt.want.Facility, tt.want.Severity)
			}
			if tt.want.Hostname != "" && m.Hostname != tt.want.Hostname {
				t.Errorf("hostname %q, want %q", m.Hostname, tt.want.Hostname)
			}
			for k, v := range tt.want.Params {
				if m.Params[k] != v {
					t.Errorf("param %s = %q, want %q", k, m.Params[k], v)
				}
			}
			if tt.notBOM && strings.HasPrefix(m.Msg, "\ufeff") {
				t.Errorf("ASCII MSG starts with a BOM: %q", m.Msg)
			}
		})
	}
}

func TestSyslogTruncated(t *testing.T) {
	sink, err := newSyslog(validSink(t, &config.Route{RouteSpec: config.RouteSpec{Syslog: &config.SyslogSpec{Address: "127.0.0.1:514"}}}).Syslog, Options{Hostname: "h"})
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize("nightly", "siem", "h", testTime, []Violation{{Severity: "low", Class: "email", Path: strings.Repeat("é", 3000)}})
	line := sink.format(s, 42)
	if len(line) > maxSyslogMessage {
		t.Errorf("message of %d bytes, more than %d", len(line), maxSyslogMessage)
	}
	m, err := parseSyslog(line)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.Msg, "\ufeff") {
		t.Errorf("UTF-8 MSG does not start with a BOM: %q", m.Msg[:20])
	}
	if !strings.HasSuffix(line, "é") {
		t.Errorf("message not cut at a rune boundary: %q", line[len(line)-10:])
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
