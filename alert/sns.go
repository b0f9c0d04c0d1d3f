package alert

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/piiscan/piiscan/config"
)

// SNS limits.
const (
	// maxSNSSubject: SNS wants a subject "less than 100 characters long".
	maxSNSSubject = 99
	// maxSNSMessage is the largest message SNS takes, in bytes.
	maxSNSMessage = 256 * 1024
)

// snsSink publishes the alert to an SNS topic.
type snsSink struct {
	client *sns.Client
	topic  string
	fifo   bool
}

var _ Sink = (*snsSink)(nil)

func newSNS(spec *config.SNS, opts Options) (*snsSink, error) {
	topic := spec.Topic
	var (
		cfg aws.Config
		err error
	)
	if opts.AWS != nil {
		cfg = opts.AWS.Copy()
	} else {
		var lo []func(*awsconfig.LoadOptions) error
		if spec.Region != "" {
			lo = append(lo, awsconfig.WithRegion(spec.Region))
		}
		if opts.HTTPClient != nil {
			lo = append(lo, awsconfig.WithHTTPClient(opts.HTTPClient))
		}
		// Loading reads the environment and the shared files; credentials
		// are resolved at the first request, with its context.
		if cfg, err = awsconfig.LoadDefaultConfig(context.Background(), lo...); err != nil {
			return nil, fmt.Errorf("sns: loading AWS configuration: %w", err)
		}
	}
	switch {
	case spec.Region != "":
		cfg.Region = spec.Region
	case cfg.Region == "":
		cfg.Region = topic.Region
	}
	client := sns.NewFromConfig(cfg, func(o *sns.Options) {
		if spec.Endpoint != "" {
			o.BaseEndpoint = aws.String(spec.Endpoint)
		}
		// Deliver retries, with its own policy.
		o.Retryer = aws.NopRetryer{}
	})
	return &snsSink{
		client: client,
		topic:  spec.TopicARN,
		fifo:   strings.HasSuffix(topic.Resource, ".fifo"),
	}, nil
}

func (n *snsSink) Kind() string { return "sns" }

func (n *snsSink) Send(ctx context.Context, s Summary) error {
	in := &sns.PublishInput{
		TopicArn:          aws.String(n.topic),
		Subject:           aws.String(snsSubject(s.Subject())),
		Message:           aws.String(truncateBytes(strings.ToValidUTF8(s.Text(), "?"), maxSNSMessage)),
		MessageAttributes: map[string]types.MessageAttributeValue{},
	}
	for k, v := range map[string]string{"job": s.Job, "route": s.Route, "alert_id": s.ID} {
		if v != "" { // SNS rejects empty attribute values
			in.MessageAttributes[k] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
		}
	}
	if n.fifo {
		in.MessageGroupId = aws.String(s.Route)
		in.MessageDeduplicationId = aws.String(s.ID)
	}
	if _, err := n.client.Publish(ctx, in); err != nil {
		err = fmt.Errorf("sns publish to %s: %w", n.topic, err)
		if snsPermanent(err) {
			return Permanent(err)
		}
		return err
	}
	return nil
}

// snsPermanent reports whether err is a 4xx response other than a timeout
// or throttling.
func snsPermanent(err error) bool {
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) || !permanentStatus(re.HTTPStatusCode()) {
		return false
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if _, throttled := retry.DefaultThrottleErrorCodes[ae.ErrorCode()]; throttled {
			return false
		}
	}
	return true
}

// snsSubject makes s an SNS subject: printable ASCII, no line breaks,
// starting with a letter, digit or punctuation mark, less than 100
// characters long.
func snsSubject(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r > '~' {
			return '?'
		}
		return r
	}, strings.TrimSpace(s))
	if len(s) > maxSNSSubject {
		s = s[:maxSNSSubject-3] + "..."
	}
	if s == "" {
		return "piiscan alert"
	}
	return s
}
