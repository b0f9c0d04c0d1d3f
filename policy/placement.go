package policy

import (
	"sync"

	"github.com/piiscan/piiscan/config"
)

// Placement is where a path sits in the policy: its location, the classes
// allowed there and the clauses that location enforces.
type Placement struct {
	Location string
	Allowed  map[string]bool
	Policy   string
}

// Placer returns a function that places paths among the locations of c
// (nil where a path belongs to none), safe for concurrent use; nil when
// c has no locations.
func Placer(c *config.Config) func(string) *Placement {
	if len(c.Locations) == 0 {
		return nil
	}
	places := map[*config.Location]*Placement{}
	for _, l := range c.Locations {
		places[l] = &Placement{Location: l.Name, Allowed: l.Allowed, Policy: l.PolicyRef}
	}
	// Every member of an archive asks about the archive, and placing a
	// path costs an os.Getwd, then a match per location pattern: the last
	// answer is kept (200,000 members spent 60% of their time here).
	var mu sync.Mutex
	var lastPath string
	var last *Placement
	return func(path string) *Placement {
		mu.Lock()
		hit, p := path == lastPath && path != "", last
		mu.Unlock()
		if hit {
			return p
		}
		p = nil
		if l := LocationOf(c, path); l != nil {
			p = places[l]
		}
		mu.Lock()
		lastPath, last = path, p
		mu.Unlock()
		return p
	}
}
