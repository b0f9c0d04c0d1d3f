//go:build unix

package retention

import (
	"os"
	"syscall"
)

// lockTemp takes an exclusive lock on a temporary file for as long as f
// stays open, so that another run's clean-up leaves the file alone. It
// reports false when another process holds the lock: the file is in use.
func lockTemp(f *os.File) bool {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
