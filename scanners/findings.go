package scanners

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/policy"
	"github.com/piiscan/piiscan/scanners/detect"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
	"github.com/piiscan/piiscan/scanners/source"
)

// detect is a worker: it scans chunks and turns matches into findings.
func (r *run) detect() {
	s := r.s
	sc := s.opts.Engine.NewMatcher()
	region := s.opts.Engine.Region()
	vc := &valueCache{}
	for c := range r.chunks {
		res := &result{st: c.st, seq: c.seq, last: c.last, mark: c.mark}
		if c.data != nil && r.ctx.Err() == nil {
			// A chunk whose detection saw the cancellation may have been
			// cut short: it does not count as scanned.
			res.scanned = r.detectChunk(sc, vc, c, region, res) && r.ctx.Err() == nil
		}
		if c.buf != nil {
			r.bufs.Put(c.buf)
		}
		select {
		case r.results <- res:
		case <-r.ctx.Done():
		}
	}
}

// detectChunk scans one chunk and reports whether it went through it
// all. A panic (a bug meeting unexpected input) is reported as a problem
// of the chunk's path, and the scan goes on.
func (r *run) detectChunk(sc *detect.Matcher, vc *valueCache, c *chunk, region string, res *result) (whole bool) {
	defer func() {
		if p := recover(); p != nil {
			r.problem(c.st.path, fmt.Errorf("internal error while scanning line %d: %v", c.line, p))
			res.findings, res.counted = nil, 0
			whole = false
		}
	}()
	st := c.st
	cols := st.cols
	if c.cols != nil {
		cols = c.cols
	} else if cols != nil && (c.first || c.col0 > 0) {
		cc := *cols
		cc.SkipFirstLine = true
		cols = &cc
	}
	st.in.patterns.Scanned(c.hi - c.lo)
	st.in.allow.Scanned(c.hi - c.lo)
	sc.SetFile(st.file)
	matches := sc.ScanStream(r.ctx, st.in.patterns, c.data, cols)
	for _, p := range sc.PatternProblems() {
		r.incomplete(st.in, st.path, c.lineAt(p.Offset), p.Err)
	}
	return r.findings(c, matches, region, vc, res)
}

// valueCache remembers, for one worker, the masked form and fingerprint
// of recent values, and the clauses recent findings violate: logs repeat
// the same addresses on many lines, and an HMAC per finding is a good
// part of the cost of a scan.
type valueCache struct {
	values   map[string]cachedValue // class, NUL, raw value
	key      []byte
	stored   bool // the last lookup looked, and store may store
	violates map[violatesKey]string
	// Values that do not repeat only cost the cache: it watches its hit
	// rate and pauses when it is low.
	lookups, hits, paused int
}

type cachedValue struct{ masked, fingerprint string }

type violatesKey struct {
	place *policy.Placement
	rule  int
}

// valueCacheSize bounds a worker's cache; it starts over when full. Its
// map is made that size at once and cleared when full (which keeps its
// room), so that it never grows.
const valueCacheSize = 4096

// maxCachedValue bounds the length of a cached value: longer ones (a
// long token, a URL's credentials) rarely repeat.
const maxCachedValue = 256

// lookup returns the cached masked value and fingerprint of raw.
func (vc *valueCache) lookup(class string, raw []byte) (cachedValue, bool) {
	vc.stored = false
	if vc.paused > 0 {
		vc.paused--
		return cachedValue{}, false
	}
	if len(raw) > maxCachedValue {
		return cachedValue{}, false
	}
	vc.key = append(append(append(vc.key[:0], class...), 0), raw...)
	v, ok := vc.values[string(vc.key)]
	vc.lookups++
	if ok {
		vc.hits++
	}
	if vc.lookups == valueCacheSize {
		if vc.hits < valueCacheSize/10 {
			vc.paused = 64 * valueCacheSize
		}
		vc.lookups, vc.hits = 0, 0
	}
	vc.stored = !ok && vc.paused == 0 // a pause starts now: nothing to store
	return v, ok
}

// store caches v under the key of the last lookup, which missed (unless
// that lookup did not look: the cache is paused, or the value too long).
func (vc *valueCache) store(v cachedValue) {
	if !vc.stored {
		return
	}
	vc.stored = false
	switch {
	case vc.values == nil:
		vc.values = make(map[string]cachedValue, valueCacheSize)
	case len(vc.values) >= valueCacheSize:
		clear(vc.values)
	}
	vc.values[string(vc.key)] = v
}

// violatesOf returns the clauses a disallowed finding of rule violates
// at pl (see policy.Violates). Outside the locations (pl nil) they are
// the rule's own, which need no cache.
func (vc *valueCache) violatesOf(pl *policy.Placement, ruleIdx int, policyRef string) string {
	if pl == nil {
		return policy.Violates(nil, policyRef)
	}
	k := violatesKey{pl, ruleIdx}
	if v, ok := vc.violates[k]; ok {
		return v
	}
	if vc.violates == nil || len(vc.violates) >= valueCacheSize {
		vc.violates = map[violatesKey]string{}
	}
	v := policy.Violates(pl, policyRef)
	vc.violates[k] = v
	return v
}

