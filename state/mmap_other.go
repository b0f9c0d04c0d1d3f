//go:build !unix

package state

// initialMmapSize is 0 (bbolt's default) where bbolt grows the file to
// the size it maps (Windows).
func initialMmapSize() int { return 0 }
