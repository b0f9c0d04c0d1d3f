// Package bucket reads S3 and S3-compatible object storage as a source:
// s3://bucket/prefix is walked like a directory. Objects are listed page by
// page in key order, filtered by name, size and age before anything is
// downloaded, and streamed (a GET that breaks mid-way resumes with a
// ranged GET of the same version). Credentials and region come the AWS
// SDK's standard way (environment, shared config and profiles, IRSA and
// pod identity, instance roles).
package bucket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/scanners/source"
)

// DefaultConcurrency is the number of objects read at once unless
// Options.Concurrency says otherwise: enough to hide request latency.
const DefaultConcurrency = 16

// Options configure access to object storage. Empty fields take the SDK's
// defaults (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, ...).
type Options struct {
	Region   string
	Profile  string
	Endpoint string
	// PathStyle addresses buckets as endpoint/bucket (most S3-compatible
	// stores want it).
	PathStyle bool
	// MaxAttempts bounds the attempts of each request (default 10).
	MaxAttempts int
	// Concurrency is how many requests run at once; the HTTP client keeps
	// that many connections open for reuse (default 16).
	Concurrency int
	// Filters applied to listed objects before any GET.
	Include, Exclude []string
	MaxSize          int64         // skip larger objects (0: no limit)
	NewerThan        time.Duration // skip objects modified longer ago (0: no limit)
	Now              time.Time
	// StartAfter resumes listings: target -> the last key fully scanned.
	StartAfter map[string]string
	// ReportMissing makes Walk report a target that names nothing as
	// missing (source.ErrMissing), as a local path that does not exist
	// is: for targets a user named. Without it such a target yields no
	// items and no error, as a location's prefix where nothing was
	// written yet does.
	ReportMissing bool
	// timing shortens the waits of retries and resumes for tests (zero:
	// defaultTiming).
	timing timing
	// responseTimeout is how long a request waits for the response's
	// headers (zero: responseHeaderTimeout); tests shorten it.
	responseTimeout time.Duration
}

// responseHeaderTimeout is how long a request waits for a store to start
// answering. A store that accepts connections and never answers (a hung
// node or load balancer) would otherwise hold a request, and the run,
// forever; past it the request fails as a timeout and is retried like one
// (a minute, as the AWS CLI's read timeout).
// It bounds the wait for the headers only, never the transfer of a large
// body.
const responseHeaderTimeout = time.Minute

// Client lists and reads objects.
type Client struct {
	S3   *s3.Client
	opts Options
}

// New returns a client configured the SDK's standard way.
func New(ctx context.Context, opts Options) (*Client, error) {
	var lo []func(*awsconfig.LoadOptions) error
	if opts.Region != "" {
		lo = append(lo, awsconfig.WithRegion(opts.Region))
	}
	if opts.Profile != "" {
		lo = append(lo, awsconfig.WithSharedConfigProfile(opts.Profile))
	}
	attempts := opts.MaxAttempts
	if attempts <= 0 {
		attempts = 10
	}
	// Exponential backoff with jitter, each request on its own (see
	// newRetryer); throttling (503 SlowDown), 5xx, timeouts and
	// connection resets are retried.
	if opts.timing == (timing{}) {
		opts.timing = defaultTiming
	}
	retryer := newRetryer(attempts, opts.timing)
	lo = append(lo, awsconfig.WithRetryer(func() aws.Retryer { return retryer }))
	conns := opts.Concurrency
	if conns <= 0 {
		conns = DefaultConcurrency
	}
	lo = append(lo, awsconfig.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConnsPerHost = max(tr.MaxIdleConnsPerHost, conns)
		tr.ResponseHeaderTimeout = responseHeaderTimeout
		if opts.responseTimeout > 0 {
			tr.ResponseHeaderTimeout = opts.responseTimeout
		}
	})))
	cfg, err := awsconfig.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
		o.UsePathStyle = opts.PathStyle
		// Validate checksums when a store sends them; do not warn about
		// stores (and objects) that do not.
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	return &Client{S3: client, opts: opts}, nil
}

// Concurrency is how many requests the client was configured to run at
// once (Options.Concurrency, or DefaultConcurrency).
func (c *Client) Concurrency() int {
	if c.opts.Concurrency > 0 {
		return c.opts.Concurrency
	}
	return DefaultConcurrency
}

// Object is a listed object.
type Object struct {
	Bucket, Key  string
	Size         int64
	LastModified time.Time
	ETag         string
}

// URL returns s3://bucket/key.
func (o Object) URL() string { return itempath.Object(o.Bucket, o.Key) }

// IsDirMarker reports whether the object is an empty "directory" that
// consoles create (a key ending in /).
func (o Object) IsDirMarker() bool { return strings.HasSuffix(o.Key, "/") && o.Size == 0 }

