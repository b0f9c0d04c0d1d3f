package alert

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/piiscan/piiscan/config"
)

// smtpBackend is an SMTP server backend that records the messages it
// takes. With user set, it offers AUTH PLAIN (over TLS only) and requires
// it.
type smtpBackend struct {
	user, pass string

	mu   sync.Mutex
	msgs []smtpMessage
}

// smtpMessage is a message an smtpBackend took.
type smtpMessage struct {
	From string
	To   []string
	Data []byte
	TLS  bool // the session ran over TLS
	User string
}

func (b *smtpBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &smtpSession{b: b, conn: c}, nil
}

func (b *smtpBackend) Messages() []smtpMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.msgs)
}

type smtpSession struct {
	b    *smtpBackend
	conn *smtp.Conn
	user string
	from string
	to   []string
}

func (s *smtpSession) AuthMechanisms() []string {
	if s.b.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.b.user || password != s.b.pass {
			return smtp.ErrAuthFailed
		}
		s.user = username
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, opts *smtp.MailOptions) error {
	if s.b.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, opts *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, smtpMessage{From: s.from, To: s.to, Data: data, TLS: isTLS, User: s.user})
	s.b.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.from, s.to = "", nil }
func (s *smtpSession) Logout() error { return nil }

// startSMTP runs an SMTP server for be on 127.0.0.1, with STARTTLS if
// withTLS, and returns its address.
func startSMTP(t *testing.T, be *smtpBackend, withTLS bool) string {
	t.Helper()
	srv := smtp.NewServer(be)
	srv.Domain = "mx.test"
	srv.ReadTimeout = 5 * time.Second
	srv.WriteTimeout = 5 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if withTLS {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{selfSignedCert(t)}}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// selfSignedCert returns a certificate for localhost and 127.0.0.1.
func selfSignedCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func emailRoute(addr string) *config.Route {
	return &config.Route{
		RouteSpec: config.RouteSpec{Name: "mail", Email: &config.EmailSpec{
			Address:            addr,
			From:               "piiscan <piiscan@example.com>",
			To:                 []string{"sec@example.com", "Ops Team <ops@example.com>"},
			InsecureSkipVerify: true,
		}},
		Kind: "email",
	}
}

func TestEmail(t *testing.T) {
	const password = "s3cret pass"
	t.Setenv("PIISCAN_TEST_SMTP_PASSWORD", password)
	t.Setenv("PIISCAN_TEST_SMTP_WRONG", "wrong")
	tests := []struct {
		name       string
		serverTLS  bool
		serverAuth bool
		starttls   string
		auth       string // password_env; "" for no AUTH
		verify     bool   // verify the (self-signed) certificate
		wantErr    bool
		permanent  bool
		wantTLS    bool
	}{
		{name: "required with auth", serverTLS: true, serverAuth: true, auth: "PIISCAN_TEST_SMTP_PASSWORD", wantTLS: true},
		{name: "required without auth", serverTLS: true, starttls: "required", wantTLS: true},
		{name: "required, server without TLS", wantErr: true},
		{name: "required, certificate not trusted", serverTLS: true, verify: true, wantErr: true},
		{name: "wrong password", serverTLS: true, serverAuth: true, auth: "PIISCAN_TEST_SMTP_WRONG", wantErr: true, permanent: true},
		{name: "auth required by server", serverTLS: true, serverAuth: true, wantErr: true, permanent: true},
		{name: "opportunistic without TLS", starttls: "opportunistic"},
		{name: "opportunistic with TLS", serverTLS: true, starttls: "opportunistic", wantTLS: true},
		{name: "opportunistic, TLS fails", serverTLS: true, starttls: "opportunistic", verify: true},
		{name: "opportunistic without TLS keeps the password", serverAuth: true, starttls: "opportunistic", auth: "PIISCAN_TEST_SMTP_PASSWORD", wantErr: true, permanent: true},
		{name: "off", serverTLS: true, starttls: "off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be := &smtpBackend{}
			if tt.serverAuth {
				be.user, be.pass = "alerts", password
			}
			route := emailRoute(startSMTP(t, be, tt.serverTLS))
			route.Email.StartTLS = tt.starttls
			route.Email.InsecureSkipVerify = !tt.verify
			if tt.auth != "" {
				route.Email.Username, route.Email.PasswordEnv = "alerts", tt.auth
			}
			sink, err := New(route, Options{Hostname: "scan01.example.com"})
			if err != nil {
				t.Fatal(err)
			}
			s := Summarize("nightly", "mail", "scan01", testTime, testViolations())
			err = sink.Send(t.Context(), s)
			if (err != nil) != tt.wantErr || IsPermanent(err) != tt.permanent {
				t.Fatalf("Send = %v (permanent %v), want error %v, permanent %v", err, IsPermanent(err), tt.wantErr, tt.permanent)
			}
			msgs := be.Messages()
			if tt.wantErr {
				if len(msgs) != 0 {
					t.Errorf("server got %d messages after an error", len(msgs))
				}
				return
			}
			if len(msgs) != 1 {
				t.Fatalf("server got %d messages, want 1", len(msgs))
			}
			m := msgs[0]
			if m.TLS != tt.wantTLS {
				t.Errorf("TLS = %v, want %v", m.TLS, tt.wantTLS)
			}
			if want := map[bool]string{true: "alerts"}[tt.auth != ""]; m.User != want {
				t.Errorf("authenticated as %q, want %q", m.User, want)
			}
			checkEmail(t, m, s)
		})
	}
}

