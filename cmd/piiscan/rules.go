package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/piiscan/piiscan"
	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/report"
	"github.com/piiscan/piiscan/report/policytext"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/source"
	"github.com/piiscan/piiscan/scansetup"
)

func newRulesCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List and test the rules of the policy",
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List every rule with its class, severity and the policy clause it enforces",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Resolve(g.config, piiscan.DefaultRules)
			if err != nil {
				return err
			}
			policytext.Write(cmd.OutOrStdout(), cfg)
			return nil
		},
	}
	test := &cobra.Command{
		Use:   "test",
		Short: "Scan text from stdin and show the findings (for writing custom rules)",
		Long: `Scan text from standard input with the policy's rules and show every
finding: its location, class, rule and masked value (raw with --reveal).
Useful when writing pattern rules:

  echo 'badge EMP-123456' | piiscan rules test --config my-rules.yaml --reveal

A pattern (of a rule or of the allow list) that times out on a line is
reported with the line, and the exit code is 3.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			defer exitIfStuck(cmd.Context(), cmd.ErrOrStderr(), stopGrace)()
			return testRules(cmd, g)
		},
	}
	test.Flags().Bool("reveal", false, "show raw values")
	test.Flags().String("format", "", "report format (default table)")
	test.Flags().StringArray("class", nil, "show only this class (repeatable)")
	cmd.AddCommand(list, test)
	return cmd
}

func testRules(cmd *cobra.Command, g *globalFlags) error {
	cfg, err := config.Resolve(g.config, piiscan.DefaultRules)
	if err != nil {
		return err
	}
	s, err := setupScan(cmd, cfg)
	if err != nil {
		return err
	}
	scanner, err := s.Build(cmd.Context(), scansetup.Spec{Targets: []string{source.Stdin}})
	if err != nil {
		return setupError(err)
	}
	format := s.format
	if format == "" {
		format = report.FormatTable
	}
	w, err := report.New(format, cmd.OutOrStdout(), report.Meta{Version: buildVersion(), Rules: s.Config.Rules, Start: time.Now()})
	if err != nil {
		return usageError(err)
	}
	stats, err := scanner.Scan(cmd.Context(), []string{source.Stdin}, scanners.SinkFunc(func(f *finding.Finding) error { return w.Add(f) }))
	if cerr := w.Close(stats); err == nil {
		err = cerr
	}
	printProblems(cmd.ErrOrStderr(), stats.Problems)
	if err == nil && len(stats.Problems) > 0 {
		// A pattern that timed out, or a cut report, is a test that did
		// not finish: the rules under test must not look clean.
		return &exitError{code: exitUnreadable}
	}
	return err
}
