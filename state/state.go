// Package state is the daemon's memory between runs, in one bbolt file:
// how far each file was scanned, the identity of archives and objects
// already scanned, which violations were alerted and when, and the outbox
// of alerts not yet delivered.
package state

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/piiscan/piiscan/finding"
)

var (
	bucketFiles    = []byte("files")   // job -> path -> FileState; job/ids -> dev:ino -> path
	bucketObjects  = []byte("objects") // job -> URL -> ETag
	bucketSeen     = []byte("seen")    // route -> location\x00rule\x00fingerprint -> Seen (seen.go)
	bucketDue      = []byte("due")     // route -> LastSent + seen key -> nothing (due.go)
	bucketOutbox   = []byte("outbox")  // sequence -> OutboxEntry
	bucketMeta     = []byte("meta")
	keySchema      = []byte("schema") // see migrate.go
	keyFingerprint = []byte("fingerprint-key")
)

// Store is an open state file. Its methods are safe for concurrent use.
type Store struct {
	db   *bolt.DB
	Path string
	// mu serialises what must not interleave between jobs of one process
	// (see Lock).
	mu sync.Mutex
	// digestKey keys the digests the state stores of file contents and
	// object versions (derived from the fingerprint key by CheckKey; nil
	// before).
	keyMu     sync.Mutex
	digestKey []byte
}

// Lock serialises jobs' read-decide-write steps (which violations are
// new, and delivering the outbox), so two jobs never alert the same
// violation or send the same alert. Other processes are kept out by the
// file lock.
func (s *Store) Lock() { s.mu.Lock() }

// Unlock undoes Lock.
func (s *Store) Unlock() { s.mu.Unlock() }

var (
	// ErrLocked means another process holds the state file (see
	// OpenWait).
	ErrLocked = errors.New("the state file is in use by another piiscan")
	// ErrKeyChanged means the fingerprint key is not the one the state was
	// built with.
	ErrKeyChanged = errors.New("the fingerprint key differs from the one this state file was built with: every violation would be alerted again as new; restore the key, or move the state file away to start afresh")
	// errDamaged marks a state file that cannot be read.
	errDamaged = errors.New("damaged")
)

// openWait is how long Open waits for another process to release the
// state file.
const openWait = 2 * time.Second

// allocSize is what bbolt adds to the state file, beyond what a commit
// needs, when the file must grow (DB.AllocSize; 16 MiB by default). Its
// map of initialMmapSize being larger, bbolt adds it at every growth
// (growSize): a new state file is 4 MiB and some pages from its first
// commit (Open's own) on, and never more than 4 MiB larger than what it
// holds; the file is extended and synced once per 4 MiB of growth. With
// bbolt's default map (32 bits, or where mapping 1 GiB failed), a file
// smaller than allocSize grows to the size of its map, doubling from
// 32 KiB.
const allocSize = 4 << 20

// Open opens (or creates) the state file at path. A file that is not a
// valid state file is moved aside (PATH.corrupt-TIME) with a warning and
// a new one is started: the next runs are full scans, nothing crashes.
//
// When another process holds the file, Open waits 2 seconds for it
// before it returns an error wrapping ErrLocked.
//
// A state file of an older schema is converted in the transaction that
// opens it (migrate.go); a piiscan of the older version then refuses it.
func Open(path string, log *slog.Logger) (*Store, error) {
	return OpenWait(path, log, openWait)
}

// OpenWait is Open waiting up to wait (at least one attempt) for another
// process, such as the daemon, to release the state file before it
// returns an error wrapping ErrLocked.
func OpenWait(path string, log *slog.Logger, wait time.Duration) (*Store, error) {
	return OpenContext(context.Background(), path, log, wait)
}

// OpenContext is OpenWait that also stops waiting when ctx ends (a
// signal): it then returns an error wrapping ErrLocked and ctx's error.
func OpenContext(ctx context.Context, path string, log *slog.Logger, wait time.Duration) (*Store, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		log.Info("no state file yet: the first run of each job scans everything", "path", path)
	}
	s, err := openLocked(ctx, path, log, wait)
	if err == nil || !errors.Is(err, errDamaged) {
		// Permissions, a full disk, another process, a newer schema:
		// the file is kept as it is.
		return s, err
	}
	aside := fmt.Sprintf("%s.corrupt-%s", path, time.Now().UTC().Format("20060102T150405Z"))
	if rerr := os.Rename(path, aside); rerr != nil {
		return nil, fmt.Errorf("%w (and moving it aside failed: %v)", err, rerr)
	}
	log.Warn("state file unusable: moved aside, starting afresh (the next runs scan everything)",
		"path", path, "moved_to", aside, "error", err)
	return openLocked(ctx, path, log, wait)
}

// lockPoll is how long one attempt of openLocked waits for the lock
// before it looks at its context again.
const lockPoll = 200 * time.Millisecond

