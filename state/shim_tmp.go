package state

import (
	"log/slog"
	"time"
)

// TEMPORARY: replaced by the real API (h-state).

func (s *Store) OutboxOf(route string) ([]OutboxEntry, error) {
	all, err := s.Outbox()
	var out []OutboxEntry
	for _, e := range all {
		if e.Route == route {
			out = append(out, e)
		}
	}
	return out, err
}

func (s *Store) ViewSeen(route string, fn func(get func(location, rule, fingerprint string) (Seen, bool)) error) error {
	return fn(func(l, r, f string) (Seen, bool) { return s.Seen(route, l, r, f) })
}

func (s *Store) EachDue(route string, before time.Time, fn func(Seen) error) error {
	var err error
	s.EachSeen(route, func(v Seen) {
		if err == nil && !v.LastSent.After(before) {
			err = fn(v)
		}
	})
	return err
}

func OpenWait(path string, log *slog.Logger, wait time.Duration) (*Store, error) {
	return Open(path, log)
}
