package shard

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/report"
	"github.com/piiscan/piiscan/scanners"
)

// input is a shard's findings file to merge.
type input struct {
	Name string // for messages
	R    io.Reader
}

// maxLine bounds one record of a findings file.
const maxLine = 64 << 20

// merger merges the findings files of the shards of one scan.
type merger struct {
	streams []*stream
	targets []target
}

// newMerger reads the headers of inputs and checks that they are every
// shard of one scan.
func newMerger(inputs []input) (*merger, error) {
	if len(inputs) == 0 {
		return nil, errors.New("no shard files to merge")
	}
	streams := make([]*stream, len(inputs))
	for i, in := range inputs {
		st := &stream{name: in.Name, r: bufio.NewReaderSize(in.R, 64<<10)}
		if err := st.readHeader(); err != nil {
			return nil, err
		}
		streams[i] = st
	}
	if err := checkShards(streams); err != nil {
		return nil, err
	}
	return &merger{streams: streams, targets: targetsOf(streams[0].header.Targets)}, nil
}

// Header returns what the shards share (Index is 0).
func (m *merger) Header() Header {
	h := *m.streams[0].header
	h.Index = 0
	return h
}

// Merge hands the findings to sink in the order one unsharded scan
// reports them: target by target, items in walk order (files) or key
// order (objects), each item's findings together and in order, and
// returns the shards' stats added up. It fails when a file is incomplete
// and when an item turns up in two shards.
func (m *merger) Merge(sink scanners.Sink) (*scanners.Stats, error) {
	streams := m.streams
	q := &queue{targets: m.targets}
	for _, st := range streams {
		if err := st.next(q.targets); err != nil {
			return nil, err
		}
		if st.head != nil {
			q.s = append(q.s, st)
		}
	}
	heap.Init(q)
	var last *stream
	lastItem := ""
	for q.Len() > 0 {
		st := q.s[0]
		if last != nil && last != st && st.item == lastItem {
			return nil, fmt.Errorf("%s is in two shards (%s and %s): the files come from different scans or sharding is broken",
				report.Safe(lastItem), last.name, st.name)
		}
		last, lastItem = st, st.item
		if err := sink.Add(st.head); err != nil {
			return nil, err
		}
		if err := st.next(q.targets); err != nil {
			return nil, err
		}
		if st.head == nil {
			heap.Pop(q)
		} else {
			heap.Fix(q, 0)
		}
	}
	var secs float64
	s := &scanners.Stats{}
	for _, st := range streams {
		e := st.end
		if e.Findings != st.findings {
			return nil, fmt.Errorf("%s: its end record counts %d findings but it holds %d", st.name, e.Findings, st.findings)
		}
		s.Files += e.Files
		s.Streams += e.Streams
		s.Binary += e.Binary
		s.Unchanged += e.Unchanged
		s.Skipped += e.Skipped
		s.Bytes += e.Bytes
		s.Findings += e.Findings
		s.Problems = append(s.Problems, e.Problems...)
		secs = max(secs, e.Seconds)
	}
	s.Duration = time.Duration(secs * float64(time.Second))
	slices.SortFunc(s.Problems, func(a, b scanners.Problem) int { return strings.Compare(a.Path, b.Path) })
	return s, nil
}

// checkShards makes sure the headers are those of every shard of one scan.
func checkShards(streams []*stream) error {
	first := streams[0].header
	seen := map[int]string{}
	for _, st := range streams {
		h := st.header
		switch {
		case h.Count != first.Count:
			return fmt.Errorf("%s is shard %d of %d, but %s is of %d: the files come from different scans", st.name, h.Index, h.Count, streams[0].name, first.Count)
		case h.Run != first.Run:
			return fmt.Errorf("%s is of run %q, %s of run %q: the files come from different runs", st.name, h.Run, streams[0].name, first.Run)
		case h.Job != first.Job, !slices.Equal(h.Targets, first.Targets), h.Config != first.Config:
			return fmt.Errorf("%s and %s come from different scans (job, targets or rules differ)", streams[0].name, st.name)
		case h.Index < 0 || h.Index >= h.Count:
			return fmt.Errorf("%s: shard index %d out of range for %d shards", st.name, h.Index, h.Count)
		case seen[h.Index] != "":
			return fmt.Errorf("shard %d of %d is there twice: %s and %s", h.Index, h.Count, seen[h.Index], st.name)
		}
		seen[h.Index] = st.name
	}
	if err := checkKeyIDs(streams); err != nil {
		return err
	}
	if n := first.Count - len(seen); n > 0 {
		var missing []string
		for i := 0; i < first.Count && len(missing) < 20; i++ {
			if seen[i] == "" {
				missing = append(missing, fmt.Sprint(i))
			}
		}
		if n > len(missing) {
			missing = append(missing, "...")
		}
		return fmt.Errorf("%d of %d shards are missing: %s", n, first.Count, strings.Join(missing, ", "))
	}
	return nil
}

