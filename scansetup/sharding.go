package scansetup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/report"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/bucket"
	"github.com/piiscan/piiscan/shard"
)

// Sharding is the share of a scan this process runs, where it leaves its
// findings file, and where the merged report goes once every shard is done.
type Sharding struct {
	Shard shard.Shard
	// Output is nil when no findings file is written.
	Output *shard.Store
	// Run identifies the run (PIISCAN_RUN_ID): files of other runs are
	// never merged with it.
	Run string
	// Report is where the shard that completes the set writes the merged
	// report ("": nobody merges; run 'piiscan report merge').
	Report  string
	objects *bucket.Client
	// keyID names the key the scan fingerprints with (see Apply).
	keyID   string
	applied bool
}

// CheckShardKey refuses a fingerprint key that may differ from one shard
// to the next (config.Config.CheckSharedKey) when the settings make this
// run one shard of several: shards.shard (--shard), or
// JOB_COMPLETION_INDEX with shards.count. A bad shard setting is left for
// NewSharding to report. Call it before anything calls FingerprintKey,
// which could make a key of this machine's (or pod's) own.
func CheckShardKey(set *config.Settings) error {
	sh, err := resolveShard(set)
	if err != nil || !sh.Sharded() {
		return nil
	}
	return set.CheckSharedKey()
}

// resolveShard returns the shard this run is: shards.shard, or
// JOB_COMPLETION_INDEX with shards.count.
func resolveShard(set *config.Settings) (shard.Shard, error) {
	count, err := set.Int("shards.count")
	if err != nil {
		return shard.Shard{}, err
	}
	return shard.Resolve(set.String("shards.shard"), count, os.Getenv)
}

// NewSharding reads --shard (PIISCAN_SHARD), or JOB_COMPLETION_INDEX with
// shards.count (PIISCAN_SHARD_COUNT), shards.output (--shard-output,
// PIISCAN_SHARD_OUTPUT), shards.report (--shard-report,
// PIISCAN_SHARD_REPORT) and PIISCAN_RUN_ID. An s3:// output or report is
// reached with a client made from the s3.* settings.
func NewSharding(ctx context.Context, set *config.Settings) (*Sharding, error) {
	sh, err := resolveShard(set)
	if err != nil {
		return nil, err
	}
	// Before anything calls FingerprintKey, which could make a key of
	// this pod's own.
	if sh.Sharded() {
		if err := set.CheckSharedKey(); err != nil {
			return nil, err
		}
	}
	s := &Sharding{Shard: sh, Run: set.String("shards.run"), Report: set.String("shards.report")}
	// rules.yaml's shards section is for sharded runs; a run that is not
	// one writes a findings file only when told to by flag or environment.
	out := set.String("shards.output")
	if sh.Count == 0 && !set.Given("shards.output") {
		out, s.Report = "", ""
	}
	if s.Report != "" {
		if out == "" {
			return nil, errors.New("shards.report needs shards.output: the merge reads the shards' findings files from there")
		}
		if s.Run == "" {
			return nil, errors.New("shards.report needs a run id (PIISCAN_RUN_ID, in Kubernetes the Job's uid): " +
				"without one, files an earlier run left could complete this run's set")
		}
		if _, err := shard.FormatOf(s.Report); err != nil {
			return nil, err
		}
	}
	if out == "" {
		return s, nil
	}
	if len(objectPaths(out, s.Report)) > 0 {
		if s.objects, err = ObjectClient(ctx, set); err != nil {
			return nil, err
		}
	}
	s.Output, err = shard.OpenStore(out, s.objects)
	return s, err
}

// Apply makes the scanner of o keep this shard's items, and notes the key
// it fingerprints with (o.Fingerprints) for the findings file's header.
// Call it, with the options the scan runs with, before Start.
func (s *Sharding) Apply(o *scanners.Options) {
	if s.Shard.Sharded() {
		o.Owns = s.Shard.Owns
	}
	s.keyID = ""
	if o.Fingerprints != nil {
		s.keyID = o.Fingerprints.KeyID()
	}
	s.applied = true
}

// Start begins this shard's findings file (nil without an output). Its
// header names the key of the fingerprinter Apply was given.
func (s *Sharding) Start(ctx context.Context, job string, targets []string, c *config.Config, version string) (*shard.Output, error) {
	if s.Output == nil {
		return nil, nil
	}
	if !s.applied {
		return nil, errors.New("sharding: Start before Apply: the findings file would not name the scan's fingerprint key")
	}
	return s.Output.NewOutput(ctx, shard.Header{Index: s.Shard.Index, Count: max(s.Shard.Count, 1), Job: job, Run: s.Run,
		Targets: targets, Config: c.Digest(), KeyID: s.keyID, Version: version, Started: time.Now().UTC()})
}

// Finish publishes the findings file of a finished scan (or drops that of
// an unfinished one); a failure there is the run's. Then, when this file
// completes the run's set and a report is asked for, it merges them and
// writes the report: a failure there (merr) is the merge's alone, and the
// scan's results still count.
func (s *Sharding) Finish(ctx context.Context, out *shard.Output, st *scanners.Stats, finished bool, c *config.Config, version string, log *slog.Logger) (err, merr error) {
	if out == nil {
		return nil, nil
	}
	if err := out.Finish(ctx, st, finished); err != nil || !finished {
		return err, nil
	}
	log.Info("findings file written", "shard", s.Shard.String(), "to", out.Where())
	if s.Report == "" {
		return nil, nil
	}
	done, have, err := s.Output.Complete(ctx, s.Run)
	if err != nil {
		return nil, fmt.Errorf("looking for the other shards' files: %w", err)
	}
	if !done {
		log.Info("other shards are still running; the last one merges", "files", have, "shards", max(s.Shard.Count, 1), "run", s.Run)
		return nil, nil
	}
	format, _ := shard.FormatOf(s.Report)
	res, err := shard.Merge(ctx, shard.MergeOptions{Sources: []string{s.Output.String()}, Objects: s.objects, Run: s.Run, Format: format,
		Meta: report.Meta{Version: version, Rules: c.Rules}, Dest: s.Report})
	if err != nil {
		return nil, fmt.Errorf("merging the shards into %s: %w", s.Report, err)
	}
	log.Info("merged report written", "to", s.Report, "shards", res.Header.Count, "files", res.Stats.Files, "findings", res.Stats.Findings)
	return nil, nil
}