// openLocked is open waiting up to wait for the file lock, in attempts of
// lockPoll, until ctx ends.
func openLocked(ctx context.Context, path string, log *slog.Logger, wait time.Duration) (*Store, error) {
	deadline := time.Now().Add(wait)
	for {
		s, err := open(path, log, min(time.Until(deadline), lockPoll))
		if !errors.Is(err, ErrLocked) || !time.Now().Before(deadline) {
			if errors.Is(err, ErrLocked) {
				err = fmt.Errorf("%s: %w (for example the daemon) and was not released within %s", path, ErrLocked, wait)
			}
			return s, err
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w (for example the daemon); stopped waiting for it: %w", path, ErrLocked, context.Cause(ctx))
		}
	}
}

func open(path string, log *slog.Logger, wait time.Duration) (s *Store, err error) {
	var db *bolt.DB
	defer func() {
		// bbolt panics on some kinds of damage; treat them as corruption.
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("state %s is %w: %v", path, errDamaged, r)
		}
		if err != nil && db != nil {
			db.Close()
		}
	}()
	// bbolt waits forever with a zero Timeout; it tries once with any
	// Timeout up to its polling interval (50 ms).
	opts := &bolt.Options{Timeout: max(wait, time.Nanosecond), InitialMmapSize: initialMmapSize()}
	db, err = bolt.Open(path, 0o600, opts)
	if err != nil && opts.InitialMmapSize > 0 && !errors.Is(err, berrors.ErrTimeout) && !damaged(err) {
		// Most likely the map: ENOMEM under an address-space limit
		// (ulimit -v). bbolt's default maps what the file needs.
		log.Debug("opening the state file with a 1 GiB map failed: trying bbolt's default map", "path", path, "error", err)
		opts.InitialMmapSize = 0
		db, err = bolt.Open(path, 0o600, opts)
	}
	if err != nil {
		switch {
		case errors.Is(err, berrors.ErrTimeout):
			return nil, fmt.Errorf("%s: %w (for example the daemon) and was not released within %s", path, ErrLocked, wait)
		case damaged(err):
			return nil, fmt.Errorf("state %s is %w: %w", path, errDamaged, err)
		}
		return nil, fmt.Errorf("opening state %s: %w", path, err)
	}
	db.AllocSize = allocSize // see allocSize
	err = db.Update(func(tx *bolt.Tx) error {
		var damage error
		for err := range tx.Check() {
			if damage == nil {
				damage = fmt.Errorf("state %s is %w: %w", path, errDamaged, err)
			}
		}
		if damage != nil {
			return damage
		}
		for _, b := range [][]byte{bucketFiles, bucketObjects, bucketSeen, bucketDue, bucketOutbox, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		v := meta.Get(keySchema)
		switch {
		case bytes.Equal(v, schema):
			return nil
		case v != nil && !bytes.Equal(v, schemaV1):
			return fmt.Errorf("state %s has schema %s, this piiscan knows %s", path, v, schema)
		}
		m, err := migrate(tx)
		if err != nil {
			return fmt.Errorf("converting state %s to schema %s: %w", path, schema, err)
		}
		if v != nil {
			log.Info("state file converted to a newer schema: an older piiscan cannot read it any more",
				"path", path, "schema", string(schema), "routes", m.routes, "violations", m.violations, "rewritten", m.converted)
		}
		return meta.Put(keySchema, schema)
	})
	if err != nil {
		return nil, err
	}
	return &Store{db: db, Path: path}, nil
}

// damaged reports whether err, from bolt.Open, says the file is not a
// valid bbolt file.
func damaged(err error) bool {
	return errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrChecksum) || errors.Is(err, berrors.ErrVersionMismatch)
}

// CheckKey makes sure fingerprints made with key can be compared with
// those the state remembers: the first key used is recorded (as a hash),
// and another one is refused with ErrKeyChanged.
//
// CheckKey also gives the store the key its digests of file beginnings
// and object versions are made with: trackers made before it remember
// nothing (see Tracker).
func (s *Store) CheckKey(key []byte) error {
	sum := sha256.Sum256(append([]byte("piiscan state key\x00"), key...))
	err := s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		old := meta.Get(keyFingerprint)
		if old == nil {
			return meta.Put(keyFingerprint, sum[:])
		}
		if !bytes.Equal(old, sum[:]) {
			return ErrKeyChanged
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.keyMu.Lock()
	s.digestKey = deriveDigestKey(key)
	s.keyMu.Unlock()
	return nil
}

// deriveDigestKey returns the key of the state's digests: HMAC-SHA256 of
// a fixed label keyed with the fingerprint key, so that a digest of a
// file's beginning can never be compared with a finding's fingerprint.
func deriveDigestKey(key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("piiscan state digest v1"))
	return m.Sum(nil)
}

// key returns the digest key CheckKey set, or nil.
func (s *Store) key() []byte {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	return s.digestKey
}

// Close closes the state file.
func (s *Store) Close() error { return s.db.Close() }

// Seen is what the state remembers of a violation sent to a route.
type Seen struct {
	First    time.Time `json:"first"`
	LastSent time.Time `json:"last_sent"`
	Location string    `json:"location"`
	Rule     string    `json:"rule"`
	Class    string    `json:"class"`
	Severity string    `json:"severity"`
	Path     string    `json:"path"`
	Line     int       `json:"line"`
	Masked   string    `json:"masked"`
	// Fingerprint is the keyed fingerprint of the value (never the value).
	Fingerprint string `json:"fingerprint"`
}

