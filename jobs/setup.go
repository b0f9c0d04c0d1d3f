package jobs

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/spf13/pflag"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/policy"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/bucket"
	"github.com/piiscan/piiscan/scanners/detect"
	"github.com/piiscan/piiscan/scanners/source"
	"github.com/piiscan/piiscan/scansetup"
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
	engine, err := scansetup.Engine(c)
	if err != nil {
		return nil, err
	}
	allow, err := scansetup.Allowlist(c)
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
	maxFindings, err := set.MaxFindings()
	if err != nil {
		return nil, err
	}
	s := &ScanSetup{Engine: engine, Fingerprints: finding.NewFingerprinter(key), FailOn: failOn, settings: set}
	s.Options = scanners.Options{Engine: engine, Workers: workers, Limits: scansetup.Limits(c), Allow: allow,
		Fingerprints: s.Fingerprints, Logger: log, Place: policy.Placer(c), MaxFindings: maxFindings}
	s.Options.Walk.Include, s.Options.Walk.Exclude, s.Options.Walk.MaxSize = include, exclude, maxSize
	return s, nil
}

// UseObjects lets the scanner read s3:// targets, with scan.include,
// scan.exclude and scan.max_size applied to the listings.
func (s *ScanSetup) UseObjects(ctx context.Context) error {
	opts, err := scansetup.S3Options(s.settings)
	if err != nil {
		return err
	}
	// Objects are filtered in the listing, as files are in the walk.
	opts.Include, opts.Exclude, opts.MaxSize = s.Options.Walk.Include, s.Options.Walk.Exclude, s.Options.Walk.MaxSize
	cl, err := bucket.New(ctx, opts)
	if err != nil {
		return err
	}
	s.useClient(cl)
	return nil
}

// useClient lets the scanner read s3:// targets through cl, with as many
// GETs at once as cl was made for (s3.concurrency).
func (s *ScanSetup) useClient(cl *bucket.Client) {
	s.Options.Sources = []source.Source{bucket.Source{Client: cl}}
	s.Options.Readers = cl.Concurrency()
}

// jobSettings are the settings of a job: rules.yaml and the environment
// (jobs have no flags).
func jobSettings(c *config.Config) (*config.Settings, error) {
	return config.NewSettings(c, pflag.NewFlagSet("job", pflag.ContinueOnError), config.ScanOptions)
}

// EnforcementScan returns the options of the scan that redact and erase
// plan from: every file of the locations, whatever scan.classes,
// scan.include, scan.exclude, scan.max_size and scan.newer_than say (they
// narrow what a report shows, not what the policy must reach). erase also
// ignores the allow list: a person's request to be forgotten covers their
// values even where the policy tolerates them.
func EnforcementScan(o scanners.Options, erase bool) scanners.Options {
	o.Classes = nil
	o.Walk.Include, o.Walk.Exclude, o.Walk.MaxSize, o.Walk.NewerThan = nil, nil, 0, 0
	o.Incremental, o.Owns, o.ItemDone = nil, nil, nil
	// What is enforced must be seen whole: a capped scan would leave the
	// findings past the cap unredacted and unerased.
	o.MaxFindings = -1
	if erase {
		o.Allow = nil
	}
	return o
}
