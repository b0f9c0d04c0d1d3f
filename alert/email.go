package alert

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/piiscan/piiscan/config"
)

// emailTimeout bounds one Send when ctx has no earlier deadline.
const emailTimeout = time.Minute

// emailSink sends the alert over SMTP.
type emailSink struct {
	addr     string
	from     *mail.Address
	to       []*mail.Address
	starttls string
	tls      *tls.Config
	username string
	password string
	hostname string // ours, for EHLO and Message-ID
}

var _ Sink = (*emailSink)(nil)

func newEmail(spec *config.Email, opts Options) (*emailSink, error) {
	e := &emailSink{
		addr:     spec.Address,
		from:     spec.From,
		to:       spec.To,
		starttls: spec.StartTLS,
		tls: &tls.Config{
			ServerName:         spec.Host,
			MinVersion:         tls.VersionTLS12,
			InsecureSkipVerify: spec.InsecureSkipVerify,
		},
		username: spec.Username,
		hostname: opts.Hostname,
	}
	if spec.PasswordEnv != "" {
		var err error
		if e.password, err = config.Secret(spec.PasswordEnv); err != nil {
			return nil, fmt.Errorf("email password: %w", err)
		}
	}
	if !isDomainish(e.hostname) {
		e.hostname = "localhost"
	}
	return e, nil
}

func (e *emailSink) Kind() string { return "email" }

func (e *emailSink) Send(ctx context.Context, s Summary) error {
	ctx, cancel := context.WithTimeout(ctx, emailTimeout)
	defer cancel()
	if err := e.send(ctx, s); err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) && se.Code >= 500 {
			err = Permanent(err)
		}
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return fmt.Errorf("email via %s: %w", e.addr, err)
	}
	return nil
}

func (e *emailSink) send(ctx context.Context, s Summary) error {
	msg := e.message(s, time.Now())

	c, isTLS, err := e.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()

	if e.username != "" {
		if !isTLS {
			return Permanent(errors.New("the server offers no STARTTLS: not sending the password in the clear"))
		}
		if ok, _ := c.Extension("AUTH"); !ok {
			return Permanent(errors.New("the server does not offer SMTP AUTH"))
		}
		if err := c.Auth(sasl.NewPlainClient("", e.username, e.password)); err != nil {
			return fmt.Errorf("AUTH PLAIN: %w", err)
		}
	}
	to := make([]string, len(e.to))
	for i, a := range e.to {
		to[i] = a.Address
	}
	if err := c.SendMail(e.from.Address, to, bytes.NewReader(msg)); err != nil {
		return err
	}
	if err := c.Quit(); err != nil {
		// The server took the message: a retry would send it again.
		slog.DebugContext(ctx, "SMTP QUIT failed after the message was accepted", "address", e.addr, "error", err)
	}
	return nil
}

// connect opens an SMTP session according to the STARTTLS mode, and
// reports whether it runs over TLS. The connection is closed when ctx ends.
func (e *emailSink) connect(ctx context.Context) (c *smtp.Client, isTLS bool, err error) {
	conn, err := e.dial(ctx)
	if err != nil {
		return nil, false, err
	}
	if e.starttls == config.StartTLSOff {
		c, err = e.plain(conn)
		return c, false, err
	}
	c, err = e.startTLS(conn)
	switch {
	case err == nil:
		return c, true, nil
	case e.starttls == config.StartTLSRequired || ctx.Err() != nil:
		return nil, false, err
	}
	// Opportunistic: go-smtp cannot continue a session whose STARTTLS
	// failed (or was not offered), so start again without TLS.
	slog.WarnContext(ctx, "sending the email alert without TLS", "address", e.addr, "reason", err)
	if conn, err = e.dial(ctx); err != nil {
		return nil, false, err
	}
	c, err = e.plain(conn)
	return c, false, err
}

// dial connects to the server; the connection is closed when ctx ends,
// which aborts whatever command is in progress.
func (e *emailSink) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", e.addr)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	return &afterFuncConn{Conn: conn, stop: stop}, nil
}

// afterFuncConn stops a context.AfterFunc when the connection is closed.
type afterFuncConn struct {
	net.Conn
	stop func() bool
}

func (c *afterFuncConn) Close() error {
	c.stop()
	return c.Conn.Close()
}

func (e *emailSink) plain(conn net.Conn) (*smtp.Client, error) {
	c := smtp.NewClient(conn)
	if err := c.Hello(e.hostname); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (e *emailSink) startTLS(conn net.Conn) (*smtp.Client, error) {
	c, err := smtp.NewClientStartTLS(conn, e.tls)
	if err != nil {
		return nil, fmt.Errorf("STARTTLS: %w", err)
	}
	// The TLS handshake happens here, on the first command after STARTTLS.
	if err := c.Hello(e.hostname); err != nil {
		c.Close()
		return nil, fmt.Errorf("STARTTLS: %w", err)
	}
	return c, nil
}

// message returns the RFC 5322 message of s, dated date.
func (e *emailSink) message(s Summary, date time.Time) []byte {
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", e.from.String())
	to := make([]string, len(e.to))
	for i, a := range e.to {
		to[i] = a.String()
	}
	header("To", strings.Join(to, ",\r\n "))
	header("Subject", mime.QEncoding.Encode("utf-8", s.Subject()))
	header("Date", date.Format(time.RFC1123Z))
	header("Message-ID", "<"+s.ID+"@"+e.hostname+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Auto-Submitted", "auto-generated")
	header(IDHeader, s.ID)

	body := s.Text()
	if is7bit(body) {
		header("Content-Transfer-Encoding", "7bit")
		b.WriteString("\r\n")
		b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
		return b.Bytes()
	}
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(body)) // a bytes.Buffer does not fail
	qp.Close()
	return b.Bytes()
}

// is7bit reports whether s is ASCII with lines short enough for SMTP.
func is7bit(s string) bool {
	for line := range strings.Lines(s) {
		if len(line) > 998 {
			return false
		}
		for i := 0; i < len(line); i++ {
			if c := line[i]; c >= 0x80 || c == 0 || c == '\r' {
				return false
			}
		}
	}
	return true
}

// isDomainish reports whether s can stand for this host in EHLO and on the
// right of a Message-ID.
func isDomainish(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
