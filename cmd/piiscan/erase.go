package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/report/plantext"
	"github.com/piiscan/piiscan/retention"
	"github.com/piiscan/piiscan/scansetup"
)

func newEraseCmd(g *globalFlags) *cobra.Command {
	var ef enforceFlags
	var subjects []string
	var subjectFile string
	var drop bool
	var reportPath string
	cmd := &cobra.Command{
		Use:   "erase (--subject KIND=VALUE... | --subject-file FILE)",
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

--subject-file reads the subjects from FILE ("-" for standard input), one
KIND=VALUE a line; blank lines and lines starting with '#' are skipped. It
keeps the person's data out of the shell history and of the process list,
where every user of the host can read a --subject; both may be given.
A subject must be a value detection reports, checked as detection checks
what it finds (an SSN's area, group and serial, a card's Luhn check and
brand, a phone number's metadata, an address that parses, an email's
domain), and a rule of the policy must detect its kind: otherwise it could
never be found, and the erasure would look complete. An invalid subject is a usage error named by its place
(--subject #2, FILE:3) and what is wrong, never by its value.

Exit codes: 0 the erasure is complete (or, in a dry run, would be); 2 usage
or configuration error; 3 it is not: records were kept (a file still being
written, an archive, an error) or inputs could not be searched (listed);
4 the circuit breaker stopped the run.

  piiscan erase --subject email=alice@example.com --subject phone=+14155552671 --enforce --report erasure.json
  piiscan erase --subject-file - --enforce < request-1234.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			raws, err := gatherSubjects(subjects, subjectFile, cmd.InOrStdin())
			if err != nil {
				return usageError(err)
			}
			cfg, now, enforce, err := ef.setup(g)
			if err != nil {
				return err
			}
			s, err := setupScan(cmd, cfg)
			if err != nil {
				return err
			}
			// The plan prints the problems: the scan only logs them at
			// debug level, so each is said once.
			s.Options.QuietProblems = true
			scanner, err := s.Build(cmd.Context(), scansetup.Spec{Enforce: true, Erase: true})
			if err != nil {
				return err
			}
			var subs []retention.Subject
			for _, raw := range raws {
				sub, err := parseSubject(raw, cfg.Region(), s.Options.Fingerprints)
				if err != nil {
					return usageError(err)
				}
				if err := sub.Detectable(s.Options.Engine.Rules()); err != nil {
					return usageError(fmt.Errorf("%s: %w", raw.where, err))
				}
				subs = append(subs, sub)
			}
			plan, err := retention.PlanErase(cmd.Context(), cfg, scanner, subs, retention.EraseOptions{
				PlanOptions: retention.PlanOptions{Now: now, Locations: ef.locations, Objects: s.Objects}, DropRecords: drop})
			if err != nil {
				return err
			}
			execErr := execute(cmd, cfg, s.Setup, plan, enforce)
			rep := plan.ErasureReport(subs, enforce)
			plantext.WriteErasure(cmd.OutOrStdout(), rep)
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
	cmd.Flags().StringVar(&subjectFile, "subject-file", "", `read subjects from FILE, one KIND=VALUE a line ("-": standard input), not from the command line`)
	cmd.Flags().BoolVar(&drop, "drop-records", false, "remove whole records that mention the subject instead of masking the values")
	cmd.Flags().StringVar(&reportPath, "report", "", "write the requester's report (JSON) to FILE")
	return cmd
}

// rawSubject is a subject as given, and where it was given, to name it in
// an error without repeating its value.
type rawSubject struct {
	text  string
	where string // --subject #2, FILE:3
}

// maxSubjectFile bounds what --subject-file reads.
const maxSubjectFile = 1 << 20

// gatherSubjects returns the subjects of the --subject flags and of the
// --subject-file (file, "-" for stdin).
func gatherSubjects(flags []string, file string, stdin io.Reader) ([]rawSubject, error) {
	var out []rawSubject
	for i, s := range flags {
		out = append(out, rawSubject{text: s, where: fmt.Sprintf("--subject #%d", i+1)})
	}
	if file != "" {
		name, r := file, stdin
		if file == "-" {
			name = "standard input"
		} else {
			f, err := os.Open(file)
			if err != nil {
				return nil, fmt.Errorf("--subject-file: %w", err)
			}
			defer f.Close()
			r = f
		}
		sc := bufio.NewScanner(io.LimitReader(r, maxSubjectFile+1))
		n, size, found := 0, 0, 0
		for sc.Scan() {
			n++
			size += len(sc.Bytes()) + 1
			text := sc.Text()
			if n == 1 {
				// Windows editors start a UTF-8 file with a byte order mark.
				text = strings.TrimPrefix(text, "\ufeff")
			}
			line := strings.TrimSpace(text)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			out = append(out, rawSubject{text: line, where: fmt.Sprintf("%s:%d", name, n)})
			found++
		}
		switch {
		case errors.Is(sc.Err(), bufio.ErrTooLong):
			return nil, fmt.Errorf("--subject-file %s:%d: line too long for a subject", name, n+1)
		case sc.Err() != nil:
			return nil, fmt.Errorf("--subject-file %s: %w", name, sc.Err())
		case size > maxSubjectFile:
			return nil, fmt.Errorf("--subject-file %s: larger than %d bytes: not a list of subjects", name, maxSubjectFile)
		case found == 0:
			return nil, fmt.Errorf("--subject-file %s: no subjects in it (one KIND=VALUE a line)", name)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("name at least one --subject KIND=VALUE, or --subject-file FILE")
	}
	return out, nil
}

// parseSubject parses a subject. Its error names the subject by where it
// was given and says what is wrong, but never repeats the value: it is a
// person's data, and errors end up in terminals, CI logs and tickets.
func parseSubject(raw rawSubject, region string, fp *finding.Fingerprinter) (retention.Subject, error) {
	sub, err := retention.ParseSubject(raw.text, region, fp)
	if err == nil {
		return sub, nil
	}
	// retention.ParseSubject's reasons repeat nothing of the subject
	// (retention's tests hold it to that): only its place is added.
	reason := err.Error()
	return retention.Subject{}, fmt.Errorf("%s: %s (the value is not repeated here)", raw.where, reason)
}
