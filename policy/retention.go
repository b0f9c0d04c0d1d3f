package policy

import (
	"fmt"
	"strings"
	"time"

	"github.com/piiscan/piiscan/config"
)

// Actions a retention verdict can hold.
const (
	Delete        = "delete"         // remove the file
	Quarantine    = "quarantine"     // move the file to the quarantine folder
	DropRecords   = "drop-records"   // rewrite the file without its expired records
	RedactRecords = "redact-records" // mask personal data in expired records
	RedactFile    = "redact"         // mask personal data in the whole file
	Keep          = "keep"           // nothing to do
)

// RetentionVerdict is what a location's retention rule requires of one
// file, and why.
type RetentionVerdict struct {
	Action string
	Reason string
	// Cutoff is, for the record actions, the oldest record time kept.
	Cutoff time.Time
}

// Records reports whether the verdict acts on the records inside the
// file rather than on the file.
func (v RetentionVerdict) Records() bool {
	return v.Action == DropRecords || v.Action == RedactRecords
}

// Retention returns what the retention rule of loc requires, at now, of
// a file whose age counts from mtime. written is when the file (or
// object) was last written: later than mtime when piiscan kept the
// original time of an object it rewrote, which the reason then tells.
//
// A file past the retention gets the location's action; one within it
// is kept, but in a location whose age is measured from the records
// (from: record) its expired records are dropped or redacted. Legal holds
// and whether the file may be acted on now are for the caller to check.
func Retention(loc *config.Location, mtime, written, now time.Time) RetentionVerdict {
	v := RetentionVerdict{Action: Keep}
	age := now.Sub(mtime)
	modified := FormatAge(age) + " ago"
	if mtime.Before(written) {
		// The object itself is newer: say so, not only the age counted.
		modified += fmt.Sprintf(" (original time kept when piiscan rewrote it; object written %s ago)", FormatAge(now.Sub(written)))
	}
	switch {
	case age > loc.MaxAge:
		v.Reason = fmt.Sprintf("modified %s, retention %s", modified, FormatAge(loc.MaxAge))
		switch loc.Action {
		case config.ActionDelete:
			v.Action = Delete
		case config.ActionQuarantine:
			v.Action = Quarantine
		case config.ActionRedact:
			v.Action = RedactFile
		}
	case loc.From == config.FromRecord:
		v.Cutoff = now.Add(-loc.MaxAge)
		v.Reason = fmt.Sprintf("records older than %s (retention %s)", v.Cutoff.UTC().Format(time.RFC3339), FormatAge(loc.MaxAge))
		v.Action = DropRecords
		if loc.Action == config.ActionRedact {
			v.Action = RedactRecords
		}
	default:
		v.Reason = fmt.Sprintf("modified %s, within retention %s", modified, FormatAge(loc.MaxAge))
	}
	return v
}

// WholeFile returns the verdict, in place of a record action, for a file
// of loc whose records are never rewritten, kind saying what it holds
// (a compressed file, an archive): it is kept, and goes as a whole when
// its mtime passes the retention.
func WholeFile(loc *config.Location, kind string, mtime, now time.Time) RetentionVerdict {
	return RetentionVerdict{Action: Keep,
		Reason: fmt.Sprintf("%s: records inside are never rewritten; the whole file goes when its mtime passes the retention (modified %s ago, retention %s)",
			kind, FormatAge(now.Sub(mtime)), FormatAge(loc.MaxAge))}
}

// FormatAge renders an age or a retention in days when it is long, in
// hours and minutes when it is shorter, and in seconds under a minute
// ("12s", never nothing).
func FormatAge(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d > -time.Minute+time.Second/2 && d < time.Minute-time.Second/2:
		return d.Round(time.Second).String()
	}
	return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
}
