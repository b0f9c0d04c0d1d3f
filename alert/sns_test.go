package alert

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/piiscan/piiscan/config"
)

// snsPublish is a Publish request an snsReceiver got.
type snsPublish struct {
	Form          url.Values
	Body          []byte
	Authorization string
	Attributes    map[string]string // name to "DataType:StringValue"
}

// snsReceiver implements the Publish action of the SNS Query API. With
// errorCode set, it answers with that error and status.
type snsReceiver struct {
	*httptest.Server
	errorCode string
	status    int

	mu        sync.Mutex
	publishes []snsPublish
}

func newSNSReceiver(t *testing.T, errorCode string, status int) *snsReceiver {
	t.Helper()
	r := &snsReceiver{errorCode: errorCode, status: status}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *snsReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	form, err := url.ParseQuery(string(body))
	if err != nil || req.Method != http.MethodPost || !strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		r.fail(w, http.StatusBadRequest, "MalformedQueryString")
		return
	}
	if form.Get("Action") != "Publish" || form.Get("Version") != "2010-03-31" {
		r.fail(w, http.StatusBadRequest, "InvalidAction")
		return
	}
	p := snsPublish{Form: form, Body: body, Authorization: req.Header.Get("Authorization"), Attributes: map[string]string{}}
	for i := 1; form.Has(fmt.Sprintf("MessageAttributes.entry.%d.Name", i)); i++ {
		prefix := fmt.Sprintf("MessageAttributes.entry.%d.", i)
		p.Attributes[form.Get(prefix+"Name")] = form.Get(prefix+"Value.DataType") + ":" + form.Get(prefix+"Value.StringValue")
	}
	r.mu.Lock()
	r.publishes = append(r.publishes, p)
	r.mu.Unlock()
	if r.errorCode != "" {
		r.fail(w, r.status, r.errorCode)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <PublishResult><MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId></PublishResult>
  <ResponseMetadata><RequestId>f187a3c1-376f-11df-8963-01868b7c937a</RequestId></ResponseMetadata>
</PublishResponse>`)
}

func (r *snsReceiver) fail(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <Error><Type>Sender</Type><Code>%s</Code><Message>test error</Message></Error>
  <RequestId>42d59b56-7407-4c4a-be0f-4c88daeea257</RequestId>
</ErrorResponse>`, code)
}

func (r *snsReceiver) Publishes() []snsPublish {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]snsPublish(nil), r.publishes...)
}

func snsRoute(topic, region, endpoint string) *config.Route {
	return &config.Route{
		RouteSpec: config.RouteSpec{Name: "pager", SNS: &config.SNSSpec{TopicARN: topic, Region: region, Endpoint: endpoint}},
		Kind:      "sns",
	}
}

func testAWSConfig(region string) *aws.Config {
	return &aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""),
	}
}

func TestSNS(t *testing.T) {
	tests := []struct {
		name       string
		topic      string
		awsRegion  string // of Options.AWS
		region     string // of the route
		wantRegion string
		fifo       bool
	}{
		{name: "standard topic", topic: "arn:aws:sns:us-east-1:123456789012:alerts", awsRegion: "us-east-1", wantRegion: "us-east-1"},
		{name: "route region wins", topic: "arn:aws:sns:eu-west-1:123456789012:alerts", awsRegion: "us-east-1", region: "eu-west-1", wantRegion: "eu-west-1"},
		{name: "region from ARN", topic: "arn:aws:sns:ap-south-1:123456789012:alerts", wantRegion: "ap-south-1"},
		{name: "FIFO topic", topic: "arn:aws:sns:us-east-1:123456789012:alerts.fifo", awsRegion: "us-east-1", wantRegion: "us-east-1", fifo: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newSNSReceiver(t, "", 0)
			sink, err := New(snsRoute(tt.topic, tt.region, rcv.URL), Options{AWS: testAWSConfig(tt.awsRegion)})
			if err != nil {
				t.Fatal(err)
			}
			if sink.Kind() != "sns" {
				t.Errorf("Kind() = %q", sink.Kind())
			}
			s := Summarize("nightly", "pager", "scan01", testTime, testViolations())
			if err := Deliver(t.Context(), sink, s, fastRetry); err != nil {
				t.Fatal(err)
			}
			ps := rcv.Publishes()
			if len(ps) != 1 {
				t.Fatalf("%d publishes, want 1", len(ps))
			}
			p := ps[0]
			for k, want := range map[string]string{
				"TopicArn": tt.topic,
				"Subject":  s.Subject(),
				"Message":  s.Text(),
			} {
				if got := p.Form.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			wantAttrs := map[string]string{"job": "String:nightly", "route": "String:pager", "alert_id": "String:" + s.ID}
			if fmt.Sprint(p.Attributes) != fmt.Sprint(wantAttrs) {
				t.Errorf("message attributes %v, want %v", p.Attributes, wantAttrs)
			}
			if scope := "/" + tt.wantRegion + "/sns/aws4_request"; !strings.Contains(p.Authorization, "Credential=AKIDTEST/") || !strings.Contains(p.Authorization, scope) {
				t.Errorf("Authorization %q, want a signature of AKIDTEST for %s", p.Authorization, scope)
			}
			if tt.fifo {
				if p.Form.Get("MessageGroupId") != "pager" || p.Form.Get("MessageDeduplicationId") != s.ID {
					t.Errorf("FIFO: group %q, deduplication id %q", p.Form.Get("MessageGroupId"), p.Form.Get("MessageDeduplicationId"))
				}
			} else if p.Form.Has("MessageGroupId") {
				t.Error("MessageGroupId set for a standard topic")
			}
		})
	}
}

func TestSNSErrors(t *testing.T) {
	tests := []struct {
		code      string
		status    int
		permanent bool
		publishes int
	}{
		{"InvalidParameter", http.StatusBadRequest, true, 1},
		{"AuthorizationError", http.StatusForbidden, true, 1},
		{"NotFound", http.StatusNotFound, true, 1},
		{"Throttling", http.StatusBadRequest, false, 3},
		{"InternalError", http.StatusInternalServerError, false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			rcv := newSNSReceiver(t, tt.code, tt.status)
			sink, err := New(snsRoute("arn:aws:sns:us-east-1:123456789012:alerts", "", rcv.URL), Options{AWS: testAWSConfig("us-east-1")})
			if err != nil {
				t.Fatal(err)
			}
			err = Deliver(t.Context(), sink, Summarize("j", "r", "h", testTime, nil), fastRetry)
			if err == nil || IsPermanent(err) != tt.permanent || !strings.Contains(err.Error(), tt.code) {
				t.Errorf("Deliver = %v (permanent %v), want a permanent %v error with %s", err, IsPermanent(err), tt.permanent, tt.code)
			}
			if n := len(rcv.Publishes()); n != tt.publishes {
				t.Errorf("%d publishes, want %d (the SDK must not retry on its own)", n, tt.publishes)
			}
		})
	}
}

func TestSNSSubject(t *testing.T) {
	tests := []struct{ in, want string }{
		{"piiscan: 1 new violation (job a, route b)", "piiscan: 1 new violation (job a, route b)"},
		{"  spaced\n", "spaced"},
		{"a\nb\tc…d", "a?b?c?d"},
		{"", "piiscan alert"},
		{strings.Repeat("x", 150), strings.Repeat("x", 96) + "..."},
	}
	for _, tt := range tests {
		got := snsSubject(tt.in)
		if got != tt.want {
			t.Errorf("snsSubject(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if len(got) >= 100 {
			t.Errorf("snsSubject(%q) has %d characters", tt.in, len(got))
		}
	}
}