// List calls fn for every object under prefix after startAfter, in key
// order, a page of up to 1000 keys at a time. A page that still fails
// after the request's retries (an outage longer than they last) is asked
// for again with the same continuation token, a few times with growing
// pauses (maxResumes, as a broken GET resumes), so an outage costs no part
// of the listing.
func (c *Client) List(ctx context.Context, bucket, prefix, startAfter string, fn func(Object) error) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}
	if prefix != "" {
		in.Prefix = aws.String(prefix)
	}
	if startAfter != "" {
		in.StartAfter = aws.String(startAfter)
	}
	for {
		page, err := c.listPage(ctx, in)
		if err != nil {
			return fmt.Errorf("listing %s: %w", itempath.Object(bucket, prefix), err)
		}
		for _, o := range page.Contents {
			obj := Object{Bucket: bucket, Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size),
				LastModified: aws.ToTime(o.LastModified), ETag: aws.ToString(o.ETag)}
			if err := fn(obj); err != nil {
				return err
			}
		}
		next := aws.ToString(page.NextContinuationToken)
		if !aws.ToBool(page.IsTruncated) || next == "" || next == aws.ToString(in.ContinuationToken) {
			return nil // the last page (or a store that repeats a token)
		}
		in.ContinuationToken = aws.String(next)
	}
}

// listPage asks for one page, again after a transient failure.
func (c *Client) listPage(ctx context.Context, in *s3.ListObjectsV2Input) (*s3.ListObjectsV2Output, error) {
	var page *s3.ListObjectsV2Output
	err := c.Resume(ctx, func(ctx context.Context) error {
		var err error
		page, err = c.S3.ListObjectsV2(ctx, in)
		return err
	})
	return page, err
}

// Resume calls request, and calls it again when it failed for a reason
// that may go away (see transient) after the request's own retries gave
// up, as in an outage longer than they last: up to maxResumes times, with
// growing pauses (0.1 s, 0.4 s, ... 2.5 s, 5.5 s in all). request must be
// safe to repeat, such as asking for a page of a listing by its marker or
// continuation token. It returns request's last error, or ctx's.
func (c *Client) Resume(ctx context.Context, request func(context.Context) error) error {
	for resumes := 0; ; resumes++ {
		err := request(ctx)
		if err == nil || resumes >= maxResumes || ctx.Err() != nil || !transient(err) {
			return err
		}
		if err := sleep(ctx, c.opts.timing.resumeDelay(resumes+1)); err != nil {
			return err
		}
	}
}

// Walk lists the objects of an s3:// target that pass the filters and
// calls fn with them as items of the scan. A target names objects as a
// local path names files: s3://b/app is the object whose key is exactly
// app, if there is one, and the folder app/ (everything under it), never
// a sibling such as app-archive/x or app.log; s3://b/app/ is the folder
// alone; s3://b/ and s3://b the whole bucket. Glob metacharacters are
// part of the key, as in any key: nothing expands them.
//
// With Options.ReportMissing, a target that names nothing (no object at
// its key, nothing under it, no such bucket) is an error that is
// source.ErrMissing, as a local path that does not exist is; a bucket
// that exists but is empty is not (an empty directory). Objects that the
// filters leave out still exist. A listing resumed after a checkpoint
// (Options.StartAfter) found its objects before and is never missing.
func (c *Client) Walk(ctx context.Context, target string, fn func(source.Item) error) error {
	bucket, prefix, err := itempath.ParseObject(target)
	if err != nil {
		return err
	}
	start := c.opts.StartAfter[target]
	found := start != ""
	err = c.listTarget(ctx, bucket, prefix, start, func(o Object, rel string) error {
		found = true
		if o.IsDirMarker() || !c.keep(rel, o) {
			return nil
		}
		return fn(source.Item{
			Path: o.URL(), Size: o.Size, ModTime: o.LastModified, Cursor: o.Key, Version: o.ETag,
			Opener: func(ctx context.Context) (io.ReadCloser, io.ReaderAt, error) {
				r, err := c.Open(ctx, o)
				return r, nil, err // zip archives are spooled, not read by ranges
			},
		})
	})
	switch {
	case err != nil && c.opts.ReportMissing && noSuchBucket(err):
		return fmt.Errorf("%w: %w", source.ErrMissing, err)
	case err != nil:
		return err
	case !found && c.opts.ReportMissing && prefix != "":
		return fmt.Errorf("%w: no object %s and nothing under it", source.ErrMissing, target)
	}
	return nil
}

