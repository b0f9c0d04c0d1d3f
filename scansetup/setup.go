package scansetup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/pflag"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/policy"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/bucket"
	"github.com/piiscan/piiscan/scanners/source"
)

// Request is what differs between the scans built from one configuration:
// a command's (its flags layered over rules.yaml and the environment) or a
// scheduled job's (rules.yaml and the environment only).
type Request struct {
	Config *config.Config
	// Settings are rules.yaml, the environment and the command's flags.
	// A job leaves it nil: it gets JobSettings.
	Settings *config.Settings
	// Job builds the scan of a scheduled job: it reads the settings a
	// job reads, and needs a fingerprint key that lasts, as jobs compare
	// fingerprints across runs.
	Job bool
	// Key is a job's fingerprint key when its caller already read it
	// (JobKey); nil: New reads it.
	Key []byte
	// Shards says the command can run one shard of several (it has
	// --shard): a fingerprint key that may differ from one shard to the
	// next is refused before any key is looked up (CheckShardKey).
	Shards bool
	// Problems are the errors the command met reading its own settings
	// (its report's): New reports them first, with its own, in one
	// config.Errors.
	Problems []error
	// Stdin is what the target "-" reads.
	Stdin  io.Reader
	Logger *slog.Logger
}

// Setup is what a scan is built from: the scanner options that the
// settings give, with the detection engine, the allowlist and the
// fingerprinter (Options.Engine, Options.Allow, Options.Fingerprints).
// Build makes its scanner.
type Setup struct {
	Config   *config.Config
	Settings *config.Settings
	// Options are the options the scanner is built with; a caller may
	// add to them (sharding, incremental state) before Build.
	Options scanners.Options
	// FailOn is scan.fail_on of a job: findings at or above it fail a
	// run. (A command reads it with its report's settings.)
	FailOn finding.Severity
	// Objects reaches the buckets of the targets; nil until Build made
	// one for a target or location in a bucket.
	Objects *bucket.Client
	// Checkpoint is where the scan Build made resumes and records its
	// progress in bucket listings; nil without one.
	Checkpoint *bucket.Checkpoint
	// s3 is the object storage access of a command, read with its other
	// settings; nil for a job, which reads it when it needs it.
	s3  *bucket.Options
	log *slog.Logger
}

// UsageError is an error in what a command was asked to do (a target, a
// checkpoint file, a shard setting), not in rules.yaml or the environment.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the error that was found.
func (e *UsageError) Unwrap() error { return e.Err }

// JobSettings are the settings of a job: rules.yaml and the environment
// (jobs have no flags).
func JobSettings(c *config.Config) (*config.Settings, error) {
	return config.NewSettings(c, pflag.NewFlagSet("job", pflag.ContinueOnError), config.ScanOptions)
}

// JobKey returns the fingerprint key of a job: one that lasts, as jobs
// compare fingerprints across runs.
func JobKey(c *config.Config) ([]byte, error) {
	key, _, err := c.FingerprintKey()
	if err != nil {
		return nil, fmt.Errorf("jobs compare fingerprints across runs and need a lasting key: %w", err)
	}
	return key, nil
}

// scanSettings are the values of the scan.* settings a scan reads.
type scanSettings struct {
	workers, depth, maxFindings int
	include, exclude, classes   []string
	reveal, follow              bool
	maxSize                     int64
	newer                       time.Duration
}

