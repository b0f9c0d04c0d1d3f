//go:build unix

package state

import "strconv"

// initialMmapSize returns how much of the state file bbolt maps from the
// start (Options.InitialMmapSize): 1 GiB where addresses are 64 bits.
// Mapping beyond the end of the file reserves addresses, not memory. It
// matters for large commits: each time bbolt must map a larger file it
// copies everything a write transaction changed so far out of the old
// mapping, and a state growing by a million violations in one commit
// would otherwise be remapped a dozen times (it doubles) during it. It
// also keeps a growing file from waiting for readers to finish.
//
// Where the address space is limited (ulimit -v), mapping 1 GiB may fail:
// open then maps as bbolt does by default.
func initialMmapSize() int {
	if strconv.IntSize < 64 {
		// 32 bits: 1 GiB is a quarter of all addresses, rarely free in
		// one piece. bbolt's default maps what the file needs, and grows
		// the map with it.
		return 0
	}
	return 1 << 30
}