// listTarget lists, in key order, the objects a target's prefix names
// (see Walk), each with its name relative to the target for the name
// filters: the part below the folder, or the key's base name for the
// object the target names exactly.
func (c *Client) listTarget(ctx context.Context, bucket, prefix, startAfter string, fn func(o Object, rel string) error) error {
	folder := prefix
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		folder = prefix + "/"
		// The key itself sorts before every other key that starts with
		// it, so the first key of a listing of the prefix is the key or
		// tells that there is none; one more listing reads the folder,
		// and the siblings between the two (app-archive/, app.log) are
		// never listed.
		if startAfter < prefix {
			o, ok, err := c.first(ctx, bucket, prefix)
			if err != nil {
				return err
			}
			if ok && o.Key == prefix {
				if err := fn(o, path.Base(o.Key)); err != nil {
					return err
				}
			}
		}
	}
	return c.List(ctx, bucket, folder, startAfter, func(o Object) error {
		return fn(o, strings.TrimPrefix(o.Key, folder))
	})
}

// first returns the first object under prefix in key order, if any.
func (c *Client) first(ctx context.Context, bucket, prefix string) (Object, bool, error) {
	page, err := c.listPage(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix), MaxKeys: aws.Int32(1)})
	if err != nil {
		return Object{}, false, fmt.Errorf("listing %s: %w", itempath.Object(bucket, prefix), err)
	}
	if len(page.Contents) == 0 {
		return Object{}, false, nil
	}
	o := page.Contents[0]
	return Object{Bucket: bucket, Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size),
		LastModified: aws.ToTime(o.LastModified), ETag: aws.ToString(o.ETag)}, true, nil
}

// noSuchBucket reports whether err says that the bucket does not exist.
func noSuchBucket(err error) bool {
	var nsb *types.NoSuchBucket
	var api smithy.APIError
	return errors.As(err, &nsb) || errors.As(err, &api) && api.ErrorCode() == "NoSuchBucket"
}

// keep applies the name, size and age filters; rel is the object's name
// relative to the target.
func (c *Client) keep(rel string, o Object) bool {
	base := path.Base(o.Key)
	match := func(globs []string) bool { return itempath.Match(globs, rel, base) }
	switch {
	case len(c.opts.Include) > 0 && !match(c.opts.Include), match(c.opts.Exclude):
		return false
	case c.opts.MaxSize > 0 && o.Size > c.opts.MaxSize:
		return false
	case c.opts.NewerThan > 0 && c.opts.Now.Sub(o.LastModified) > c.opts.NewerThan:
		return false
	}
	return true
}

// Open streams an object. The GET is pinned to the listed version (by
// ETag); a read that breaks mid-way resumes with a ranged GET from where it
// stopped, a few times, before it fails.
func (c *Client) Open(ctx context.Context, o Object) (io.ReadCloser, error) {
	r := &resumable{ctx: ctx, c: c, o: o}
	if err := r.get(); err != nil {
		return nil, err
	}
	return r, nil
}

// resumable is an object body that resumes after broken reads.
type resumable struct {
	ctx     context.Context
	c       *Client
	o       Object
	body    io.ReadCloser
	off     int64
	retries int
}

// maxResumes bounds how often a broken GET is resumed and a failed page
// of a listing asked for again; the pauses before add up to 5.5 s.
const maxResumes = 5

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// transient reports whether err may go away when the request is made
// again: a connection refused or reset, a timeout, a 5xx or throttling
// (the SDK's own judgement), also after its retries gave up. An answer
// such as AccessDenied or NoSuchBucket is not.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}

func (r *resumable) get() error {
	in := &s3.GetObjectInput{Bucket: aws.String(r.o.Bucket), Key: aws.String(r.o.Key)}
	if r.o.ETag != "" {
		in.IfMatch = aws.String(r.o.ETag)
	}
	if r.off > 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", r.off))
	}
	out, err := r.c.S3.GetObject(r.ctx, in)
	if err != nil {
		return fmt.Errorf("GET %s: %w", r.o.URL(), err)
	}
	r.body = out.Body
	return nil
}

func (r *resumable) Read(p []byte) (int, error) {
	for {
		n, err := r.body.Read(p)
		r.off += int64(n)
		if err == nil || err == io.EOF {
			if err == io.EOF && r.o.Size > 0 && r.off < r.o.Size {
				err = io.ErrUnexpectedEOF // cut short: resume below
			} else {
				return n, err
			}
		}
		if errors.Is(err, context.Canceled) || r.ctx.Err() != nil || r.retries >= maxResumes {
			return n, fmt.Errorf("reading %s at byte %d: %w", r.o.URL(), r.off, err)
		}
		r.retries++
		r.body.Close()
		if serr := sleep(r.ctx, r.c.opts.timing.resumeDelay(r.retries)); serr != nil {
			return n, fmt.Errorf("reading %s at byte %d: %w", r.o.URL(), r.off, serr)
		}
		if gerr := r.get(); gerr != nil {
			return n, gerr
		}
		if n > 0 {
			return n, nil
		}
	}
}

func (r *resumable) Close() error {
	if r.body == nil {
		return nil
	}
	return r.body.Close()
}
