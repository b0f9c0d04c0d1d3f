package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	piiscan "github.com/piiscan/piiscan"
	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/jobs"
	"github.com/piiscan/piiscan/scansetup"
	"github.com/piiscan/piiscan/state"
)

// daemonLogging applies daemon.log_level and daemon.log_format unless the
// flags or environment chose.
func daemonLogging(cmd *cobra.Command, g *globalFlags, cfg *config.Config) error {
	d := cfg.File.Daemon
	if !cmd.Flags().Changed("log-level") && os.Getenv("PIISCAN_LOG_LEVEL") == "" {
		g.logLevel = "info"
		if d.LogLevel != "" {
			g.logLevel = d.LogLevel
		}
	}
	if !cmd.Flags().Changed("log-format") && os.Getenv("PIISCAN_LOG_FORMAT") == "" {
		g.logFormat = "json"
		if d.LogFormat != "" {
			g.logFormat = d.LogFormat
		}
	}
	return setupLogging(g)
}

func newDaemonCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "daemon",
		Short: "Run the jobs of rules.yaml on their schedules",
		Long: `Runs every job of rules.yaml on its cron schedule, serves /healthz,
/readyz and /metrics on daemon.listen, and logs JSON to stderr. SIGHUP or a
change of the config file reloads it (an invalid one is rejected and the
running one stays). SIGTERM or SIGINT stops scheduling and lets a running
job finish within daemon.grace_period; then it is cancelled and saves how
far it got. Exit 0 after a clean stop, 2 for a configuration error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := config.DefaultPath(g.config) // watched for changes
			load := func() (*config.Config, error) { return config.Resolve(path, piiscan.DefaultRules) }
			cfg, err := load()
			if err != nil {
				return err
			}
			if err := daemonLogging(cmd, g, cfg); err != nil {
				return err
			}
			if len(cfg.Jobs) == 0 {
				return usageError(fmt.Errorf("%s declares no jobs: nothing to schedule", cfg.Name))
			}
			d := &jobs.Daemon{ConfigPath: path, Load: load, Logger: slog.Default(), Version: buildVersion()}
			if err := d.Run(cmd.Context()); err != nil {
				return usageError(err) // configuration, state or listen address
			}
			return nil
		},
	}
}

func newRunCmd(g *globalFlags) *cobra.Command {
	var full bool
	var waitLock time.Duration
	cmd := &cobra.Command{
		Use:   "run JOB",
		Short: "Run one job of rules.yaml once and exit (for a cron-scheduled container)",
		Long: `Runs the job once, with the same state, alerts and outbox as the daemon,
and exits with the scan exit codes: 0 nothing at or above scan.fail_on in
what was new, 1 findings, 2 usage or configuration error (or the state
still held by another piiscan after --wait-lock), 3 some inputs could not
be read, none of the job's paths exist, or the job timed out (progress
saved), 5 findings and some inputs could not be read, 130 interrupted
(progress saved). A path of the job's locations
that does not exist is named in the log; it fails the run only when none
exists. After the job the outbox is delivered, route by route, within
alerts.delivery_timeout, also when the job timed out. --full ignores the
state and scans everything again.

A scan job can run as one shard of several (--shard INDEX/COUNT, or in a
Kubernetes Indexed Job JOB_COMPLETION_INDEX with shards.count): it scans
the files and objects whose path hashes to its index, keeps its own state
file, and with --shard-output leaves its findings file for
'piiscan report merge'.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Resolve(g.config, piiscan.DefaultRules)
			if err != nil {
				return err
			}
			job := cfg.JobByName(args[0])
			if job == nil {
				names := []string{}
				for _, j := range cfg.Jobs {
					names = append(names, j.Name)
				}
				return usageError(fmt.Errorf("no job %q in %s (jobs: %v)", args[0], cfg.Name, names))
			}
			if err := daemonLogging(cmd, g, cfg); err != nil {
				return err
			}
			set, err := config.NewSettings(cfg, cmd.Flags(), config.ScanOptions)
			if err != nil {
				return usageError(err)
			}
			sharding, err := scansetup.NewSharding(cmd.Context(), set)
			if err != nil {
				return usageError(err)
			}
			st, err := state.OpenContext(cmd.Context(), sharding.Shard.StatePath(cfg.StatePath()), slog.Default(), waitLock)
			if err != nil {
				if cmd.Context().Err() != nil {
					// A signal while waiting for the lock: nothing was done.
					return &exitError{code: exitSignal, err: escapeError(err)}
				}
				return usageError(err)
			}
			defer st.Close()
			r := &jobs.Runner{Config: cfg, State: st, Logger: slog.Default(), Full: full, Sharding: sharding, Version: buildVersion()}
			res, err := r.Run(cmd.Context(), job)
			switch {
			case res != nil && res.Cancelled && cmd.Context().Err() == nil:
				return &exitError{code: exitUnreadable, err: fmt.Errorf("timed out after %s; progress saved", job.Timeout)}
			case res != nil && res.Cancelled:
				return &exitError{code: exitSignal, err: errors.New("interrupted; progress saved")}
			case res != nil && res.NothingToRead:
				return &exitError{code: exitUnreadable, err: fmt.Errorf("job %s examined nothing: none of its paths exist (%s)",
					job.Name, escapeError(errors.New(strings.Join(res.Missing, ", "))))}
			case jobs.IsConfigError(err):
				return usageError(escapeError(err))
			case res.FailFindings > 0 && res.Unreadable() > 0:
				return &exitError{code: exitFindingsUnreadable, err: fmt.Errorf("findings, and %d inputs could not be read or wholly examined (each is named in the log)", res.Unreadable())}
			case res.FailFindings > 0:
				for _, e := range []error{res.OutputError, res.MergeError} {
					if e != nil {
						fmt.Fprintf(cmd.ErrOrStderr(), "piiscan: %v\n", escapeError(e))
					}
				}
				return &exitError{code: exitFindings}
			case res.OutputError != nil || res.MergeError != nil:
				return &exitError{code: exitUnreadable, err: escapeError(errors.Join(res.OutputError, res.MergeError))}
			case err != nil || res.Unreadable() > 0:
				if err == nil {
					err = fmt.Errorf("%d inputs could not be read or wholly examined (each is named in the log)", res.Unreadable())
				}
				return &exitError{code: exitUnreadable, err: escapeError(err)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&full, "full", false, "ignore the state: scan everything again")
	cmd.Flags().DurationVar(&waitLock, "wait-lock", time.Minute, "how long to wait for the state file while another piiscan (the daemon, an earlier run) holds it")
	addShardFlags(cmd.Flags())
	return cmd
}
