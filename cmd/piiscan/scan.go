package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/piiscan/piiscan"
	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/internal/output"
	"github.com/piiscan/piiscan/progress"
	"github.com/piiscan/piiscan/report"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scansetup"
)

func newScanCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scan [flags] TARGET...",
		Short: "Scan files, directories, archives or stdin (-) for personal data",
		Long: `Scan files, directories (walked recursively), compressed files and archives
(.gz .zst .bz2 .xz .tar .tgz .tar.zst .zip, found by their content, nested up
to archives.max_depth) or standard input ("-") for personal data.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it;
2 usage or configuration error; 3 the scan finished but some inputs could
not be read or wholly examined (a corrupt archive, a bomb, a pattern rule
that timed out, a file past --max-findings, an object storage outage
longer than the retries; listed on stderr and in the report); 5 both 1
and 3: findings, and some inputs could not be read.`,
		Example: `  piiscan scan ./examples
  piiscan scan --format sarif --output pii.sarif /var/log
  zcat app.log.gz | piiscan scan --class email --class credit_card -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			defer exitIfStuck(cmd.Context(), cmd.ErrOrStderr(), stopGrace)()
			return runScan(cmd, g, args)
		},
	}
	f := cmd.Flags()
	addReportFlags(f, "FILE")
	f.Int("workers", 0, "detection workers (default: number of CPUs)")
	f.String("progress", "", "progress bar on stderr: auto, always, never (default auto)")
	f.Bool("follow-symlinks", false, "follow symbolic links found in directories")
	f.StringArray("include", nil, "scan only files matching this glob (repeatable; ** crosses directories)")
	f.StringArray("exclude", nil, "skip files and directories matching this glob (repeatable)")
	f.StringArray("class", nil, "report only this class (repeatable): email, ip_address, credit_card, ...")
	f.Bool("reveal", false, "print raw values in the report (off by default: values are masked)")
	f.Int("max-depth", 0, "how deep archives may nest (default from rules.yaml, 3)")
	f.String("max-size", "", "skip files and objects larger than this (e.g. 2GiB)")
	f.Int("max-findings", 0, "most findings reported per input (a file with its archive members); past it they are counted, and the scan exits 3, or 5 with findings (default 100000, -1 for no limit)")
	f.String("newer-than", "", "skip files and objects modified longer ago than this (e.g. 30d)")
	f.String("checkpoint", "", "resume an interrupted scan of s3:// targets from FILE, and keep it there")
	addShardFlags(f)
	addS3Flags(f)
	return cmd
}

// addReportFlags adds the flags that choose the report and when it fails;
// dest says where --output may point.
func addReportFlags(f *pflag.FlagSet, dest string) {
	f.String("format", "", "report format: table, jsonl, json, sarif (default table on a terminal, jsonl otherwise)")
	f.StringP("output", "o", "", "write the report to "+dest+" instead of stdout")
	f.String("fail-on", "", "exit 1 when a finding at or above this severity is found: low, medium, high, critical, or none (default low)")
}

// reportSettings returns scan.format ("" when unset) and scan.fail_on.
func reportSettings(set *config.Settings) (report.Format, finding.Severity, error) {
	formats := []string{}
	for _, f := range report.Formats() {
		formats = append(formats, string(f))
	}
	format, err := set.OneOf("scan.format", formats...)
	if err != nil {
		return "", 0, err
	}
	failOn, err := set.Severity("scan.fail_on")
	return report.Format(format), failOn, err
}

// chooseFormat returns format, or the default: a table for a terminal,
// JSON lines otherwise.
func chooseFormat(format report.Format, output string, stdout io.Writer) report.Format {
	switch {
	case format != "":
		return format
	case output == "" && isTerminal(stdout):
		return report.FormatTable
	}
	return report.FormatJSONL
}

// exitFindingsUnreadable is the exit of a scan with findings at or above
// --fail-on that also could not read (or wholly examine) some inputs: 1
// alone would hide that the findings are not all there are. (4 is taken:
// purge's and redact's circuit breaker.)
const exitFindingsUnreadable = 5

// reportExit is the exit of a finished scan or merge: 1 for findings at
// or above failOn, 3 for unreadable inputs, 5 for both.
func reportExit(worst, failOn finding.Severity, unreadable int) error {
	findings := worst != 0 && worst >= failOn
	switch {
	case findings && unreadable > 0:
		return &exitError{code: exitFindingsUnreadable}
	case findings:
		return &exitError{code: exitFindings}
	case unreadable > 0:
		return &exitError{code: exitUnreadable}
	}
	return nil
}

// addShardFlags adds the flags of sharded scans.
func addShardFlags(f *pflag.FlagSet) {
	f.String("shard", "", "scan only shard INDEX/COUNT of the items, e.g. 0/4 (default: JOB_COMPLETION_INDEX of shards.count)")
	f.String("shard-output", "", "leave this shard's findings file in DIR or s3://bucket/prefix/ for 'piiscan report merge'")
	f.String("shard-report", "", "the shard that completes the set merges them into this FILE or s3://bucket/key (.sarif, .json, .jsonl, .txt)")
}

// addS3Flags adds the object storage flags.
func addS3Flags(f *pflag.FlagSet) {
	f.String("s3-region", "", "AWS region (default: the SDK's, AWS_REGION)")
	f.String("s3-profile", "", "AWS shared config profile (default: the SDK's, AWS_PROFILE)")
	f.String("s3-endpoint-url", "", "S3-compatible endpoint, e.g. http://127.0.0.1:7070 (default: AWS_ENDPOINT_URL or AWS)")
	f.Bool("s3-path-style", false, "address buckets as endpoint/bucket (most S3-compatible stores)")
	f.Int("s3-max-attempts", 0, "attempts per S3 request, with exponential backoff (default 10)")
	f.Int("s3-concurrency", 0, "objects read (concurrent GETs) at once (default 16)")
}

// scanSetup is what runScan, `rules test`, redact and erase build from
// the configuration: the scan's setup and the report's settings.
type scanSetup struct {
	*scansetup.Setup
	checkpoint string
	format     report.Format
	output     string
	failOn     finding.Severity
	progress   string
}

// setupScan reads the settings of cmd over cfg and sets its scan up; a
// setting that is wrong is reported with every other.
func setupScan(cmd *cobra.Command, cfg *config.Config) (*scanSetup, error) {
	set, err := config.NewSettings(cfg, cmd.Flags(), config.ScanOptions)
	if err != nil {
		return nil, err
	}
	s := &scanSetup{}
	var problems []error
	s.format, s.failOn, err = reportSettings(set)
	problems = append(problems, err)
	s.output = set.String("scan.output")
	s.progress, err = set.OneOf("scan.progress", "auto", "always", "never")
	problems = append(problems, err)
	s.Setup, err = scansetup.New(scansetup.Request{Config: cfg, Settings: set, Shards: cmd.Flags().Lookup("shard") != nil,
		Problems: problems, Stdin: cmd.InOrStdin(), Logger: slog.Default()})
	if err != nil {
		return nil, setupError(err)
	}
	s.checkpoint = set.String("scan.checkpoint")
	return s, nil
}

// setupError returns err of scansetup, a usage error when it is one.
func setupError(err error) error {
	var ue *scansetup.UsageError
	if errors.As(err, &ue) {
		return usageError(ue.Err)
	}
	return err
}

func runScan(cmd *cobra.Command, g *globalFlags, targets []string) error {
	cfg, err := config.Resolve(g.config, piiscan.DefaultRules)
	if err != nil {
		return err
	}
	s, err := setupScan(cmd, cfg)
	if err != nil {
		return err
	}
	sharding, err := scansetup.NewSharding(cmd.Context(), s.Settings)
	if err != nil {
		return usageError(err)
	}
	if sharding.Output != nil && s.checkpoint != "" {
		// A resumed run would publish only what it found after the
		// checkpoint, and the merge would lose the rest.
		return usageError(errors.New("--checkpoint and --shard-output do not go together: a shard's findings file must cover its whole share"))
	}
	sharding.Apply(&s.Options)
	stdout := cmd.OutOrStdout()
	s.format = chooseFormat(s.format, s.output, stdout)
	out, commit, err := openOutputContext(cmd.Context(), s.output, stdout)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err // interrupted while waiting for a reader: exit 130
		}
		return usageError(err)
	}
	w, err := report.New(s.format, out, report.Meta{Version: buildVersion(), Rules: s.Config.Rules, Targets: targets, Start: time.Now()})
	if err != nil {
		commit(false)
		return usageError(err)
	}
	scanner, err := s.Build(cmd.Context(), scansetup.Spec{Targets: targets, Named: true, Checkpoint: s.checkpoint})
	if err != nil {
		commit(false)
		return setupError(err)
	}
	cp := s.Checkpoint
	shardOut, err := sharding.Start(cmd.Context(), "", targets, s.Config, buildVersion())
	if err != nil {
		commit(false)
		return err
	}
	stderr := cmd.ErrOrStderr()
	var bar *progress.Bar
	if s.progress == "always" || (s.progress != "never" && isTerminal(stderr)) {
		bar = progress.Start(stderr, &scanner.Progress, 200*time.Millisecond)
	}
	var worst finding.Severity
	sink := scanners.SinkFunc(func(f *finding.Finding) error {
		worst = max(worst, f.Severity)
		if shardOut != nil {
			if err := shardOut.Add(f); err != nil {
				return fmt.Errorf("writing the findings file: %w", err)
			}
		}
		return w.Add(f)
	})
	stats, scanErr := scanner.Scan(cmd.Context(), targets, sink)
	if bar != nil {
		bar.Stop()
	}
	if err := w.Close(stats); err != nil && scanErr == nil {
		scanErr = fmt.Errorf("writing report: %w", err)
	}
	if err := commit(scanErr == nil); err != nil && scanErr == nil {
		scanErr = err
	}
	ferr, merr := sharding.Finish(cmd.Context(), shardOut, stats, scanErr == nil, s.Config, buildVersion(), slog.Default())
	merr = errors.Join(ferr, merr) // the scan finished; its results stand

	printProblems(stderr, stats.Problems)
	if cp != nil {
		// A finished scan starts over next time; an unfinished one resumes.
		if scanErr == nil && len(stats.Problems) == 0 {
			if err := cp.Clear(); err != nil {
				slog.Warn("cannot remove the checkpoint", "error", err)
			}
		} else if err := cp.Save(); err != nil {
			slog.Warn("cannot save the checkpoint", "error", err)
		} else {
			fmt.Fprintf(stderr, "piiscan: the scan did not finish; run it again with --checkpoint %s to resume\n", s.checkpoint)
		}
	}
	if scanErr != nil {
		return escapeError(scanErr)
	}
	if err := reportExit(worst, s.failOn, len(stats.Problems)); err != nil || merr == nil {
		if merr != nil {
			fmt.Fprintf(stderr, "piiscan: %v\n", escapeError(merr))
		}
		return err
	}
	return &exitError{code: exitUnreadable, err: escapeError(merr)}
}

// printProblems lists on w the inputs that could not be read, with their
// names escaped (report.Safe): a file name is not for the terminal to
// obey.
func printProblems(w io.Writer, problems []scanners.Problem) {
	for _, p := range problems {
		what := "cannot read"
		if p.Partial() {
			what = "not wholly examined:"
		}
		fmt.Fprintf(w, "piiscan: %s %s: %s\n", what, report.Safe(p.Path), report.Safe(p.Error))
	}
}

// escapeError returns err with the names in its message escaped
// (report.Safe), one line per error joined with errors.Join; errors.Is and
// errors.As see through it. It returns nil for a nil err.
func escapeError(err error) error {
	if err == nil {
		return nil
	}
	return safeError{err}
}

type safeError struct{ err error }

func (e safeError) Error() string {
	if j, ok := e.err.(interface{ Unwrap() []error }); ok {
		var msgs, lines []string
		for _, err := range j.Unwrap() {
			if err != nil {
				msgs = append(msgs, err.Error())
				lines = append(lines, safeError{err}.Error())
			}
		}
		// errors.Join says its errors one a line; fmt.Errorf with several
		// %w says more (a path, what went wrong), which must not be lost.
		if strings.Join(msgs, "\n") == e.err.Error() {
			return strings.Join(lines, "\n")
		}
	}
	return report.Safe(e.err.Error())
}

func (e safeError) Unwrap() error { return e.err }

// openOutputContext returns where the report goes: stdout for "" and "-",
// otherwise path as internal/output opens it (a regular file replaced
// whole by commit(true), keeping its permissions, 0600 when new; a
// device, a named pipe or /dev/stdout written in place; a link followed to
// its target unless another user planted it in a shared sticky directory
// such as /tmp), so a failed or interrupted scan never leaves a
// half-written report file. ctx ends the wait for a pipe's reader.
func openOutputContext(ctx context.Context, path string, stdout io.Writer) (io.Writer, func(ok bool) error, error) {
	if path == "" || path == "-" {
		return stdout, func(bool) error { return nil }, nil
	}
	f, err := output.Create(ctx, path)
	if err != nil {
		return nil, nil, fmt.Errorf("--output: %w", err)
	}
	commit := func(ok bool) error {
		if !ok {
			f.Abort()
			return nil
		}
		return f.Commit()
	}
	return f, commit, nil
}

// openOutput is openOutputContext for a report written after the work it
// reports (erase's): an interrupt must not cost the report of what was
// done.
func openOutput(path string, stdout io.Writer) (io.Writer, func(ok bool) error, error) {
	return openOutputContext(context.Background(), path, stdout)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
