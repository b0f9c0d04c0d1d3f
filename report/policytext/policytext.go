// Package policytext writes, for people, the policy a configuration
// enforces: what piiscan rules list prints.
package policytext

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

// Write prints the policy cfg enforces: its rules, locations (what each
// allows, its retention rule and what is done with disallowed data), legal
// holds, jobs and alert routes, and the policy clauses each rule and
// location cites, with the documents they come from.
func Write(out io.Writer, cfg *config.Config) {
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
