package config

import (
	"cmp"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Sink is the validated sink of an alert route: exactly one field is set
// on a route of a loaded Config. The alert package builds the sink from it
// as it is, without checking it again.
type Sink struct {
	Webhook *Webhook
	Slack   *SlackSpec // the URL is a secret, read when the sink is made
	Email   *Email
	Syslog  *Syslog
	SNS     *SNS
}

// Webhook is a validated webhook sink (see WebhookSpec).
type Webhook struct {
	URL       *url.URL // http or https, with a host
	SecretEnv string
	Headers   map[string]string
	Timeout   time.Duration // 0: the HTTP client's
}

// Email is a validated email sink (see EmailSpec).
type Email struct {
	Address string // host:port
	Host    string // of Address
	From    *mail.Address
	To      []*mail.Address // at least one
	// StartTLS is StartTLSRequired, StartTLSOpportunistic or StartTLSOff.
	StartTLS string
	// Username, when set, comes with PasswordEnv and STARTTLS.
	Username           string
	PasswordEnv        string
	InsecureSkipVerify bool
}

// STARTTLS modes of an email sink.
const (
	StartTLSRequired      = "required"
	StartTLSOpportunistic = "opportunistic"
	StartTLSOff           = "off"
)

// Syslog is a validated syslog sink (see SyslogSpec).
type Syslog struct {
	Network  string // udp, tcp or unix
	Address  string
	Facility int    // number of the facility (auth, 4, when unset)
	Tag      string // APP-NAME
}

// SNS is a validated SNS sink (see SNSSpec).
type SNS struct {
	TopicARN string
	Topic    arn.ARN // TopicARN parsed; its service is sns
	Region   string
	Endpoint string
}

// SinkError is a bad setting of an alert sink.
type SinkError struct {
	// Key is the setting below the route: webhook.url, email.to[1].
	Key []any
	Msg string
}

func (e *SinkError) Error() string { return keyString(e.Key) + ": " + e.Msg }

// SinkErrors are the bad settings of a route's sink, reported together.
type SinkErrors []*SinkError

func (es SinkErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// ValidateSink validates the sink settings of rs, every sink that is set,
// and returns them typed. The error, a SinkErrors, names each bad setting.
// Config validation calls it for every route; it is exported for routes
// built without a Config.
func (rs *RouteSpec) ValidateSink() (Sink, error) {
	s, errs := rs.sink()
	if len(errs) > 0 {
		return s, errs
	}
	return s, nil
}

// sink is ValidateSink.
func (rs *RouteSpec) sink() (Sink, SinkErrors) {
	var (
		s    Sink
		errs SinkErrors
	)
	bad := func(key []any, format string, args ...any) {
		errs = append(errs, &SinkError{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if w := rs.Webhook; w != nil {
		s.Webhook = w.validate(bad)
	}
	if sl := rs.Slack; sl != nil {
		if (sl.URL == "") == (sl.URLEnv == "") {
			bad([]any{"slack"}, "set url or url_env (the webhook URL is a secret: prefer url_env)")
		}
		s.Slack = sl
	}
	if e := rs.Email; e != nil {
		s.Email = e.validate(bad)
	}
	if sl := rs.Syslog; sl != nil {
		s.Syslog = sl.validate(bad)
	}
	if sn := rs.SNS; sn != nil {
		s.SNS = sn.validate(bad)
	}
	return s, errs
}

// badFunc reports a bad setting at key, below the route.
type badFunc func(key []any, format string, args ...any)

func (w *WebhookSpec) validate(bad badFunc) *Webhook {
	v := &Webhook{SecretEnv: w.SecretEnv, Headers: w.Headers}
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		shown := w.URL
		if err == nil {
			shown = u.Redacted() // a password in the URL is not for the error
		}
		bad([]any{"webhook", "url"}, "invalid URL %q (want http:// or https://)", shown)
	}
	v.URL = u
	if v.Timeout, err = parsePositive(w.Timeout, 0, "10s"); err != nil {
		bad([]any{"webhook", "timeout"}, "%v", err)
	}
	return v
}

func (e *EmailSpec) validate(bad badFunc) *Email {
	v := &Email{Address: e.Address, StartTLS: cmp.Or(e.StartTLS, StartTLSRequired), Username: e.Username,
		PasswordEnv: e.PasswordEnv, InsecureSkipVerify: e.InsecureSkipVerify}
	host, _, err := net.SplitHostPort(e.Address)
	if err != nil {
		bad([]any{"email", "address"}, "want host:port, got %q", e.Address)
	}
	v.Host = host
	if v.From, err = mail.ParseAddress(e.From); err != nil {
		bad([]any{"email", "from"}, "invalid address %q", e.From)
	}
	if len(e.To) == 0 {
		bad([]any{"email", "to"}, "no recipients")
	}
	for k, to := range e.To {
		a, err := mail.ParseAddress(to)
		if err != nil {
			bad([]any{"email", "to", k}, "invalid address %q", to)
		}
		v.To = append(v.To, a)
	}
	switch e.StartTLS {
	case "", StartTLSRequired, StartTLSOpportunistic, StartTLSOff:
	default:
		bad([]any{"email", "starttls"}, "unknown value %q (want required, opportunistic or off)", e.StartTLS)
	}
	if e.Username != "" && e.StartTLS == StartTLSOff {
		bad([]any{"email", "username"}, "SMTP AUTH sends the password: it needs starttls")
	} else if e.Username != "" && e.PasswordEnv == "" {
		bad([]any{"email", "username"}, "username without password_env")
	}
	return v
}

func (s *SyslogSpec) validate(bad badFunc) *Syslog {
	v := &Syslog{Network: cmp.Or(s.Network, "udp"), Address: s.Address, Facility: syslogFacility(s.Facility),
		Tag: cmp.Or(s.Tag, "piiscan")}
	switch s.Network {
	case "", "udp", "tcp", "unix":
	default:
		bad([]any{"syslog", "network"}, "unknown network %q (want udp, tcp or unix)", s.Network)
	}
	if s.Address == "" {
		bad([]any{"syslog", "address"}, "missing address")
	}
	if v.Facility < 0 {
		bad([]any{"syslog", "facility"}, "unknown facility %q", s.Facility)
	}
	return v
}

// syslogFacility returns the number of a facility name (-1 if unknown).
func syslogFacility(name string) int {
	names := []string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
		"ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}
	if name == "" {
		return 4 // auth
	}
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

func (s *SNSSpec) validate(bad badFunc) *SNS {
	v := &SNS{TopicARN: s.TopicARN, Region: s.Region, Endpoint: s.Endpoint}
	topic, err := arn.Parse(s.TopicARN)
	if err != nil || topic.Service != "sns" {
		bad([]any{"sns", "topic_arn"}, "want a topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME), got %q", s.TopicARN)
	}
	v.Topic = topic
	return v
}
