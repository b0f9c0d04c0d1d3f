package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/piiscan/piiscan"
	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/report"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
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
			return listRules(cmd, cfg)
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

func listRules(cmd *cobra.Command, cfg *config.Config) error {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "Policy: %s\n\n", cfg.Name)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tCLASS\tSEVERITY\tFINDS\tENABLED")
	for _, r := range cfg.File.Rules {
		finds := "pattern"
		if r.Detector != "" {
			finds = "detector " + r.Detector
		}
		class := r.Class
		if b, ok := catalog.Lookup(r.Detector); ok {
			class = b.Class
		}
		enabled := "yes"
		if r.Enabled != nil && !*r.Enabled {
			enabled = "no"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, class, r.Severity, finds, enabled)
	}
	tw.Flush()
	if len(cfg.Locations) > 0 {
		fmt.Fprintln(out)
		tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "LOCATION\tKIND\tALLOWED\tRETENTION\tDISALLOWED")
		for i, l := range cfg.Locations {
			ret := "none"
			if rs := cfg.File.Locations[i].Retention; rs.MaxAge != "" {
				ret = fmt.Sprintf("%s by %s, then %s", rs.MaxAge, l.From, l.Action)
			}
			allowed := append([]string(nil), cfg.File.Locations[i].Allowed...)
			if len(allowed) == 0 {
				allowed = []string{"nothing"}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", l.Name, l.Kind, strings.Join(allowed, ","), ret, l.Disallowed)
		}
		tw.Flush()
		for _, h := range cfg.Holds {
			until := "no end date"
			if !h.Until.IsZero() {
				until = "until " + h.Until.Format("2006-01-02")
			}
			fmt.Fprintf(out, "hold: %s (%s): %s\n", strings.Join(h.Paths, ", "), until, h.Reason)
		}
	}
	if len(cfg.Jobs) > 0 {
		fmt.Fprintln(out)
		tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "JOB\tSCHEDULE\tACTION\tLOCATIONS\tALERTS")
		for _, j := range cfg.Jobs {
			action := j.Action
			if j.Enforce {
				action += " (enforce)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", j.Name, j.JobSpec.Schedule, action, orAll(j.Locations), orNone(j.Alerts))
		}
		tw.Flush()
	}
	if len(cfg.Routes) > 0 {
		fmt.Fprintln(out)
		tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ROUTE\tSINK\tMIN SEVERITY\tLOCATIONS\tCLASSES")
		for _, r := range cfg.Routes {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Kind, r.MinSeverity, orAll(r.Locations), orAll(r.Classes))
		}
		tw.Flush()
	}
	fmt.Fprintln(out, "\nPolicy clauses:")
	for _, r := range cfg.File.Rules {
		fmt.Fprintf(out, "\n%s\n", r.ID)
		if len(r.Policy) == 0 {
			fmt.Fprintln(out, "  (cites no policy clause)")
		}
		for _, p := range r.Policy {
			id, _, _ := strings.Cut(p, " ")
			doc := ""
			if d, ok := cfg.File.Policies[id]; ok {
				doc = fmt.Sprintf(" [%s, %s]", d.Organisation, d.File)
			}
			fmt.Fprintf(out, "  - %s%s\n", p, doc)
		}
	}
	for i, l := range cfg.File.Locations {
		fmt.Fprintf(out, "\nlocation %s\n", l.Name)
		for _, p := range cfg.File.Locations[i].Policy {
			fmt.Fprintf(out, "  - %s\n", p)
		}
	}
	return nil
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

func orAll(l []string) string {
	if len(l) == 0 {
		return "all"
	}
	return strings.Join(l, ",")
}

func orNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ",")
}
