//go:build !linux

package retention

import "github.com/piiscan/piiscan/internal/openat"

// openForWriting cannot tell here: only live_within protects files that
// are still being written.
func openForWriting() map[openat.ID]string { return map[openat.ID]string{} }
