//go:build race

package source

// raceEnabled reports a -race build, whose detector drops sync.Pool items
// at random: allocation bounds do not hold there.
const raceEnabled = true
