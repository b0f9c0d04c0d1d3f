package retention

import (
	"fmt"

	"github.com/piiscan/piiscan/config"
)

// breaker returns why a plan removes too much of a location: more files
// than enforcement.breaker.max_files, or a larger share than max_share of
// its files, of its bytes, or of the records in the files whose records it
// drops. A wrong clock, a misread record time or a glob that matches too
// much must not wipe a disk, whether it deletes files or empties them
// record by record. Items must have been counted (see Executor.count).
func (x *Executor) breaker(p *Plan) []string {
	b := x.Config.File.Enforcement.Breaker
	maxFiles, maxShare := b.MaxFiles, b.MaxShare
	if maxFiles == 0 {
		maxFiles = 1000
	}
	if maxShare == 0 {
		maxShare = 0.5
	}
	type tally struct {
		loc              *config.Location
		removals         int
		bytes            float64
		records, dropped int64
	}
	var order []*tally
	byLoc := map[string]*tally{}
	for _, it := range p.Items {
		if it.Err != nil {
			continue
		}
		t := byLoc[it.Location.Name]
		if t == nil {
			t = &tally{loc: it.Location}
			byLoc[it.Location.Name] = t
			order = append(order, t)
		}
		switch {
		case it.Action == Delete || it.Action == Quarantine:
			t.removals++
			t.bytes += float64(it.Snap.Size)
			if o := p.older[it.Path]; o != nil {
				// With all_versions its old versions go with it.
				t.removals += int(o.files)
				t.bytes += float64(o.bytes)
			}
		case it.Action == DropRecords && it.Stats.Dropped > 0 && it.Stats.BytesIn > 0:
			t.bytes += float64(it.Snap.Size) * float64(it.Stats.BytesIn-it.Stats.BytesOut) / float64(it.Stats.BytesIn)
		}
		if it.counted {
			t.records += it.Stats.Records + it.Stats.Undated
			t.dropped += it.Stats.Dropped
		}
	}
	var out []string
	for _, t := range order {
		size := p.sizes[t.loc.Name]
		if size == nil {
			size = &locationSize{}
		}
		name := t.loc.Name
		share := func(part, whole float64) string { return fmt.Sprintf("%.0f%%", 100*part/whole) }
		switch {
		case maxFiles > 0 && t.removals > maxFiles:
			out = append(out, fmt.Sprintf("location %s: would remove %d files, more than enforcement.breaker.max_files (%d)", name, t.removals, maxFiles))
		case maxShare >= 1:
		case t.removals > 0 && float64(t.removals) > maxShare*float64(size.files):
			out = append(out, fmt.Sprintf("location %s: would remove %d of its %d files (%s), more than enforcement.breaker.max_share (%.0f%%)",
				name, t.removals, size.files, share(float64(t.removals), float64(size.files)), 100*maxShare))
		case t.bytes > 0 && size.bytes > 0 && t.bytes > maxShare*float64(size.bytes):
			out = append(out, fmt.Sprintf("location %s: would remove %.0f of its %d bytes (%s), more than enforcement.breaker.max_share (%.0f%%)",
				name, t.bytes, size.bytes, share(t.bytes, float64(size.bytes)), 100*maxShare))
		case t.dropped > 0 && float64(t.dropped) > maxShare*float64(t.records):
			out = append(out, fmt.Sprintf("location %s: would drop %d of the %d records it reads (%s), more than enforcement.breaker.max_share (%.0f%%)",
				name, t.dropped, t.records, share(float64(t.dropped), float64(t.records)), 100*maxShare))
		}
	}
	return out
}