// checkKeyIDs makes sure every shard fingerprinted with one key: the same
// value would have another fingerprint in each, and the merged report
// would count it as several. Files without a key id (written before
// piiscan recorded one) merge only among themselves.
func checkKeyIDs(streams []*stream) error {
	var ids []string // in order of first appearance; "" for none
	byID := map[string][]string{}
	for _, st := range streams {
		id := st.header.KeyID
		if _, ok := byID[id]; !ok {
			ids = append(ids, id)
		}
		byID[id] = append(byID[id], st.name)
	}
	if len(ids) == 1 {
		return nil
	}
	var groups []string
	for _, id := range ids {
		names := byID[id]
		if len(names) > 3 {
			names = append(names[:3:3], fmt.Sprintf("and %d more", len(names)-3))
		}
		what := "key id " + id
		if id == "" {
			what = "no key id (an older piiscan)"
		}
		groups = append(groups, what+": "+strings.Join(names, ", "))
	}
	how := "re-run the shards with one key (PIISCAN_FINGERPRINT_KEY, the same for every shard)"
	if _, old := byID[""]; old {
		how = "re-run the shards with this version of piiscan and one key, so that every file records it"
	}
	return fmt.Errorf("the shards' files were not all written with the same fingerprint key (%s): their fingerprints cannot be merged; %s",
		strings.Join(groups, "; "), how)
}

// stream reads one findings file.
type stream struct {
	name     string
	r        *bufio.Reader
	line     int
	header   *Header
	end      *End
	findings int64
	buf      []byte
	dec      report.Decoder
	// head is the next finding (nil at the end), path its path and item
	// the real name of the file or object it is in: an archive is one
	// item, its members go with it. where is the item's place, which
	// orders it, and target the index of the target it is under.
	head   *finding.Finding
	path   string
	item   string
	where  place
	target int
}

// readLine returns the next record, or io.EOF.
func (s *stream) readLine() ([]byte, error) {
	s.buf = s.buf[:0]
	for {
		part, err := s.r.ReadSlice('\n')
		s.buf = append(s.buf, part...)
		if len(s.buf) > maxLine {
			return nil, fmt.Errorf("%s:%d: record longer than %d bytes", s.name, s.line+1, maxLine)
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(s.buf) > 0:
			return nil, fmt.Errorf("%s:%d: the file ends mid-record: it is incomplete", s.name, s.line+1)
		case err != nil:
			return nil, err
		}
		s.line++
		return bytes.TrimSuffix(s.buf, []byte("\n")), nil
	}
}

func (s *stream) readHeader() error {
	b, err := s.readLine()
	if err == io.EOF {
		return fmt.Errorf("%s: empty, not a shard's findings file", s.name)
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", s.name, err)
	}
	var first headerRecord
	if err := json.Unmarshal(b, &first); err != nil || first.Shard == nil {
		return fmt.Errorf("%s: not a shard's findings file (no piiscan_shard header)", s.name)
	}
	s.header = first.Shard
	return nil
}

var endPrefix = []byte(`{"piiscan_shard_end":`)

// next reads the next finding into head, or sets it to nil at the end
// record.
func (s *stream) next(targets []target) error {
	s.head = nil
	if s.end != nil {
		return nil
	}
	b, err := s.readLine()
	if err == io.EOF {
		return fmt.Errorf("%s: no end record: the shard did not finish writing it", s.name)
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", s.name, err)
	}
	if bytes.HasPrefix(b, endPrefix) {
		var last endRecord
		if err := json.Unmarshal(b, &last); err != nil || last.End == nil {
			return fmt.Errorf("%s:%d: bad end record: %v", s.name, s.line, err)
		}
		s.end = last.End
		scanners.DecodeProblems(s.end.Problems)
		if _, err := s.readLine(); err != io.EOF {
			return fmt.Errorf("%s:%d: records after the end record", s.name, s.line)
		}
		return nil
	}
	f := new(finding.Finding)
	if err := s.dec.Decode(b, f); err != nil {
		return fmt.Errorf("%s:%d: bad finding: %w", s.name, s.line, err)
	}
	s.findings++
	s.head = f
	if f.Path != s.path || s.findings == 1 {
		s.path = f.Path
		s.item, _ = itempath.Outer(f.Path)
		s.where = at(s.item, nil)
		s.target = targetOf(s.item, targets)
	}
	return nil
}

// target is one of a scan's targets, as its shards' headers name it.
type target struct {
	name string
	at   place
}

// targetsOf returns the targets names, each at its place: a merge tells
// them once, when it has read the headers.
func targetsOf(names []string) []target {
	targets := make([]target, len(names))
	for i, n := range names {
		targets[i] = target{name: n, at: at(n, nil)}
	}
	return targets
}

// targetOf returns the index of the target the item path (the real name
// of a file or object) was found under: the walk reports a file named as
// a target as it was typed, and the target's place tells what else is
// under it.
func targetOf(path string, targets []target) int {
	for i, t := range targets {
		if path == t.name || t.at.holds(path) {
			return i
		}
	}
	return len(targets)
}

// queue is a heap of streams by their next finding's item.
type queue struct {
	s       []*stream
	targets []target
}

func (q *queue) Len() int { return len(q.s) }
func (q *queue) Less(i, j int) bool {
	a, b := q.s[i], q.s[j]
	if a.target != b.target {
		return a.target < b.target
	}
	if c := a.where.compare(a.item, b.item); c != 0 {
		return c < 0
	}
	return a.header.Index < b.header.Index
}
func (q *queue) Swap(i, j int) { q.s[i], q.s[j] = q.s[j], q.s[i] }
func (q *queue) Push(x any)    { q.s = append(q.s, x.(*stream)) }
func (q *queue) Pop() any {
	x := q.s[len(q.s)-1]
	q.s = q.s[:len(q.s)-1]
	return x
}
