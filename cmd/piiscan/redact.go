package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/report"
	"github.com/piiscan/piiscan/report/plantext"
	"github.com/piiscan/piiscan/retention"
	"github.com/piiscan/piiscan/scansetup"
)

func newRedactCmd(g *globalFlags) *cobra.Command {
	var ef enforceFlags
	cmd := &cobra.Command{
		Use:   "redact",
		Short: "Mask data a location does not allow, or quarantine it (a dry run unless --enforce)",
		Long: `Scan every location whose policy acts on disallowed data (disallowed:
redact, quarantine or delete) and apply it: values of classes the location
does not allow are replaced in place by a mask that keeps the line
readable ([credit_card:…1111]), in plain, gzip and zstd files, rewritten
atomically; archives holding such data are quarantined (mode 0600) or
deleted. Files under a legal hold and files still being written are left
alone. Without --enforce nothing changes: the plan is printed.

Exit codes as for purge.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, now, enforce, err := ef.setup(g)
			if err != nil {
				return err
			}
			s, err := setupScan(cmd, cfg)
			if err != nil {
				return err
			}
			// The plan prints what could not be examined: the scan
			// does not log it as well.
			s.Options.QuietProblems = true
			scanner, err := s.Build(cmd.Context(), scansetup.Spec{Enforce: true})
			if err != nil {
				return err
			}
			plan, err := retention.PlanRedact(cmd.Context(), cfg, scanner, retention.PlanOptions{Now: now, Locations: ef.locations, NoBreaker: ef.noBreaker, Objects: s.Objects})
			if err != nil {
				return err
			}
			return execute(cmd, cfg, s.Setup, plan, enforce)
		},
	}
	ef.add(cmd)
	return cmd
}

// execute carries out a plan, with the engine, allowlist, fingerprints
// and S3 client of the scan s planned from (purge's: only a client), and
// prints it; purge, redact and erase share its exit codes.
func execute(cmd *cobra.Command, cfg *config.Config, s *scansetup.Setup, plan *retention.Plan, enforce bool) error {
	log, err := auditLog(cfg, enforce)
	if err != nil {
		return err
	}
	x := &retention.Executor{Config: cfg, Enforce: enforce, Audit: log, Logger: loggerFrom(cmd)}
	if s != nil {
		x.Engine = s.Options.Engine
		x.Allow = s.Options.Allow
		x.Fingerprints = s.Options.Fingerprints
		x.Objects = s.Objects
	}
	defer x.Close()
	applyErr := x.Apply(cmd.Context(), plan)
	plantext.WritePlan(cmd.OutOrStdout(), cfg, plan, enforce)
	if errors.Is(applyErr, retention.ErrBreaker) {
		return &exitError{code: exitBreaker, err: applyErr}
	}
	if applyErr != nil {
		return applyErr
	}
	failed := 0
	for _, it := range plan.Items {
		if it.Err != nil {
			failed++
		}
	}
	if failed > 0 || len(plan.Problems) > 0 {
		return &exitError{code: exitUnreadable, err: fmt.Errorf("%s failed, %s could not be examined", report.Plural(failed, "action"), report.Plural(len(plan.Problems), "path"))}
	}
	return nil
}