// checkEmail checks the envelope, headers and body of the message of s.
func checkEmail(t *testing.T, m smtpMessage, s Summary) {
	t.Helper()
	if m.From != "piiscan@example.com" || !slices.Equal(m.To, []string{"sec@example.com", "ops@example.com"}) {
		t.Errorf("envelope from %q to %q", m.From, m.To)
	}
	if bytes.Contains(bytes.ReplaceAll(m.Data, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("message has a bare LF")
	}
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("message does not parse: %v\n%s", err, m.Data)
	}
	h := msg.Header
	if from, err := mail.ParseAddress(h.Get("From")); err != nil || from.Address != "piiscan@example.com" || from.Name != "piiscan" {
		t.Errorf("From: %q (%v)", h.Get("From"), err)
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 2 || to[0].Address != "sec@example.com" || to[1].Address != "ops@example.com" || to[1].Name != "Ops Team" {
		t.Errorf("To: %q (%v)", h.Get("To"), err)
	}
	if subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject")); err != nil || subject != s.Subject() {
		t.Errorf("Subject: %q (%v), want %q", subject, err, s.Subject())
	}
	if date, err := h.Date(); err != nil || time.Since(date) > time.Minute {
		t.Errorf("Date: %q (%v)", h.Get("Date"), err)
	}
	if got, want := h.Get("Message-Id"), "<"+s.ID+"@scan01.example.com>"; got != want {
		t.Errorf("Message-ID: %q, want %q", got, want)
	}
	if h.Get("MIME-Version") != "1.0" {
		t.Errorf("MIME-Version: %q", h.Get("MIME-Version"))
	}
	if mt, params, err := mime.ParseMediaType(h.Get("Content-Type")); err != nil || mt != "text/plain" || params["charset"] != "utf-8" {
		t.Errorf("Content-Type: %q", h.Get("Content-Type"))
	}
	var body io.Reader = msg.Body
	switch cte := h.Get("Content-Transfer-Encoding"); cte {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "7bit":
	default:
		t.Errorf("Content-Transfer-Encoding: %q", cte)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ReplaceAll(string(b), "\r\n", "\n"); got != s.Text() {
		t.Errorf("body\n%s\nwant\n%s", got, s.Text())
	}
}

func TestEmail7bit(t *testing.T) {
	be := &smtpBackend{}
	route := emailRoute(startSMTP(t, be, false))
	route.Email.StartTLS = "off"
	sink, err := New(route, Options{Hostname: "scan01.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize("nightly", "mail", "scan01", testTime, []Violation{
		{Class: "email", Severity: "low", Path: "/a", Line: 1, Masked: "a***@example.com", Fingerprint: "ff"},
		{Class: "email", Severity: "low", Path: ".hidden", Line: 1, Masked: ".", Fingerprint: "ff"},
	})
	if err := sink.Send(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	m := be.Messages()[0]
	if !bytes.Contains(m.Data, []byte("\r\nContent-Transfer-Encoding: 7bit\r\n")) {
		t.Errorf("ASCII message not sent as 7bit:\n%s", m.Data)
	}
	checkEmail(t, m, s)
}

func TestEmailContext(t *testing.T) {
	// A server that accepts the connection and says nothing.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	sink, err := New(emailRoute(l.Addr().String()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = sink.Send(ctx, Summarize("j", "r", "h", testTime, nil))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Send took %v", d)
	}
}
