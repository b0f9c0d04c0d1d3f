package state

import (
	"bytes"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Schemas of the state file:
//
//   - 1: remembered violations as JSON, no due index.
//   - 2: remembered violations in the compact encoding (seen.go), and the
//     due index (due.go).
//
// Open converts a state file of schema 1 in the transaction that checks
// it, so that a kill during the conversion leaves the file as it was.
var (
	schema   = []byte("2")
	schemaV1 = []byte("1")
)

// migration counts what migrate did.
type migration struct {
	routes, violations, converted int
}

// migrate builds the due index of every route from the seen bucket, and
// rewrites the route's bucket with the JSON values of schema 1 in the
// compact encoding. The bucket is written anew, in order, rather than
// value by value: pages whose values shrink stay as many, mostly empty.
// A value migrate cannot read is kept as it is, out of the due index
// (Seen does not find it, as before): also a JSON value whose fields do
// not make its key, which is corrupt (decodeSeen).
func migrate(tx *bolt.Tx) (migration, error) {
	var m migration
	if tx.Bucket(bucketDue) != nil {
		if err := tx.DeleteBucket(bucketDue); err != nil {
			return m, err
		}
	}
	due, err := tx.CreateBucket(bucketDue)
	if err != nil {
		return m, err
	}
	seen := tx.Bucket(bucketSeen)
	var routes [][]byte
	err = seen.ForEachBucket(func(name []byte) error {
		routes = append(routes, bytes.Clone(name))
		return nil
	})
	if err != nil {
		return m, err
	}
	for _, route := range routes {
		if err := migrateRoute(tx, due, route, &m); err != nil {
			return m, fmt.Errorf("route %q: %w", route, err)
		}
	}
	return m, nil
}

func migrateRoute(tx *bolt.Tx, due *bolt.Bucket, route []byte, m *migration) error {
	seen := tx.Bucket(bucketSeen)
	m.routes++
	var a arena
	var keys, values, index [][]byte
	var buf []byte
	err := seen.Bucket(route).ForEach(func(k, data []byte) error {
		if data == nil {
			return fmt.Errorf("unexpected bucket %q", k)
		}
		key := a.copy(k)
		keys = append(keys, key)
		v, err := decodeSeen(k, data)
		if err != nil {
			values = append(values, a.copy(data))
			return nil
		}
		m.violations++
		index = append(index, a.copy(dueKey(buf[:0], v.LastSent, key)))
		if data[0] == seenFormat {
			values = append(values, a.copy(data))
			return nil
		}
		m.converted++
		values = append(values, a.copy(appendSeenValue(buf[:0], &v)))
		return nil
	})
	if err != nil {
		return err
	}
	if err := seen.DeleteBucket(route); err != nil {
		return err
	}
	sb, err := seen.CreateBucket(route)
	if err != nil {
		return err
	}
	// ForEach gave the keys in order.
	sb.FillPercent = seenFillPercent
	for i, k := range keys {
		if err := sb.Put(k, values[i]); err != nil {
			return err
		}
	}
	db, err := due.CreateBucket(route)
	if err != nil {
		return err
	}
	slices.SortFunc(index, bytes.Compare)
	db.FillPercent = dueFillPercent
	for _, k := range index {
		if err := db.Put(k, nil); err != nil {
			return err
		}
	}
	return nil
}