// MarshalJSON writes v with its path encoded by finding.EncodePath, so
// that a reminder names the file it was alerted for even when the name is
// not UTF-8.
func (v Seen) MarshalJSON() ([]byte, error) {
	type plain Seen
	p := plain(v)
	p.Path = finding.EncodePath(v.Path)
	return json.Marshal(p)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (v *Seen) UnmarshalJSON(b []byte) error {
	type plain Seen
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*v = Seen(p)
	v.Path = finding.DecodePath(p.Path)
	return nil
}

// Seen returns what is known of a violation on a route.
func (s *Store) Seen(route, location, rule, fingerprint string) (v Seen, found bool) {
	s.ViewSeen(route, func(get func(location, rule, fingerprint string) (Seen, bool)) error {
		v, found = get(location, rule, fingerprint)
		return nil
	})
	return v, found
}

// OutboxEntry is an alert waiting to be delivered.
type OutboxEntry struct {
	ID        uint64          `json:"-"`
	Route     string          `json:"route"`
	Job       string          `json:"job"`
	Created   time.Time       `json:"created"`
	Attempts  int             `json:"attempts"`
	LastError string          `json:"last_error,omitempty"`
	Summary   json.RawMessage `json:"summary"`
}

// Outbox returns the alerts waiting to be delivered, oldest first.
func (s *Store) Outbox() ([]OutboxEntry, error) {
	return s.outbox(func(OutboxEntry) bool { return true })
}

// OutboxOf returns the alerts waiting to be delivered to route, oldest
// first.
func (s *Store) OutboxOf(route string) ([]OutboxEntry, error) {
	return s.outbox(func(e OutboxEntry) bool { return e.Route == route })
}

// outbox returns the entries of the outbox that keep accepts, oldest
// first, and drops those it cannot read.
func (s *Store) outbox(keep func(OutboxEntry) bool) ([]OutboxEntry, error) {
	var out []OutboxEntry
	var bad [][]byte
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOutbox).ForEach(func(k, data []byte) error {
			var e OutboxEntry
			if err := json.Unmarshal(data, &e); err != nil || len(k) != 8 {
				bad = append(bad, bytes.Clone(k))
				return nil
			}
			e.ID = binary.BigEndian.Uint64(k)
			if keep(e) {
				out = append(out, e)
			}
			return nil
		})
	})
	if err == nil && len(bad) > 0 {
		err = s.db.Update(func(tx *bolt.Tx) error {
			for _, k := range bad {
				if err := tx.Bucket(bucketOutbox).Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return out, err
}

// OutboxLen returns the number of alerts waiting.
func (s *Store) OutboxLen() int {
	n := 0
	s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketOutbox).Stats().KeyN
		return nil
	})
	return n
}

// Delivered removes an entry from the outbox.
func (s *Store) Delivered(id uint64) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketOutbox).Delete(idKey(id)) })
}

// Failed records a failed delivery attempt.
func (s *Store) Failed(e OutboxEntry, err error) error {
	e.Attempts++
	e.LastError = err.Error()
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		if b.Get(idKey(e.ID)) == nil {
			return nil // delivered meanwhile
		}
		return putJSON(b, idKey(e.ID), e)
	})
}

func idKey(id uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, id)
	return k
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// Commit is what one job run leaves behind, written in one transaction:
// scan positions move only together with the alerts of what was found
// before them, so a crash loses neither.
type Commit struct {
	Files *Tracker
	// Seen are violations to remember, by route.
	Seen map[string][]Seen
	// Forget are remembered violations to drop, by route (their file is
	// gone).
	Forget map[string][]Seen
	// Outbox are alerts to deliver.
	Outbox []OutboxEntry
}

// routes returns the routes c remembers or forgets violations of, in
// order, so that the same commit does the same work.
func (c *Commit) routes() []string {
	routes := slices.Collect(maps.Keys(c.Seen))
	for route := range c.Forget {
		if _, ok := c.Seen[route]; !ok {
			routes = append(routes, route)
		}
	}
	slices.Sort(routes)
	return routes
}

// Save writes a commit, all of it or (on an error, or a crash) nothing.
// It returns the IDs of the new outbox entries.
//
// Its cost follows the size of the commit, not of the state: a job may
// save a long run in several commits, each with what changed since the
// last. A violation saved unchanged is not written again.
func (s *Store) Save(c Commit) ([]uint64, error) {
	var ids []uint64
	routes := c.routes()
	err := s.db.Update(func(tx *bolt.Tx) error {
		if c.Files != nil {
			if err := c.Files.save(tx); err != nil {
				return err
			}
		}
		var a arena
		for _, route := range routes {
			if err := saveSeen(tx, &a, route, c.Seen[route], c.Forget[route]); err != nil {
				return err
			}
		}
		ob := tx.Bucket(bucketOutbox)
		for _, e := range c.Outbox {
			id, err := ob.NextSequence()
			if err != nil {
				return err
			}
			if err := putJSON(ob, idKey(id), e); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}
