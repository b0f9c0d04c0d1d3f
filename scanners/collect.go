package scanners

import (
	"fmt"

	"github.com/piiscan/piiscan/scanners/source"
)

// collect hands results to the sink in walk order: item by item, member by
// member, chunk by chunk. Results that arrive early wait in pending.
func (r *run) collect(sink Sink) error {
	s := r.s
	var failed error
	type itemState struct {
		streams map[int]*stream // by member
		total   int             // streams in the item; -1 until the reader says
		weight  int64
		src     source.Item
		failed  bool
		end     Position
		in      *input
	}
	items := map[int]*itemState{}
	get := func(i int) *itemState {
		it := items[i]
		if it == nil {
			it = &itemState{streams: map[int]*stream{}, total: -1}
			items[i] = it
		}
		return it
	}
	curItem, curMember := 0, 0
	stalled := false // an item failed: checkpoints stop here
	// cut: after a cancellation, the first chunk not scanned ends what is
	// handed to the sink, so that the findings of a plain file reported
	// are those before its position (Incremental.Progress): the next run
	// reports the rest once.
	cut := false
	emit := func(res *result) {
		if !res.scanned && r.ctx.Err() != nil {
			cut = true
		}
		if failed != nil || cut {
			return
		}
		st := res.st
		in := st.in
		limit := int64(s.opts.MaxFindings)
		first := in.unreported == 0 // no finding of the input left out yet
		leftAt := 0                 // line of the first finding left out here
		var n int64
		for i := range res.findings {
			f := &res.findings[i]
			if limit > 0 && in.reported >= limit {
				in.capped.Store(true) // later chunks are only counted
				if in.ids[f.Rule] {
					if leftAt == 0 {
						leftAt = f.Line
					}
					in.unreported++
					continue
				}
			}
			if err := sink.Add(f); err != nil {
				failed = fmt.Errorf("writing findings: %w", err)
				r.cancel(failed) // stop reading: nothing more can be reported
				return
			}
			in.reported++
			n++
			if limit > 0 && !in.ids[f.Rule] {
				if in.ids == nil {
					in.ids = map[string]bool{}
				}
				in.ids[f.Rule] = true
				if i, ok := s.ruleIdx[f.Rule]; ok {
					in.seen[i].Store(true)
				}
			}
		}
		if res.counted > 0 {
			if leftAt == 0 || res.countAt < leftAt {
				leftAt = res.countAt
			}
			in.unreported += res.counted
		}
		if first && leftAt > 0 {
			in.capPath, in.capLine = st.path, leftAt
		}
		r.stats.Findings += n
		s.Progress.Findings.Add(n)
		if cap(res.findings) > 0 {
			clear(res.findings) // drop the strings for the collector
			fs := res.findings[:0]
			r.fslices.Put(&fs)
		}
	}
	for res := range r.results {
		if res.itemDone {
			it := get(res.item)
			it.total, it.weight, it.src, it.failed, it.end, it.in = res.streams, res.weight, res.src, res.failed, res.end, res.in
		} else {
			st := res.st
			get(st.item).streams[st.member] = st
			if st.pending == nil {
				st.pending = map[int]*result{}
			}
			st.pending[res.seq] = res
		}
		// Emit everything that is next in order.
		for {
			it := get(curItem)
			if it.total >= 0 && curMember == it.total {
				delete(items, curItem)
				r.window.Release(it.weight)
				if in := it.in; in != nil && in.unreported > 0 {
					r.stats.Unreported += in.unreported
					r.incomplete(in, in.capPath, in.capLine, fmt.Errorf("the report stops at %d findings for one input: %d more from this line on are not reported",
						s.opts.MaxFindings, in.unreported))
				}
				// A partial problem (a pattern that did not finish, findings
				// past the cap) holds back checkpoints and positions like
				// any other: the next run examines the input again.
				if it.in != nil && it.in.partial.Load() {
					it.failed = true
				}
				if it.failed {
					stalled = true
				}
				// After a cancellation the workers stop scanning: an item
				// completed then was not really read, and neither a
				// checkpoint nor an incremental position may pass it.
				read := failed == nil && !it.failed && r.ctx.Err() == nil
				if s.opts.ItemDone != nil && read && !stalled {
					s.opts.ItemDone(it.src)
				}
				if s.opts.Incremental != nil && read {
					s.opts.Incremental.Done(it.src, it.end)
				}
				curItem, curMember = curItem+1, 0
				continue
			}
			st := it.streams[curMember]
			if st == nil {
				break
			}
			next := st.pending[st.next]
			if next == nil {
				break
			}
			delete(st.pending, st.next)
			st.next++
			emit(next)
			if st.src != nil && !st.stopped {
				switch {
				case failed != nil || cut || !next.scanned || st.in.partial.Load() || st.in.unreported > 0:
					// Not wholly scanned or reported: the position
					// stays before this chunk.
					st.stopped = true
				case next.mark != nil:
					s.opts.Incremental.Progress(*st.src, *next.mark)
				}
			}
			if next.last {
				delete(it.streams, curMember)
				curMember++
			}
		}
	}
	return failed
}
