// Package shard splits one scan across several machines. Every shard walks
// the same targets and keeps the items whose path hashes to its index, so
// each file and object is read by exactly one shard. The hash is jump
// consistent hashing (Lamping and Veach, 2014) of the FNV-1a hash of the
// path: it is stable across versions and machines, spreads items evenly,
// and when the count grows from N to N+1 only about 1/(N+1) of the items
// move, all of them to the new shard, so per-shard incremental state stays
// useful.
package shard

import (
	"errors"
	"fmt"
	"hash/fnv"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/piiscan/piiscan/shard/shardspec"
)

// IndexEnv is the variable Kubernetes sets to the index of a pod in an
// Indexed Job.
const IndexEnv = "JOB_COMPLETION_INDEX"

// Shard is one part of a sharded scan: Index of Count, counted from 0. The
// zero Shard is a whole, unsharded scan.
type Shard struct {
	Index, Count int
}

// Sharded reports whether s is a part of a larger scan.
func (s Shard) Sharded() bool { return s.Count > 1 }

// String returns "INDEX/COUNT".
func (s Shard) String() string {
	if s.Count == 0 {
		return "0/1"
	}
	return strconv.Itoa(s.Index) + "/" + strconv.Itoa(s.Count)
}

// Parse parses "INDEX/COUNT", e.g. "2/4".
func Parse(s string) (Shard, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q: want INDEX/COUNT, e.g. 0/4", s)
	}
	index, err := strconv.Atoi(i)
	if err != nil {
		return Shard{}, fmt.Errorf("shard %q: bad index: %w", s, err)
	}
	count, err := strconv.Atoi(n)
	if err != nil {
		return Shard{}, fmt.Errorf("shard %q: bad count: %w", s, err)
	}
	return New(index, count)
}

// New checks index and count.
func New(index, count int) (Shard, error) {
	switch {
	case count < 1 || count > shardspec.MaxCount:
		return Shard{}, fmt.Errorf("shard count %d: want 1 to %d", count, shardspec.MaxCount)
	case index < 0 || index >= count:
		return Shard{}, fmt.Errorf("shard index %d: want 0 to %d for %d shards", index, count-1, count)
	}
	return Shard{Index: index, Count: count}, nil
}

// Resolve picks the shard of a run: flag ("INDEX/COUNT") when given;
// otherwise, in a Kubernetes Indexed Job (JOB_COMPLETION_INDEX set, read
// through getenv), that index of count shards. count comes from the
// configuration or the environment; an Indexed Job without it is an error
// rather than every pod scanning everything. Neither: the zero Shard.
func Resolve(flag string, count int, getenv func(string) string) (Shard, error) {
	if flag != "" {
		return Parse(flag)
	}
	idx := getenv(IndexEnv)
	if idx == "" {
		return Shard{}, nil
	}
	if count <= 0 {
		return Shard{}, errors.New(IndexEnv + " is set (a Kubernetes Indexed Job) but the shard count is not: " +
			"set shards.count in rules.yaml or PIISCAN_SHARD_COUNT to the Job's completions")
	}
	i, err := strconv.Atoi(idx)
	if err != nil {
		return Shard{}, fmt.Errorf("%s=%q: %w", IndexEnv, idx, err)
	}
	return New(i, count)
}

// Owns reports whether path belongs to this shard. Every path belongs to
// the zero Shard.
func (s Shard) Owns(path string) bool {
	if s.Count <= 1 {
		return true
	}
	return Of(path, s.Count) == s.Index
}

// Of returns the shard, in [0, count), that path belongs to.
func Of(path string, count int) int {
	h := fnv.New64a()
	h.Write([]byte(path))
	return jump(h.Sum64(), count)
}

// jump is jump consistent hashing: it maps key to a bucket in [0, n).
func jump(key uint64, n int) int {
	var b, j int64 = -1, 0
	for j < int64(n) {
		b = j
		key = key*2862933555777941757 + 1
		j = int64(float64(b+1) * (float64(int64(1)<<31) / float64((key>>33)+1)))
	}
	return int(b)
}

// FileName is the name of a shard's findings file:
// shard-00002-of-00004.jsonl.
func (s Shard) FileName() string {
	c := max(s.Count, 1)
	return fmt.Sprintf("shard-%05d-of-%05d.jsonl", s.Index, c)
}

// ParseFileName returns the shard a findings file name is for.
func ParseFileName(name string) (Shard, bool) {
	var i, n int
	var rest string
	if _, err := fmt.Sscanf(name, "shard-%05d-of-%05d%s", &i, &n, &rest); err != nil || rest != ".jsonl" {
		return Shard{}, false
	}
	if name != (Shard{Index: i, Count: n}).FileName() {
		return Shard{}, false
	}
	s, err := New(i, n)
	return s, err == nil
}

// StatePath returns the state file of this shard: shard i of a sharded
// job keeps its own, path with ".shard-i" before the extension, so that
// shards never contend for one file. Jump hashing keeps an index's items
// (mostly) when the count changes, and with them its state.
func (s Shard) StatePath(path string) string {
	if !s.Sharded() {
		return path
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + ".shard-" + strconv.Itoa(s.Index) + ext
}
