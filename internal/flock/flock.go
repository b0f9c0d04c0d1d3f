// Package flock takes advisory whole-file locks (flock(2)) that processes
// cooperating on a file honour: piiscan runs appending to one audit log,
// a run's temporary file that another run's clean-up must leave alone,
// tests sharing one installed binary. Where the system has no flock,
// every lock is granted.
package flock

import "os"

// Lock waits for an exclusive lock on f.
func Lock(f *os.File) error { return lock(f, exclusive) }

// LockShared waits for a shared lock on f.
func LockShared(f *os.File) error { return lock(f, shared) }

// TryLock takes an exclusive lock on f if no other open file holds one,
// and reports whether it did.
func TryLock(f *os.File) bool { return lock(f, exclusive|nonBlock) == nil }

// Unlock releases the lock on f (closing f does too).
func Unlock(f *os.File) error { return lock(f, unlock) }
