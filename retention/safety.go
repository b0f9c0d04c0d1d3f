package retention

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/internal/openat"
	"github.com/piiscan/piiscan/policy"
)

// This file holds the checks every destructive command shares: what is
// piiscan's own, what is held, what is still being written.

// ownFiles are the files and folders piiscan itself writes: the audit log
// and its head, the state, the fingerprint key and the quarantine folder.
// They are never candidates for deletion or rewriting, even when a
// location's paths cover them.
type ownFiles struct {
	paths []string // absolute, cleaned; a folder covers what is under it
	audit []string // the audit log's names: NAME.* are its rotated copies
	infos []fs.FileInfo
}

// ownFilesOf lists the files a configuration makes piiscan write.
func ownFilesOf(c *config.Config) *ownFiles {
	o := &ownFiles{}
	add := func(p string) {
		if p != "" {
			placeOf(p).addOwn(o, p)
		}
	}
	audit := c.AuditLogPath()
	n := len(o.paths)
	add(audit)
	o.audit = append(o.audit, o.paths[n:]...)
	add(audit + ".head")
	add(c.StatePath())
	add(c.File.Fingerprint.KeyFile)
	add(config.DefaultKeyFile())
	add(c.QuarantineDir())
	return o
}

// add adds p, a local file or folder, by its absolute and its real path
// and by identity.
func (o *ownFiles) add(p string) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return
	}
	o.paths = append(o.paths, abs)
	if real, err := filepath.EvalSymlinks(abs); err == nil && real != abs {
		o.paths = append(o.paths, real)
	}
	if fi, err := os.Stat(abs); err == nil {
		o.infos = append(o.infos, fi)
	}
}

// Covers reports whether path, a local file, is one of piiscan's own files
// (or inside its quarantine), by name or by identity, or a temporary file
// of piiscan's (named exactly as piiscan names them: see itempath.IsTemp).
// An object is never one (see place.own).
func (o *ownFiles) Covers(path string) bool {
	if itempath.IsTemp(filepath.Base(path)) {
		return true
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	candidates := []string{abs}
	if real, err := filepath.EvalSymlinks(abs); err == nil && real != abs {
		candidates = append(candidates, real)
	}
	for _, p := range candidates {
		for _, own := range o.paths {
			if p == own || strings.HasPrefix(p, own+string(filepath.Separator)) {
				return true
			}
		}
		for _, a := range o.audit {
			// Rotated or compressed copies of the audit log
			// (audit.jsonl.1, audit.jsonl.2.gz, logrotate's dateext
			// audit.jsonl-20261001) are history too.
			if rest, ok := strings.CutPrefix(p, a); ok && len(rest) > 1 && strings.IndexByte(".-_", rest[0]) >= 0 && filepath.Dir(p) == filepath.Dir(a) {
				return true
			}
		}
	}
	if fi, err := os.Stat(abs); err == nil {
		for _, own := range o.infos {
			if os.SameFile(fi, own) {
				return true
			}
		}
	}
	return false
}

// isTemp reports whether a finding's path is in one of piiscan's own
// temporary files (a rewrite a killed run left behind, which the next
// enforcing run removes).
func isTemp(findingPath string) bool {
	file, _ := itempath.Outer(findingPath)
	return itempath.IsTemp(filepath.Base(file))
}

// holdOf returns the reason of the active hold covering path, at at, or
// "". A hold covers a path when one of its patterns matches the path or a
// folder above it, by the name the location uses or by another name of
// the path (see place.holdNames).
func holdOf(c *config.Config, at place, path string, now time.Time) string {
	h := holdCovering(c, at, path, now)
	if h == nil {
		return ""
	}
	return h.Reason
}

// holdCovering returns the active hold covering path, at at, or nil (see
// holdOf).
func holdCovering(c *config.Config, at place, path string, now time.Time) *config.Hold {
	names := at.holdNames(path)
	for i := range c.Holds {
		h := &c.Holds[i]
		// Active by the plan's clock or by the real one: a --now set
		// ahead (or a PIISCAN_NOW left in a cron environment) must not
		// end a hold early.
		if !h.Active(now) && !h.Active(time.Now()) {
			continue
		}
		for _, n := range names {
			if policy.Covers(*h, n) {
				return h
			}
		}
	}
	return nil
}

// holdReason is how a plan shows a hold.
func holdReason(h *config.Hold) string {
	r := "legal hold: " + h.Reason
	if !h.Until.IsZero() {
		r += " (until " + h.Until.Format("2006-01-02") + ")"
	}
	return r
}

// notNow says why a file must not be rewritten or removed now: it was
// modified within enforcement.live_within (unless the location sets
// rewrite_live), a process holds it open for writing, or it has other
// names (hard links) that would keep the data (see inUse). The error
// wraps ErrLive or ErrLinked; nil means the file may be acted on.
func notNow(c *config.Config, loc *config.Location, at place, snap Snapshot, now time.Time, w *writers) error {
	// How old the file is depends on where it is (see place.age).
	age := at.age(snap.ModTime, now)
	if age < c.LiveWithin && !loc.RewriteLive {
		return fmt.Errorf("%w (modified %s ago, within enforcement.live_within %s); rewrite_live is off",
			ErrLive, age.Round(time.Second), c.LiveWithin)
	}
	return at.inUse(snap, w)
}

// inUse says why the file s describes must not be removed or replaced: it
// has other names (hard links: a snapshot made with them, a backup tool's
// dedup), which would keep its data, or a process holds it open for
// writing (w nil: that cannot be told). fresh reads the process table
// again, for the last check before acting.
func inUse(s Snapshot, w *writers, fresh bool) error {
	if s.Links > 1 {
		return fmt.Errorf("%w: it has %d names (hard links); remove the others first", ErrLinked, s.Links)
	}
	if fresh && w != nil {
		w.scanned = time.Time{}
	}
	if who := w.holding(s.ID); who != "" {
		return fmt.Errorf("%w: open for writing by %s", ErrLive, who)
	}
	return nil
}

// writers finds the processes that hold files open for writing.
type writers struct {
	scanned time.Time
	open    map[openat.ID]string // file -> "pid N (comm)"
}

// newWriters returns a finder of writing processes, or nil where the
// system cannot tell (no /proc).
func newWriters() *writers {
	if _, err := os.Stat("/proc/self/fdinfo"); err != nil {
		return nil
	}
	return &writers{}
}

// holding returns the first process that holds the file id open for
// writing, or "". The process table is read again when the last reading
// is older than a second, so a writer that opened the file since planning
// is seen.
func (w *writers) holding(id openat.ID) string {
	if w == nil || id.IsZero() {
		return ""
	}
	if time.Since(w.scanned) > time.Second {
		w.open = openForWriting()
		w.scanned = time.Now()
	}
	return w.open[id]
}

// ErrLive means a file is still being written.
var ErrLive error = reasonError("still being written")