// findings turns the matches of chunk c into res.findings or, once the
// input is capped (see Options.MaxFindings), only counts them but for the
// first of each rule not yet reported (the collector decides). It
// reports whether it went through all the matches (not stopped by a
// cancellation).
func (r *run) findings(c *chunk, matches []detect.Match, region string, vc *valueCache, res *result) bool {
	s := r.s
	var out []finding.Finding
	if p, ok := r.fslices.Get().(*[]finding.Finding); ok {
		out = (*p)[:0]
	}
	in := c.st.in
	capped := in.capped.Load()
	var made []int // rules with a finding made in this chunk while capped
	data := c.data
	line, pos, lineStart := c.line, 0, 0
	var cells source.FieldCursor // a table's rows
	if c.col0 > 0 {
		cells.Resume(c.cell0, c.cellStart0-c.col0)
	}
	for _, m := range matches {
		if m.Start < c.lo || m.Start >= c.hi {
			continue
		}
		if r.ctx.Err() != nil {
			res.findings = out
			return false // allow patterns may take a while on each value
		}
		rule := &s.rules[m.Rule]
		if s.classes != nil && !s.classes[rule.Class] || c.st.allowed[rule.Class] {
			continue
		}
		if n := bytes.Count(data[pos:m.Start], []byte{'\n'}); n > 0 {
			line += n
			lineStart = pos + lastNewline(data[pos:m.Start]) + 1
		}
		pos = m.Start
		var field string
		cellStart := 0 // in a table's row: where the value's field starts
		if t := c.st.table; t != nil {
			if line == 0 {
				continue // the names of the columns
			}
			n, start := cells.At(data, lineStart, m.Start)
			if t.IsNumber(n) && !c.st.cols.Named(n) {
				// A number is only a number: an integer column says
				// nothing of what it holds but by its name (random ids
				// pass Luhn and card ranges as often as cards do).
				continue
			}
			if line == t.HeaderRow && c.st.cols.Named(n) {
				continue // a sheet's header: the cell is the column's name
			}
			field, cellStart = t.Field(n, line), start
		}
		raw := data[m.Start:m.End]
		norm := detect.Normalize(rule.Class, raw, m.RegionOr(region))
		allowed, errs := s.opts.Allow.ValueIn(in.allow, rule.Class, raw, norm)
		for _, err := range errs {
			r.incomplete(in, c.st.path, line, err)
		}
		if allowed {
			continue
		}
		if capped {
			if in.seen[m.Rule].Load() || slices.Contains(made, m.Rule) {
				if res.counted == 0 {
					res.countAt = line
				}
				res.counted++
				continue
			}
			made = append(made, m.Rule)
		}
		col := m.Start - lineStart + 1
		if line == c.line {
			col += c.col0
		}
		if c.st.table != nil {
			col = m.Start - cellStart + 1 // in the field
		}
		var cv cachedValue
		if rule.Detector == catalog.PrivateKey {
			// The fingerprint covers the key's body, not the marker.
			fpInput := append(slices.Clip(raw), detect.PrivateKeyBody(data, m.Start, m.End)...)
			cv = cachedValue{finding.Mask(rule.Class, raw), s.opts.Fingerprints.Sum(rule.Class, fpInput)}
		} else if m.Region != "" {
			// A national number of another region: the same text
			// elsewhere is another number (the cache is by text).
			cv = cachedValue{finding.Mask(rule.Class, raw), s.opts.Fingerprints.Sum(rule.Class, norm)}
		} else if v, ok := vc.lookup(rule.Class, raw); ok {
			cv = v
		} else {
			cv = cachedValue{finding.Mask(rule.Class, raw), s.opts.Fingerprints.Sum(rule.Class, norm)}
			vc.store(cv)
		}
		f := finding.Finding{
			Path:        c.st.path,
			Line:        line,
			Column:      col,
			Length:      m.End - m.Start,
			Field:       field,
			Class:       rule.Class,
			Rule:        rule.ID,
			Severity:    rule.Severity,
			Confidence:  m.Confidence,
			Masked:      cv.masked,
			Fingerprint: cv.fingerprint,
			Policy:      rule.PolicyRef,
		}
		pl := c.st.place
		if pl != nil {
			f.Location = pl.Location
		}
		if f.Disallowed = policy.Disallowed(pl, rule.Class); f.Disallowed {
			f.Violates = vc.violatesOf(pl, m.Rule, rule.PolicyRef)
		}
		if s.opts.Reveal {
			f.Value = string(raw)
		}
		out = append(out, f)
	}
	res.findings = out
	return true
}
