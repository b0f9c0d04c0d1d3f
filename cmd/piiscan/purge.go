package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/piiscan/piiscan"
	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/report"
	"github.com/piiscan/piiscan/retention"
	"github.com/piiscan/piiscan/retention/audit"
	"github.com/piiscan/piiscan/scanners"
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

// printPlan prints what a plan did or would do. A path is written as scan
// output and the audit log write it (itempath.Escape: a '!' in a name is
// \!, as '!' separates archive members there), so it can be looked up in
// both. Every name in it (paths, the quarantine copies they went to, and
// the problems and warnings that name files) is escaped with report.Safe:
// a file name can hold terminal escapes and bidirectional overrides.
//
// The summary line counts the actions, and says what could not be
// examined: a location that could not be listed (a bucket that does not
// exist, a store that is down, a root that is not mounted) does not read
// as "nothing to do". Each problem is printed once, below it.
func printPlan(w io.Writer, cfg *config.Config, p *retention.Plan, enforce bool) {
	mode := "DRY RUN (nothing changed; use --enforce to act)"
	if enforce {
		mode = "ENFORCED"
	}
	fmt.Fprintf(w, "%s at %s\n\n", mode, p.Now.UTC().Format(time.RFC3339))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACTION\tLOCATION\tPATH\tRECORDS\tWHY")
	counts := map[string]int{}
	var order []string
	for _, it := range p.Items {
		action := it.Action
		switch {
		case it.Err != nil && it.Done:
			action += " (done; audit FAILED)"
		case it.Err != nil:
			action = "FAILED " + action
		case it.Action == retention.DropRecords && it.Stats.Dropped == 0 && it.Stats.Records >= 0 && !it.Done:
			if enforce || it.Stats.Records > 0 {
				action = retention.Keep
			}
		}
		records := ""
		if it.Stats.Records > 0 && !(it.Action == retention.Keep && it.Stats.Dropped > 0) {
			// (A kept file whose records would have expired, as an
			// undatable one, drops nothing.)
			records = fmt.Sprintf("%d of %d dropped", it.Stats.Dropped, it.Stats.Records)
		}
		why := it.Reason
		if it.Err != nil {
			why += ": " + it.Err.Error()
		}
		if it.NewLoc != "" {
			why += " -> " + it.NewLoc
		}
		if counts[action] == 0 {
			order = append(order, action)
		}
		counts[action]++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", action, report.Safe(it.Location.Name), report.Safe(itempath.Escape(it.Path)), records, report.Safe(why))
	}
	tw.Flush()
	slices.Sort(order)
	parts := make([]string, 0, len(order))
	for _, a := range order {
		parts = append(parts, fmt.Sprintf("%d %s", counts[a], a))
	}
	summary := plural(len(p.Items), "file")
	if len(parts) > 0 {
		summary += ": " + strings.Join(parts, ", ")
	}
	// "Nothing to do" only when everything was examined: a location that
	// could not be listed may hold what is due.
	roots := locationRoots(cfg)
	if unread := unexamined(roots, p.Problems); unread != "" {
		summary += " (" + unread + ")"
	} else if len(parts) == 0 {
		summary += ": nothing to do"
	}
	fmt.Fprintf(w, "\n%s\n", summary)
	for _, warn := range p.Warnings {
		fmt.Fprintf(w, "warning: %s\n", report.Safe(warn))
	}
	for _, t := range p.Tripped {
		fmt.Fprintf(w, "circuit breaker: %s\n", report.Safe(t))
	}
	said := map[string]bool{}
	for _, pr := range p.Problems {
		switch {
		case pr.Path == "":
			fmt.Fprintf(w, "cannot examine: %s\n", report.Safe(pr.Error))
		case roots[pr.Path] != nil && !pr.Missing:
			// Locations that share a root failed to list it alike.
			if !said[pr.Path] {
				said[pr.Path] = true
				fmt.Fprintf(w, "cannot read location %s at %s: %s\n", report.Safe(strings.Join(roots[pr.Path], ", ")), report.Safe(pr.Path), report.Safe(pr.Error))
			}
		case pr.Missing:
			fmt.Fprintf(w, "missing %s: %s\n", report.Safe(pr.Path), report.Safe(pr.Error))
		default:
			fmt.Fprintf(w, "cannot examine %s: %s\n", report.Safe(pr.Path), report.Safe(pr.Error))
		}
	}
}