// New reads the settings of r and builds the detection engine, the
// allowlist, the fingerprinter and the placement of the locations into
// the scanner options. A command's setting errors come together, after
// r.Problems, as config.Errors.
func New(r Request) (*Setup, error) {
	s := &Setup{Config: r.Config, Settings: r.Settings, log: r.Logger}
	c := r.Config
	var v scanSettings
	var key []byte
	var err error
	if r.Job {
		if s.Settings, err = JobSettings(c); err != nil {
			return nil, err
		}
		if key = r.Key; key == nil {
			if key, err = JobKey(c); err != nil {
				return nil, err
			}
		}
	} else {
		if v, err = s.readCommand(r.Problems); err != nil {
			return nil, err
		}
		if r.Shards {
			// A shard must not make a key of its own (FingerprintKey would).
			if err := CheckShardKey(s.Settings); err != nil {
				return nil, &UsageError{err}
			}
		}
		if key, err = commandKey(c, s.log); err != nil {
			return nil, err
		}
	}
	engine, err := Engine(c)
	if err != nil {
		return nil, err
	}
	allow, err := Allowlist(c)
	if err != nil {
		return nil, err
	}
	if r.Job {
		if v, err = s.readJob(); err != nil {
			return nil, err
		}
	}
	limits := archiveLimits(c)
	if v.depth > 0 {
		limits.MaxDepth = v.depth
	}
	s.Options = scanners.Options{
		Engine:       engine,
		Workers:      v.workers,
		Limits:       limits,
		Allow:        allow,
		Classes:      v.classes,
		Reveal:       v.reveal,
		Fingerprints: finding.NewFingerprinter(key),
		Logger:       r.Logger,
		Stdin:        r.Stdin,
		Place:        policy.Placer(c),
		MaxFindings:  v.maxFindings,
	}
	w := &s.Options.Walk
	w.Include, w.Exclude, w.FollowSymlinks = v.include, v.exclude, v.follow
	w.MaxSize, w.NewerThan = v.maxSize, v.newer
	return s, nil
}

// readCommand reads the scan settings of a command, all of them: their
// errors come together, after problems.
func (s *Setup) readCommand(problems []error) (scanSettings, error) {
	set := s.Settings
	var errs config.Errors
	collect := func(err error) {
		var ce *config.Error
		if errors.As(err, &ce) {
			errs = append(errs, ce)
		} else if err != nil {
			errs = append(errs, &config.Error{Source: s.Config.Name, Msg: err.Error()})
		}
	}
	for _, err := range problems {
		collect(err)
	}
	var v scanSettings
	var err error
	v.workers, err = set.Workers()
	collect(err)
	v.include, err = set.Globs("scan.include")
	collect(err)
	v.exclude, err = set.Globs("scan.exclude")
	collect(err)
	v.classes, err = set.Classes()
	collect(err)
	v.reveal, err = set.Bool("scan.reveal")
	collect(err)
	v.follow, err = set.Bool("scan.follow_symlinks")
	collect(err)
	v.depth, err = set.MaxDepth()
	collect(err)
	v.maxSize, err = set.Size("scan.max_size")
	collect(err)
	v.maxFindings, err = set.MaxFindings()
	collect(err)
	v.newer, err = set.Duration("scan.newer_than")
	collect(err)
	s3, err := s3Options(set)
	collect(err)
	if len(errs) > 0 {
		return v, errs
	}
	s.s3 = &s3
	return v, nil
}

// readJob reads the scan settings a job reads: the first error stops it.
func (s *Setup) readJob() (scanSettings, error) {
	set := s.Settings
	var v scanSettings
	var err error
	if v.workers, err = set.Workers(); err != nil {
		return v, err
	}
	if v.include, err = set.Globs("scan.include"); err != nil {
		return v, err
	}
	if v.exclude, err = set.Globs("scan.exclude"); err != nil {
		return v, err
	}
	if v.maxSize, err = set.Size("scan.max_size"); err != nil {
		return v, err
	}
	if s.FailOn, err = set.Severity("scan.fail_on"); err != nil {
		return v, err
	}
	v.maxFindings, err = set.MaxFindings()
	return v, err
}

// commandKey returns the fingerprint key of a command: one made for this
// run is used, with a warning.
func commandKey(c *config.Config, log *slog.Logger) ([]byte, error) {
	key, from, err := c.FingerprintKey()
	if err != nil && key == nil {
		return nil, err
	}
	if err != nil {
		log.Warn(err.Error())
	} else {
		log.Debug("fingerprint key", "from", from)
	}
	return key, nil
}

