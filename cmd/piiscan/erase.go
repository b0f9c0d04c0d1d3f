package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/piiscan/piiscan/retention"
)

func newEraseCmd(g *globalFlags) *cobra.Command {
	var ef enforceFlags
	var subjects []string
	var drop bool
	var reportPath string
	cmd := &cobra.Command{
		Use:   "erase --subject KIND=VALUE...",
		Short: "Right to deletion: erase a person's data from every location (a dry run unless --enforce)",
		Long: `Find every record, in every location, that mentions the data subject and
erase it: the subject's values are replaced by [class:erased], or with
--drop-records the whole records are removed (a log record with its stack
trace or indented lines, a CSV record with its quoted line breaks; a line
that also holds other people's identifiers keeps them, and only the
subject's values in it are masked). Values match in any
written form: an email in any case or URL-encoded, a phone number in any
format. Files under a legal hold are kept and the report says why.

--report writes a JSON report for the requester: per location, records
found, erased and kept, and why. It holds no other person's data: counts,
location names and the subject's own masked values, no paths. Its
"complete" is true only when every record found was erased or is kept
under a legal hold, and every input could be searched.

Exit codes: 0 the erasure is complete (or, in a dry run, would be); 2 usage
or configuration error; 3 it is not: records were kept (a file still being
written, an archive, an error) or inputs could not be searched (listed);
4 the circuit breaker stopped the run.

  piiscan erase --subject email=alice@example.com --subject phone=+14155552671 --enforce --report erasure.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(subjects) == 0 {
				return usageError(fmt.Errorf("name at least one --subject KIND=VALUE"))
			}
			cfg, now, enforce, err := ef.setup(g)
			if err != nil {
				return err
			}
			s, err := setupScan(cmd, g)
			if err != nil {
				return err
			}
			if err := s.useLocations(cmd, cfg, true); err != nil {
				return err
			}
			var subs []retention.Subject
			for _, raw := range subjects {
				sub, err := retention.ParseSubject(raw, cfg.Region(), s.fingerprints)
				if err != nil {
					return usageError(err)
				}
				subs = append(subs, sub)
			}
			plan, err := retention.PlanErase(cmd.Context(), cfg, s.scanner, subs, retention.EraseOptions{
				PlanOptions: retention.PlanOptions{Now: now, Locations: ef.locations, Objects: s.objects}, DropRecords: drop})
			if err != nil {
				return err
			}
			execErr := execute(cmd, cfg, s, plan, enforce)
			rep := plan.ErasureReport(subs, enforce)
			printErasure(cmd.OutOrStdout(), rep)
			if reportPath != "" {
				out, commit, err := openOutput(reportPath, cmd.OutOrStdout())
				if err != nil {
					return usageError(err)
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					commit(false)
					return err
				}
				if err := commit(true); err != nil {
					return err
				}
			}
			if err := rep.Err(); execErr == nil && err != nil {
				return &exitError{code: exitUnreadable, err: err}
			}
			return execErr
		},
	}
	ef.add(cmd)
	cmd.Flags().StringArrayVar(&subjects, "subject", nil, "a value of the person: email=..., phone=+..., ssn=..., card=..., ip=... (repeatable)")
	cmd.Flags().BoolVar(&drop, "drop-records", false, "remove whole records that mention the subject instead of masking the values")
	cmd.Flags().StringVar(&reportPath, "report", "", "write the requester's report (JSON) to FILE")
	return cmd
}

func printErasure(w io.Writer, r retention.ErasureReport) {
	fmt.Fprintf(w, "\nErasure report for %v\n", r.Subjects)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LOCATION\tFOUND\tERASED\tKEPT\tWHY KEPT")
	for _, l := range r.Locations {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", l.Location, l.Found, l.Erased, l.LocationErasureSum.Kept, joinList(l.Kept))
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t\n", r.Totals.Found, r.Totals.Erased, r.Totals.Kept)
	tw.Flush()
	if !r.Complete {
		fmt.Fprintf(w, "NOT COMPLETE: %d inputs could not be searched; records kept other than under a legal hold must be erased by another run\n", r.Unsearched)
	}
}

func joinList(l []string) string {
	out := ""
	for i, s := range l {
		if i > 0 {
			out += "; "
		}
		out += s
	}
	return out
}