// unexamined says, for the summary line of a plan, what its problems left
// unexamined ("" when nothing): locations (a root that could not be listed
// or does not exist), files, and problems of no single path. roots are
// locationRoots of the configuration.
func unexamined(roots map[string][]string, problems []scanners.Problem) string {
	locations, files, other := map[string]bool{}, 0, 0
	for _, pr := range problems {
		switch {
		case pr.Path == "":
			other++
		case roots[pr.Path] != nil:
			for _, name := range roots[pr.Path] {
				locations[name] = true
			}
		case pr.Missing:
			locations[pr.Path] = true
		default:
			files++
		}
	}
	var out []string
	if n := len(locations); n > 0 {
		out = append(out, plural(n, "location")+" could not be read")
	}
	if files > 0 {
		out = append(out, plural(files, "file")+" could not be examined")
	}
	if other > 0 {
		out = append(out, plural(other, "other problem"))
	}
	return strings.Join(out, ", ")
}

// locationRoots maps the roots of cfg's locations to the names of the
// locations under each.
func locationRoots(cfg *config.Config) map[string][]string {
	roots := map[string][]string{}
	if cfg == nil {
		return roots
	}
	for _, l := range cfg.Locations {
		for _, r := range l.Roots() {
			if !slices.Contains(roots[r], l.Name) {
				roots[r] = append(roots[r], l.Name)
			}
		}
	}
	return roots
}

// plural counts n of word: "1 file", "3 files" (as report's and alert's
// helpers of the same name do).
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
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
			w := cmd.OutOrStdout()
			head := audit.Head{Entries: res.Entries, Hash: res.Head}
			fmt.Fprintf(w, "%s: %d entries, chain intact; head %s\n", report.Safe(path), res.Entries, head)
			fmt.Fprintf(w, "keep the head off this host; check the log against it later with --head %s\n", head)
			for _, n := range res.Notes {
				fmt.Fprintf(w, "note: %s\n", report.Safe(n))
			}
			if len(res.Unresolved) > 0 {
				fmt.Fprintf(w, "%s started but not recorded as finished (a run stopped between the action and its result; look at each path):\n", plural(len(res.Unresolved), "action"))
				for _, e := range res.Unresolved {
					fmt.Fprintf(w, "  seq %d %s %s %s at %s%s\n", e.Seq, report.Safe(e.Action), report.Safe(e.Location), report.Safe(itempath.Escape(e.Path)), e.Time.UTC().Format(time.RFC3339), plannedVersions(e))
				}
			}
			if len(res.Settled) > 0 {
				fmt.Fprintf(w, "%s of stopped runs settled by a later run (which did the same action on the same path, and accounts for every version planned):\n", plural(len(res.Settled), "action"))
				for _, st := range res.Settled {
					e := st.Intent
					fmt.Fprintf(w, "  seq %d %s %s %s at %s: settled by a later run (seq %d)%s\n", e.Seq, report.Safe(e.Action), report.Safe(e.Location), report.Safe(itempath.Escape(e.Path)), e.Time.UTC().Format(time.RFC3339), st.By, settledVersions(st))
				}
			}
			return nil
		},
	}
	verify.Flags().StringVar(&expect, "head", "", "a head printed by an earlier verify (ENTRIES:HASH), kept elsewhere: the log must still hold it")
	cmd.AddCommand(verify)
	return cmd
}

// plannedVersions lists the versions an unfinished intent planned to
// delete: those it may have deleted.
func plannedVersions(e audit.Entry) string {
	if len(e.Versions) == 0 {
		return ""
	}
	ids := make([]string, len(e.Versions))
	for i, v := range e.Versions {
		ids[i] = report.Safe(v.Version)
	}
	return "; may have deleted versions " + strings.Join(ids, ", ")
}

// settledVersions says how a settled intent's planned versions are
// accounted for.
func settledVersions(st audit.Settled) string {
	var parts []string
	if len(st.Deleted) > 0 {
		parts = append(parts, "deleted by a later run: "+report.Safe(strings.Join(st.Deleted, ", ")))
	}
	if len(st.Kept) > 0 {
		parts = append(parts, "held and kept by a later run: "+report.Safe(strings.Join(st.Kept, ", ")))
	}
	if len(st.Gone) > 0 {
		parts = append(parts, "gone before a later run listed them: "+report.Safe(strings.Join(st.Gone, ", ")))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; versions " + strings.Join(parts, "; ")
}
