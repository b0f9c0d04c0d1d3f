// Package plantext writes, for people, what a retention plan did or would
// do, the requester's erasure report, and the result of checking the audit
// log: the text purge, redact, erase and audit verify print.
package plantext

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/report"
	"github.com/piiscan/piiscan/retention"
	"github.com/piiscan/piiscan/retention/audit"
	"github.com/piiscan/piiscan/scanners"
)

// WritePlan prints what a plan did or would do. A path is written as scan
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
func WritePlan(w io.Writer, cfg *config.Config, p *retention.Plan, enforce bool) {
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
	summary := report.Plural(len(p.Items), "file")
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
		out = append(out, report.Plural(n, "location")+" could not be read")
	}
	if files > 0 {
		out = append(out, report.Plural(files, "file")+" could not be examined")
	}
	if other > 0 {
		out = append(out, report.Plural(other, "other problem"))
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

// WriteErasure prints the requester's report, its names escaped with
// report.Safe.
func WriteErasure(w io.Writer, r retention.ErasureReport) {
	subjects := make([]string, len(r.Subjects))
	for i, s := range r.Subjects {
		subjects[i] = report.Safe(s)
	}
	fmt.Fprintf(w, "\nErasure report for %v\n", subjects)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LOCATION\tFOUND\tERASED\tKEPT\tWHY KEPT")
	for _, l := range r.Locations {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", report.Safe(l.Location), l.Found, l.Erased, l.LocationErasureSum.Kept, report.Safe(strings.Join(l.Kept, "; ")))
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t\n", r.Totals.Found, r.Totals.Erased, r.Totals.Kept)
	tw.Flush()
	if !r.Complete {
		fmt.Fprintf(w, "NOT COMPLETE: %d inputs could not be searched; records kept other than under a legal hold must be erased by another run\n", r.Unsearched)
	}
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

// WriteAuditCheck prints the result of checking the audit log at path:
// its head, notes, and the actions started but not recorded as finished,
// or settled by a later run. Names are escaped with report.Safe.
func WriteAuditCheck(w io.Writer, path string, res audit.Result) {
	head := audit.Head{Entries: res.Entries, Hash: res.Head}
	fmt.Fprintf(w, "%s: %d entries, chain intact; head %s\n", report.Safe(path), res.Entries, head)
	fmt.Fprintf(w, "keep the head off this host; check the log against it later with --head %s\n", head)
	for _, n := range res.Notes {
		fmt.Fprintf(w, "note: %s\n", report.Safe(n))
	}
	if len(res.Unresolved) > 0 {
		fmt.Fprintf(w, "%s started but not recorded as finished (a run stopped between the action and its result; look at each path):\n", report.Plural(len(res.Unresolved), "action"))
		for _, e := range res.Unresolved {
			fmt.Fprintf(w, "  seq %d %s %s %s at %s%s\n", e.Seq, report.Safe(e.Action), report.Safe(e.Location), report.Safe(itempath.Escape(e.Path)), e.Time.UTC().Format(time.RFC3339), plannedVersions(e))
		}
	}
	if len(res.Settled) > 0 {
		fmt.Fprintf(w, "%s of stopped runs settled by a later run (which did the same action on the same path, and accounts for every version planned):\n", report.Plural(len(res.Settled), "action"))
		for _, st := range res.Settled {
			e := st.Intent
			fmt.Fprintf(w, "  seq %d %s %s %s at %s: settled by a later run (seq %d)%s\n", e.Seq, report.Safe(e.Action), report.Safe(e.Location), report.Safe(itempath.Escape(e.Path)), e.Time.UTC().Format(time.RFC3339), st.By, settledVersions(st))
		}
	}
}
