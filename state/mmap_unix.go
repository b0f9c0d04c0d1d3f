//go:build unix

package state

import "strconv"

// initialMmapSize is how much of the state file bbolt maps from the
// start (Options.InitialMmapSize), 1 GiB where addresses are 64 bits.
// Mapping beyond the end of the file reserves addresses, not memory. It
// matters for large commits: each time bbolt must map a larger file it
// copies everything a write transaction changed so far out of the old
// mapping, and a state growing by a million violations in one commit
// would otherwise be remapped a dozen times (it doubles) during it. It
// also keeps a growing file from waiting for readers to finish.
const initialMmapSize = strconv.IntSize / 64 << 30