// Spec says what one scan reads.
type Spec struct {
	// Targets are the paths and s3:// URLs the scan reads; the scanner
	// gets an S3 client when one is in a bucket. For an enforcement
	// scan, nil stands for the roots of every location.
	Targets []string
	// Named says the user named the targets: a bucket URL that names no
	// object is a UsageError, and a target that names nothing is
	// missing, as a local path that does not exist is.
	Named bool
	// Checkpoint is a file that resumes a scan of named s3:// targets,
	// and keeps its progress ("": none).
	Checkpoint string
	// Enforce builds the scan that redact and erase plan from: every
	// file of the locations, whatever the scan.* filters say; Erase,
	// erase's, which ignores the allowlist too.
	Enforce, Erase bool
}

// Build makes the scanner of sp from s.Options, with an S3 client when a
// target is in a bucket; it leaves s.Options as they are.
func (s *Setup) Build(ctx context.Context, sp Spec) (*scanners.Scanner, error) {
	o := s.Options
	targets, objects := sp.Targets, objectPaths(sp.Targets...)
	if sp.Enforce {
		o = enforcementScan(o, sp.Erase)
		if targets == nil {
			targets, objects = LocationRoots(s.Config), objectRoots(s.Config)
		}
	}
	if sp.Named {
		for _, t := range objects {
			// A bucket URL that cannot name an object ("s3://", "s3:///k")
			// is a mistake in the command, not an input that went missing.
			if _, _, err := itempath.ParseObject(t); err != nil {
				return nil, &UsageError{err}
			}
		}
	}
	if len(objects) > 0 {
		if err := s.useObjects(ctx, &o, targets, sp); err != nil {
			return nil, err
		}
	}
	return scanners.New(o)
}

// useObjects gives the scanner of o an S3 client for targets, its
// listings filtered as o walks files, resuming from sp.Checkpoint when
// there is one.
func (s *Setup) useObjects(ctx context.Context, o *scanners.Options, targets []string, sp Spec) error {
	var opts bucket.Options
	if s.s3 != nil {
		opts = *s.s3
	} else {
		var err error
		if opts, err = s3Options(s.Settings); err != nil {
			return err
		}
	}
	// Objects are filtered in the listing, as files are in the walk.
	w := o.Walk
	opts.Include, opts.Exclude, opts.MaxSize, opts.NewerThan = w.Include, w.Exclude, w.MaxSize, w.NewerThan
	var cp *bucket.Checkpoint
	if sp.Named && sp.Checkpoint != "" {
		var err error
		cp, err = bucket.LoadCheckpoint(sp.Checkpoint, targets)
		if err != nil {
			return &UsageError{err}
		}
		opts.StartAfter = cp.StartAfter()
		for t, k := range opts.StartAfter {
			s.log.Info("resuming from checkpoint", "target", t, "after", k)
		}
	}
	// A target the user named that names nothing is missing, as a
	// local path that does not exist is.
	opts.ReportMissing = sp.Named
	cl, err := bucket.New(ctx, opts)
	if err != nil {
		return err
	}
	s.Objects, s.Checkpoint = cl, cp
	// As many GETs at once as cl was made for (s3.concurrency).
	o.Sources = []source.Source{bucket.Source{Client: cl}}
	o.Readers = cl.Concurrency()
	if cp != nil {
		o.ItemDone = func(it source.Item) {
			if it.Cursor != "" {
				cp.Done(it.Path, it.Cursor)
			}
		}
	}
	return nil
}

// enforcementScan returns the options of the scan that redact and erase
// plan from: every file of the locations, whatever scan.classes,
// scan.include, scan.exclude, scan.max_size and scan.newer_than say (they
// narrow what a report shows, not what the policy must reach). erase also
// ignores the allow list: a person's request to be forgotten covers their
// values even where the policy tolerates them.
func enforcementScan(o scanners.Options, erase bool) scanners.Options {
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
