package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/piiscan/piiscan"
	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/report/plantext"
	"github.com/piiscan/piiscan/retention"
	"github.com/piiscan/piiscan/retention/audit"
	"github.com/piiscan/piiscan/scanners/bucket"
	"github.com/piiscan/piiscan/scansetup"
)

// Exit code of destructive commands when the circuit breaker stopped them.
const exitBreaker = 4

// enforceFlags are the flags of destructive commands.
type enforceFlags struct {
	enforce   bool
	now       string
	noBreaker bool
	locations []string
}

func (e *enforceFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	addS3Flags(f)
	f.BoolVar(&e.enforce, "enforce", false, "act: delete, rewrite and quarantine (default: print the plan only; also enforcement.enforce in rules.yaml)")
	f.StringVar(&e.now, "now", os.Getenv("PIISCAN_NOW"), "the time to judge ages by, RFC 3339 (for audits and tests) [PIISCAN_NOW]")
	f.BoolVar(&e.noBreaker, "no-breaker", false, "let this run delete more than the circuit breaker allows")
	f.StringArrayVar(&e.locations, "location", nil, "only this location (repeatable)")
}

// setup loads the policy and resolves --now and enforcement.
func (e *enforceFlags) setup(g *globalFlags) (*config.Config, time.Time, bool, error) {
	cfg, err := config.Resolve(g.config, piiscan.DefaultRules)
	if err != nil {
		return nil, time.Time{}, false, err
	}
	now := time.Now()
	if e.now != "" {
		now, err = time.Parse(time.RFC3339, e.now)
		if err != nil {
			return nil, time.Time{}, false, usageError(fmt.Errorf("--now / PIISCAN_NOW: %w", err))
		}
	}
	for _, l := range e.locations {
		found := false
		for _, loc := range cfg.Locations {
			found = found || loc.Name == l
		}
		if !found {
			return nil, time.Time{}, false, usageError(fmt.Errorf("--location: no location named %q in %s", l, cfg.Name))
		}
	}
	if len(cfg.Locations) == 0 {
		return nil, time.Time{}, false, usageError(fmt.Errorf("%s declares no locations", cfg.Name))
	}
	return cfg, now, e.enforce || cfg.File.Enforcement.Enforce, nil
}

// auditLog opens the configured audit log (scansetup.AuditLog); its
// errors are usage errors.
func auditLog(cfg *config.Config, enforce bool) (*audit.Log, error) {
	l, err := scansetup.AuditLog(cfg, enforce)
	if err != nil {
		return nil, usageError(err)
	}
	return l, nil
}

// objectClient returns an S3 client when a location is in a bucket.
func objectClient(cmd *cobra.Command, cfg *config.Config) (*bucket.Client, error) {
	set, err := config.NewSettings(cfg, cmd.Flags(), config.ScanOptions)
	if err != nil {
		return nil, err
	}
	return scansetup.ObjectsFor(cmd.Context(), set, scansetup.LocationRoots(cfg))
}

func newPurgeCmd(g *globalFlags) *cobra.Command {
	var ef enforceFlags
	cmd := &cobra.Command{
		Use:   "purge",
		Short: "Apply retention: delete expired files and expired records (a dry run unless --enforce)",
		Long: `Apply each location's retention rule. Files older than max_age (by mtime)
are deleted, quarantined or redacted; with from: record, the expired
records inside plain, gzip and zstd logs are dropped and the file is
rewritten atomically. Files under a legal hold and files still being
written are left alone. Without --enforce nothing changes: the plan is
printed.

Exit codes: 0 done (or planned); 2 usage or configuration error; 3 some
actions failed (listed); 4 the circuit breaker stopped the run before it
deleted anything.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, now, enforce, err := ef.setup(g)
			if err != nil {
				return err
			}
			objects, err := objectClient(cmd, cfg)
			if err != nil {
				return err
			}
			plan, err := retention.PlanPurge(cmd.Context(), cfg, retention.PlanOptions{Now: now, Locations: ef.locations, NoBreaker: ef.noBreaker, Objects: objects})
			if err != nil {
				return err
			}
			return execute(cmd, cfg, &scansetup.Setup{Objects: objects}, plan, enforce)
		},
	}
	ef.add(cmd)
	return cmd
}

func newAuditCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Check the audit log"}
	var expect string
	verify := &cobra.Command{
		Use:   "verify [FILE]",
		Short: "Check the audit log's hash chain and head, and list actions not recorded as finished",
		Long: `Check that no entry of the audit log was edited, removed or reordered, and
that its end matches its head file (FILE.head: the number of entries and
the hash of the last one, MACed), so that entries cut from the end or an
edited last entry are seen too. The chain is keyed with the fingerprint key
(PIISCAN_FINGERPRINT_KEY or fingerprint.key_file), so it cannot be rebuilt
without it; a log written with another key is reported as such.

The head is printed as ENTRIES:HASH. Keep it off this host (a head file
can be rolled back together with the log): --head ENTRIES:HASH checks that
the log still holds a head printed earlier.

Every action is logged before it is taken (an intent) and after (done or
failed). Intents without a result, as a run killed between the two leaves,
are listed: they are not tampering, but each path needs a look to learn
whether the action happened. An object deleted with all_versions names the
versions it may delete before the first goes, and they are listed too. An
intent a later run settled (a done entry for the same action and path, and
every version planned deleted by it or already gone when it listed the
key; or a failed entry that says of every version planned whether it was
deleted, kept under a hold, or gone) is listed as "settled by a later run"
instead.

Exit 0 when the chain and head hold (even with unfinished actions listed),
1 when the chain breaks or the end does not match a head (the line is
named), 2 for a wrong key, a bad --head or a log that cannot be read.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Resolve(g.config, piiscan.DefaultRules)
			if err != nil {
				return err
			}
			path := cfg.AuditLogPath()
			if len(args) == 1 {
				path = args[0]
			}
			var heads []audit.Head
			if expect != "" {
				h, err := audit.ParseHead(expect)
				if err != nil {
					return usageError(fmt.Errorf("--head: %w", err))
				}
				heads = append(heads, h)
			}
			// A log written before weak keys were refused stays
			// verifiable with the key it was written with.
			key, _ := cfg.VerificationKey()
			res, err := audit.Verify(path, key, heads...)
			if err != nil {
				var b *audit.Break
				var ke *audit.KeyError
				switch {
				case errors.As(err, &ke):
					return usageError(fmt.Errorf("%s: %w: is PIISCAN_FINGERPRINT_KEY or fingerprint.key_file the one the log was written with?", path, err))
				case errors.As(err, &b):
					return &exitError{code: exitFindings, err: fmt.Errorf("%s: chain broken at %v (after %d good entries)", path, err, res.Entries)}
				case errors.Is(err, audit.ErrHeadMismatch), errors.Is(err, audit.ErrNoHead):
					return &exitError{code: exitFindings, err: fmt.Errorf("%s: %w", path, err)}
				}
				return &exitError{code: exitUsage, err: err}
			}
			plantext.WriteAuditCheck(cmd.OutOrStdout(), path, res)
			return nil
		},
	}
	verify.Flags().StringVar(&expect, "head", "", "a head printed by an earlier verify (ENTRIES:HASH), kept elsewhere: the log must still hold it")
	cmd.AddCommand(verify)
	return cmd
}
