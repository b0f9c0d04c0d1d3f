package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/piiscan/piiscan"
	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/report"
	"github.com/piiscan/piiscan/scansetup"
	"github.com/piiscan/piiscan/shard"
)

func newReportCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Work with scan results",
	}
	cmd.AddCommand(newReportMergeCmd(g))
	return cmd
}

func newReportMergeCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "merge [flags] SOURCE...",
		Short: "Merge the findings files of a sharded scan into one report",
		Long: `Merges the findings files the shards of one scan left with --shard-output
(directories or s3:// prefixes holding shard-NNNNN-of-NNNNN.jsonl, or the
files themselves) into one report of any format, with totals. Findings come
in the order one unsharded scan would report them.

The merge refuses to guess: a missing shard, a shard twice, files of
different scans (another count, job, target list or rules), files written
with different fingerprint keys (their headers' key ids differ, or some
have none) and incomplete files are errors (exit 2); --run picks one run's files where several
runs left theirs. --wait polls the sources until every shard is there.
Without --format, the name of --output chooses it (.sarif, .json, .jsonl,
.txt). A file at --output is replaced whole, keeping its permissions; a
device, a named pipe or /dev/stdout is written in place; a link is
followed to its target. Otherwise the exit codes are the scan's: 0 nothing at or above
--fail-on, 1 findings at or above it, 3 some inputs could not be read.`,
		Example: `  piiscan report merge ./shards
  piiscan report merge --format sarif -o pii.sarif s3://audit/piiscan/run-42/
  piiscan report merge --wait 2h --format json -o s3://audit/reports/run-42.json s3://audit/piiscan/run-42/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runMerge(cmd, g, args)
		},
	}
	f := cmd.Flags()
	addReportFlags(f, "FILE or s3://bucket/key")
	f.String("run", "", "merge only the files of this run (PIISCAN_RUN_ID of the shards)")
	f.Duration("wait", 0, "wait up to this long for every shard's file to appear (e.g. 2h)")
	f.Duration("poll", 15*time.Second, "how often --wait looks")
	addS3Flags(f)
	return cmd
}

func runMerge(cmd *cobra.Command, g *globalFlags, sources []string) error {
	ctx := cmd.Context()
	cfg, err := config.Resolve(g.config, piiscan.DefaultRules)
	if err != nil {
		return err
	}
	set, err := config.NewSettings(cfg, cmd.Flags(), config.ScanOptions)
	if err != nil {
		return err
	}
	format, failOn, err := reportSettings(set)
	if err != nil {
		return err
	}
	output := set.String("scan.output")
	objects, err := scansetup.ObjectsFor(ctx, set, append([]string{output}, sources...))
	if err != nil {
		return err
	}
	wait, _ := cmd.Flags().GetDuration("wait")
	poll, _ := cmd.Flags().GetDuration("poll")
	run, _ := cmd.Flags().GetString("run")
	stdout := cmd.OutOrStdout()
	if output == "-" {
		output = ""
	}
	if format == "" && output != "" {
		// report.sarif is a SARIF report unless --format says otherwise.
		format, _ = shard.FormatOf(output)
	}
	res, err := shard.Merge(ctx, shard.MergeOptions{Sources: sources, Objects: objects, Run: run, Wait: wait, Poll: poll,
		Format: chooseFormat(format, output, stdout), Meta: report.Meta{Version: buildVersion(), Rules: cfg.Rules},
		Dest: output, Out: stdout})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err // interrupted (waiting for shards, or a pipe's reader): exit 130
		}
		return usageError(escapeError(err))
	}
	h, stats := res.Header, res.Stats
	if h.Config != cfg.Digest() {
		slog.Warn("the shards ran with other rules than "+cfg.Name+"; the report describes rules by "+cfg.Name, "shards", h.Config, "here", cfg.Digest())
	}
	if h.KeyID == "" {
		slog.Warn("the shards' files record no fingerprint key id (an older piiscan wrote them): the merge cannot check that they used one key")
	}
	slog.Info("merged", "shards", h.Count, "key_id", h.KeyID, "files", stats.Files, "bytes", stats.Bytes, "findings", stats.Findings, "unreadable", len(stats.Problems))
	stderr := cmd.ErrOrStderr()
	printProblems(stderr, stats.Problems)
	return reportExit(res.Worst, failOn, len(stats.Problems))
}
