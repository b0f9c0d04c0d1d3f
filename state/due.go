package state

import (
	"bytes"
	"cmp"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The due index (bucket "due", one sub-bucket per route) holds, for each
// violation remembered in the seen bucket of the route, the key
// dueKey(LastSent, seen key) with an empty value: the violations whose
// reminder is due are the first keys of the route's index, and an idle
// run reads none of the others. Save keeps it in step with the seen
// bucket in the same transaction; Open builds it for state files of
// schema 1 (see migrate).

// Fill percentages of the pages Save splits (bbolt's default is 0.5,
// which suits nothing here). Keys of new violations land anywhere in the
// seen bucket (their fingerprints are random), but a page is rewritten
// whole whenever one of its keys changes, so fuller pages cost nothing
// more to write and make a smaller file. New keys of the due index come
// last (LastSent is the time of the run): there, pages are filled.
const (
	seenFillPercent = 0.9
	dueFillPercent  = 1.0
)

// seenOp is a violation of a commit to write or to forget.
type seenOp struct {
	key []byte
	i   int // index in the commit's list
}

func sortOps(ops []seenOp) {
	slices.SortFunc(ops, func(a, b seenOp) int {
		if c := bytes.Compare(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
}

// lastOfEach keeps, of ops sorted by sortOps, the last op of each key
// (the one later in the commit, as successive Puts would leave it).
func lastOfEach(ops []seenOp) []seenOp {
	out := ops[:0]
	for i, op := range ops {
		if i+1 < len(ops) && bytes.Equal(op.key, ops[i+1].key) {
			continue
		}
		out = append(out, op)
	}
	return out
}

// saveSeen writes what a commit remembers and forgets of the violations
// of one route, with the route's due index, in tx. Keys are written in
// order: bbolt splits pages only when a transaction commits, and keys put
// in random order into a page that grows to hold a million of them move
// half of it each time.
func saveSeen(tx *bolt.Tx, a *arena, route string, list, forget []Seen) error {
	name := []byte(route)
	sb := tx.Bucket(bucketSeen).Bucket(name)
	if sb == nil && len(list) == 0 {
		return nil
	}
	db := tx.Bucket(bucketDue).Bucket(name)
	if len(list) > 0 {
		var err error
		if sb, err = tx.Bucket(bucketSeen).CreateBucketIfNotExists(name); err != nil {
			return err
		}
		if db, err = tx.Bucket(bucketDue).CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	sb.FillPercent = seenFillPercent
	// In an empty bucket (a route's first run) there is nothing to look
	// up before writing.
	first, _ := sb.Cursor().First()
	empty := first == nil

	gone := make([]seenOp, len(forget))
	for i, v := range forget {
		gone[i] = seenOp{key: seenKey(v.Location, v.Rule, v.Fingerprint), i: i}
	}
	sortOps(gone)
	gone = lastOfEach(gone)

	puts := make([]seenOp, len(list))
	var kb []byte
	for i := range list {
		v := &list[i]
		kb = appendSeenKey(kb[:0], v.Location, v.Rule, v.Fingerprint)
		puts[i] = seenOp{key: a.copy(kb), i: i}
	}
	sortOps(puts)
	puts = lastOfEach(puts)

	// Changes of the due index, applied after those of the seen bucket,
	// each in order.
	var dueDel, duePut [][]byte
	var buf, dk []byte
	g := 0
	for _, op := range puts {
		// A violation the commit also forgets is forgotten (Forget is
		// applied after Seen).
		for g < len(gone) && bytes.Compare(gone[g].key, op.key) < 0 {
			g++
		}
		if g < len(gone) && bytes.Equal(gone[g].key, op.key) {
			continue
		}
		v := &list[op.i]
		buf = appendSeenValue(buf[:0], v)
		indexed := false
		var old []byte
		if !empty {
			old = sb.Get(op.key)
		}
		if old != nil {
			if bytes.Equal(old, buf) {
				continue // unchanged: no page to rewrite
			}
			if t, ok := lastSentOf(op.key, old); ok {
				if dueStamp(t) == dueStamp(v.LastSent) {
					indexed = true
				} else {
					dk = dueKey(dk[:0], t, op.key)
					dueDel = append(dueDel, a.copy(dk))
				}
			}
		}
		if err := sb.Put(op.key, a.copy(buf)); err != nil {
			return err
		}
		if !indexed {
			dk = dueKey(dk[:0], v.LastSent, op.key)
			duePut = append(duePut, a.copy(dk))
		}
	}
	for _, op := range gone {
		old := sb.Get(op.key)
		if old == nil {
			continue
		}
		if t, ok := lastSentOf(op.key, old); ok {
			dueDel = append(dueDel, dueKey(nil, t, op.key))
		}
		if err := sb.Delete(op.key); err != nil {
			return err
		}
	}
	if len(dueDel) == 0 && len(duePut) == 0 {
		return nil
	}
	if db == nil {
		var err error
		if db, err = tx.Bucket(bucketDue).CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	db.FillPercent = dueFillPercent
	slices.SortFunc(dueDel, bytes.Compare)
	for _, k := range dueDel {
		if err := db.Delete(k); err != nil {
			return err
		}
	}
	slices.SortFunc(duePut, bytes.Compare)
	for _, k := range duePut {
		if err := db.Put(k, nil); err != nil {
			return err
		}
	}
	return nil
}

// dueBatch is how many due violations EachDue reads in one transaction
// (a variable for the tests).
var dueBatch = 1024

// EachDue calls fn, oldest first, for the violations remembered for route
// that were last sent at or before sentBefore. It reads only those (the
// due index), so that it costs nothing when none is due however many are
// remembered. It stops at, and returns, the first error of fn.
//
// fn is called outside any transaction of the store, so it may call
// Save: a violation whose LastSent it moves past sentBefore is not
// visited again. Violations are read in batches, each batch in one read
// transaction.
func (s *Store) EachDue(route string, sentBefore time.Time, fn func(Seen) error) error {
	bound := dueKey(nil, sentBefore, nil)
	var after []byte // the last due key visited
	for {
		var batch []Seen
		more := false
		err := s.db.View(func(tx *bolt.Tx) error {
			name := []byte(route)
			db, sb := tx.Bucket(bucketDue).Bucket(name), tx.Bucket(bucketSeen).Bucket(name)
			if db == nil || sb == nil {
				return nil
			}
			c := db.Cursor()
			var k []byte
			if after == nil {
				k, _ = c.First()
			} else if k, _ = c.Seek(after); bytes.Equal(k, after) {
				k, _ = c.Next()
			}
			for ; k != nil; k, _ = c.Next() {
				if len(k) < dueStampLen || bytes.Compare(k[:dueStampLen], bound) > 0 {
					return nil
				}
				if len(batch) == dueBatch {
					more = true
					return nil
				}
				after = append(after[:0], k...)
				key := k[dueStampLen:]
				data := sb.Get(key)
				if data == nil {
					continue
				}
				v, err := decodeSeen(key, data)
				if err != nil || v.LastSent.After(sentBefore) {
					continue
				}
				batch = append(batch, v)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, v := range batch {
			if err := fn(v); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
	}
}

// ViewSeen calls fn with a get that looks violations of route up, all in
// one read transaction: get returns what Seen would. get is valid only
// until fn returns, and fn must not write to the store (no Save: a write
// waiting for this read can deadlock it).
func (s *Store) ViewSeen(route string, fn func(get func(location, rule, fingerprint string) (Seen, bool)) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		sb := tx.Bucket(bucketSeen).Bucket([]byte(route))
		var key []byte
		return fn(func(location, rule, fingerprint string) (Seen, bool) {
			if sb == nil {
				return Seen{}, false
			}
			key = appendSeenKey(key[:0], location, rule, fingerprint)
			data := sb.Get(key)
			if data == nil {
				return Seen{}, false
			}
			v, err := decodeSeen(key, data)
			return v, err == nil
		})
	})
}
