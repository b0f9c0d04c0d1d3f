package bucket

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/piiscan/piiscan/internal/atomicfile"
	"github.com/piiscan/piiscan/internal/itempath"
)

// Checkpoint remembers, per s3:// target, the last key whose findings were
// all reported, so an interrupted scan resumes where it stopped instead of
// starting over. It is saved atomically as JSON.
type Checkpoint struct {
	path    string
	mu      sync.Mutex
	targets []string
	last    map[string]string
	saved   time.Time
}

// LoadCheckpoint reads the checkpoint at path (none yet is not an error)
// for the given targets.
func LoadCheckpoint(path string, targets []string) (*Checkpoint, error) {
	c := &Checkpoint{path: path, last: map[string]string{}}
	for _, t := range targets {
		if itempath.IsObject(t) {
			c.targets = append(c.targets, t)
		}
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return c, nil
	case err != nil:
		return nil, err
	}
	if err := json.Unmarshal(data, &c.last); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return c, nil
}

// StartAfter returns the keys to resume each target after.
func (c *Checkpoint) StartAfter() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]string, len(c.last))
	for k, v := range c.last {
		out[k] = v
	}
	return out
}

// Done records that the object at url (s3://bucket/key) was scanned, and
// saves the checkpoint every few seconds.
func (c *Checkpoint) Done(url, key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	target := ""
	for _, t := range c.targets {
		if strings.HasPrefix(url, t) && len(t) > len(target) {
			target = t
		}
	}
	if target == "" {
		return
	}
	c.last[target] = key
	if time.Since(c.saved) > 2*time.Second {
		c.saveLocked()
	}
}

// Save writes the checkpoint.
func (c *Checkpoint) Save() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.saveLocked()
}

func (c *Checkpoint) saveLocked() error {
	c.saved = time.Now()
	data, err := json.MarshalIndent(c.last, "", "  ")
	if err != nil {
		return err
	}
	// Written whole or not at all: a temporary file next to it, fsync,
	// rename.
	return atomicfile.WriteFile(c.path, data, 0o600)
}

// Clear removes the checkpoint once a scan finished: the next run starts
// from the beginning.
func (c *Checkpoint) Clear() error {
	err := os.Remove(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
