package alert

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
)

// syslogTimeout bounds one Send when ctx has no earlier deadline.
const syslogTimeout = 10 * time.Second

// maxSyslogMessage is the longest message sent, in bytes: the size every
// receiver should take over UDP (RFC 5426, section 3.2).
const maxSyslogMessage = 2048

// syslogSD is the SD-ID of the structured data. 32473 is the private
// enterprise number reserved for documentation (RFC 5612).
const syslogSD = "piiscan@32473"

// syslogSink sends one RFC 5424 message per alert.
type syslogSink struct {
	network  string // udp, tcp or unix
	address  string
	facility int
	appName  string
	hostname string
}

var _ Sink = (*syslogSink)(nil)

func newSyslog(spec *config.Syslog, opts Options) (*syslogSink, error) {
	return &syslogSink{
		network:  spec.Network,
		address:  spec.Address,
		facility: spec.Facility,
		appName:  spec.Tag,
		hostname: opts.Hostname,
	}, nil
}

func (l *syslogSink) Kind() string { return "syslog" }

func (l *syslogSink) Send(ctx context.Context, s Summary) error {
	ctx, cancel := context.WithTimeout(ctx, syslogTimeout)
	defer cancel()
	if err := l.send(ctx, l.format(s, os.Getpid())); err != nil {
		return fmt.Errorf("syslog %s %s: %w", l.network, l.address, err)
	}
	return nil
}

func (l *syslogSink) send(ctx context.Context, msg string) error {
	conn, stream, err := l.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()

	frame := msg
	switch {
	case l.network == "tcp":
		// Octet counting (RFC 6587, section 3.4.1).
		frame = strconv.Itoa(len(msg)) + " " + msg
	case stream:
		// A Unix stream socket takes messages one per line, as
		// log/syslog sends them.
		frame = msg + "\n"
	}
	if _, err := conn.Write([]byte(frame)); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return err
	}
	return nil
}

// dial connects to the receiver and reports whether the connection is a
// stream. A Unix socket is tried as a datagram socket first.
func (l *syslogSink) dial(ctx context.Context) (conn net.Conn, stream bool, err error) {
	var d net.Dialer
	switch l.network {
	case "unix":
		conn, err := d.DialContext(ctx, "unixgram", l.address)
		if err == nil {
			return conn, false, nil
		}
		conn, err2 := d.DialContext(ctx, "unix", l.address)
		if err2 == nil {
			return conn, true, nil
		}
		return nil, false, errors.Join(err, err2)
	case "tcp":
		conn, err := d.DialContext(ctx, "tcp", l.address)
		return conn, true, err
	default:
		conn, err := d.DialContext(ctx, "udp", l.address)
		return conn, false, err
	}
}

// format returns the RFC 5424 message of s:
//
//	<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [piiscan@32473 ...] MSG
//
// where MSG is one line, at most maxSyslogMessage bytes in all.
func (l *syslogSink) format(s Summary, pid int) string {
	ts := "-"
	if !s.Time.IsZero() {
		ts = s.Time.Format("2006-01-02T15:04:05.000000Z07:00")
	}
	head := fmt.Sprintf("<%d>1 %s %s %s %d violations [%s job=\"%s\" route=\"%s\" total=\"%d\" new=\"%d\"] ",
		l.facility*8+syslogSeverity(s), ts,
		headerField(cmp.Or(l.hostname, s.Host), 255), headerField(l.appName, 48), pid,
		syslogSD, sdEscape(s.Job), sdEscape(s.Route), s.Total, s.New)

	msg := syslogText(s)
	isASCII := true
	for i := 0; i < len(msg); i++ {
		if msg[i] >= utf8.RuneSelf {
			isASCII = false
			break
		}
	}
	if !isASCII {
		// RFC 5424, section 6.4: a UTF-8 MSG starts with a BOM.
		msg = "\ufeff" + msg
	}
	return head + truncateBytes(msg, max(maxSyslogMessage-len(head), 0))
}

// syslogSeverity maps the highest severity in s to a syslog severity:
// critical to crit (2), high to err (3), medium to warning (4), and low (or
// none) to notice (5).
func syslogSeverity(s Summary) int {
	highest := finding.Severity(0)
	for name, n := range s.BySeverity {
		if sev, err := finding.ParseSeverity(name); err == nil && n > 0 {
			highest = max(highest, sev)
		}
	}
	switch highest {
	case finding.SeverityCritical:
		return 2
	case finding.SeverityHigh:
		return 3
	case finding.SeverityMedium:
		return 4
	}
	return 5
}

// syslogText is the one-line MSG of s: the subject, the counts by class and
// the top path.
func syslogText(s Summary) string {
	var b strings.Builder
	b.WriteString(s.Subject())
	if counts := sortedCounts(s.ByClass, false); len(counts) > 0 {
		b.WriteString(" classes:")
		for i, c := range counts {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, " %s=%d", c.name, c.n)
		}
		b.WriteByte(';')
	}
	if len(s.TopPaths) > 0 {
		p := s.TopPaths[0]
		fmt.Fprintf(&b, " top path: %s (%d)", orNone(p.Path), p.Count)
	}
	return b.String()
}

// headerField makes s a valid RFC 5424 header field: printable ASCII
// without spaces, at most n bytes, "-" when empty.
func headerField(s string, n int) string {
	b := []byte(s)
	for i, c := range b {
		if c < 33 || c > 126 {
			b[i] = '_'
		}
	}
	return cmp.Or(truncateBytes(string(b), n), "-")
}

var sdEscaper = strings.NewReplacer(`"`, `\"`, `\`, `\\`, `]`, `\]`)

// sdEscape escapes an SD-PARAM value: '"', '\' and ']' (RFC 5424,
// section 6.3.3), after control characters.
func sdEscape(s string) string { return sdEscaper.Replace(oneLine(strings.ToValidUTF8(s, "?"))) }

// truncateBytes returns at most n bytes of s, cut at a rune boundary.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
