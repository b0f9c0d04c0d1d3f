package jobs

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/pflag"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/retention/audit"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/bucket"
	"github.com/piiscan/piiscan/scanners/detect"
	"github.com/piiscan/piiscan/shard"
)

// ScanSetup is a scanner's configuration built from rules.yaml and the
// PIISCAN_* environment (jobs have no flags).
type ScanSetup struct {
	Options      scanners.Options
	Engine       *detect.Engine
	Fingerprints *finding.Fingerprinter
	// FailOn is scan.fail_on: findings at or above it fail a run.
	FailOn   finding.Severity
	settings *config.Settings
}

// NewScanSetup builds the scanner options of a job. Jobs compare
// fingerprints across runs, so a fingerprint key that lasts is required.
func NewScanSetup(ctx context.Context, c *config.Config, log *slog.Logger) (*ScanSetup, error) {
	set, err := jobSettings(c)
	if err != nil {
		return nil, err
	}
	key, _, err := c.FingerprintKey()
	if err != nil {
		return nil, fmt.Errorf("jobs compare fingerprints across runs and need a lasting key: %w", err)
	}
	engine, err := c.Engine()
	if err != nil {
		return nil, err
	}
	workers, err := set.Workers()
	if err != nil {
		return nil, err
	}
	include, err := set.Globs("scan.include")
	if err != nil {
		return nil, err
	}
	exclude, err := set.Globs("scan.exclude")
	if err != nil {
		return nil, err
	}
	maxSize, err := set.Size("scan.max_size")
	if err != nil {
		return nil, err
	}
	failOn, err := set.Severity("scan.fail_on")
	if err != nil {
		return nil, err
	}
	s := &ScanSetup{Engine: engine, Fingerprints: finding.NewFingerprinter(key), FailOn: failOn, settings: set}
	s.Options = scanners.Options{Engine: engine, Workers: workers, Limits: c.Limits, Allow: c.Allow,
		Fingerprints: s.Fingerprints, Logger: log, Place: Placer(c)}
	s.Options.Walk.Include, s.Options.Walk.Exclude, s.Options.Walk.MaxSize = include, exclude, maxSize
	return s, nil
}

// UseObjects lets the scanner read s3:// targets.
func (s *ScanSetup) UseObjects(ctx context.Context) error {
	cl, err := ObjectClient(ctx, s.settings)
	if err != nil {
		return err
	}
	s.useClient(cl)
	return nil
}

// useClient lets the scanner read s3:// targets through cl, with
// s3.concurrency GETs at once.
func (s *ScanSetup) useClient(cl *bucket.Client) {
	s.Options.Objects = cl
	conc, _ := s.settings.Int("s3.concurrency")
	s.Options.Readers = cmp.Or(conc, bucket.DefaultConcurrency)
}

// AuditLog opens the audit log of enforcement.audit_log, keyed with the
// fingerprint key. An enforcing run refuses a key that lasts only for this
// run: the chain it wrote could never be verified.
func AuditLog(c *config.Config, enforce bool) (*audit.Log, error) {
	key, _, err := c.FingerprintKey()
	if key == nil || err != nil && enforce {
		return nil, fmt.Errorf("the audit log needs a lasting fingerprint key: %w", err)
	}
	return audit.Open(c.AuditLogPath(), key), nil
}

// jobSettings are the settings of a job: rules.yaml and the environment
// (jobs have no flags).
func jobSettings(c *config.Config) (*config.Settings, error) {
	return config.NewSettings(c, pflag.NewFlagSet("job", pflag.ContinueOnError), config.ScanOptions)
}

// ObjectClient returns an S3 client configured by the s3.* settings (of
// rules.yaml, the environment and, for commands, their flags).
func ObjectClient(ctx context.Context, set *config.Settings) (*bucket.Client, error) {
	pathStyle, err := set.Bool("s3.path_style")
	if err != nil {
		return nil, err
	}
	attempts, err := set.Int("s3.max_attempts")
	if err != nil {
		return nil, err
	}
	conc, err := set.Int("s3.concurrency")
	if err != nil {
		return nil, err
	}
	return bucket.New(ctx, bucket.Options{Region: set.String("s3.region"), Profile: set.String("s3.profile"),
		Endpoint: set.String("s3.endpoint_url"), PathStyle: pathStyle, MaxAttempts: attempts, Concurrency: conc})
}

// Placer returns the scanner's Place function for the locations of c.
func Placer(c *config.Config) func(string) *scanners.Placement {
	if len(c.Locations) == 0 {
		return nil
	}
	places := map[*config.Location]*scanners.Placement{}
	for _, l := range c.Locations {
		places[l] = &scanners.Placement{Location: l.Name, Allowed: l.Allowed, Policy: l.PolicyRef}
	}
	return func(path string) *scanners.Placement {
		if l := c.LocationOf(path); l != nil {
			return places[l]
		}
		return nil
	}
}

// Sharding is the share of a scan this process runs and where it leaves
// its findings file for `piiscan report merge`.
type Sharding struct {
	Shard shard.Shard
	// Output is nil when no findings file is written.
	Output *shard.Store
}

// NewSharding reads --shard (PIISCAN_SHARD), or JOB_COMPLETION_INDEX with
// shards.count (PIISCAN_SHARD_COUNT), and shards.output
// (--shard-output, PIISCAN_SHARD_OUTPUT). objects reaches an s3:// output;
// when nil, a client is made from the s3.* settings.
func NewSharding(ctx context.Context, set *config.Settings, objects *bucket.Client) (*Sharding, error) {
	count, err := set.Int("shards.count")
	if err != nil {
		return nil, err
	}
	sh, err := shard.Resolve(set.String("shards.shard"), count, os.Getenv)
	if err != nil {
		return nil, err
	}
	s := &Sharding{Shard: sh}
	out := set.String("shards.output")
	if out == "" {
		return s, nil
	}
	if shard.IsObjectURL(out) && objects == nil {
		if objects, err = ObjectClient(ctx, set); err != nil {
			return nil, err
		}
	}
	s.Output, err = shard.OpenStore(out, objects)
	return s, err
}

// Apply makes the scanner keep this shard's items.
func (s *Sharding) Apply(o *scanners.Options) {
	if s.Shard.Sharded() {
		o.Owns = s.Shard.Owns
	}
}
