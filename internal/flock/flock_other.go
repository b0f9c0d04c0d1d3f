//go:build !unix

package flock

import "os"

// Advisory locks are not taken here: every call succeeds.
func lock(*os.File, int) error { return nil }

const (
	exclusive = 1 << iota
	shared
	nonBlock
	unlock
)
