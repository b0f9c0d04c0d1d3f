package detect

import (
	"strings"
	"testing"
)

// TestDigitRunInert checks the prefilter's inlined first step against the
// whole test on every shape it can tell apart: digitRunInert may only say
// a run is inert where digitRunShape says no detector can match, for runs
// of 1 to 20 digits of every first digit, after the bytes the whole test
// reads before a run and before every byte, with the digit groups and card
// separators it reads after that byte.
func TestDigitRunInert(t *testing.T) {
	befores := []string{"", "+", " ", "_", "x", "a.", "a-", "(", "0", ". "}
	afters := []string{"", "1", "12", "1234", "1234 5678", "123-4567", "%201234", "20", " x"}
	inert := 0
	for _, before := range befores {
		for first := byte('0'); first <= '9'; first++ {
			for g := 1; g <= 20; g++ {
				run := string(first) + strings.Repeat("5", g-1)
				for next := range 256 {
					for _, after := range afters {
						b := []byte(before + run + string(rune(0)) + after)
						i, j := len(before), len(before)+g
						b[j] = byte(next)
						for _, nanp := range []bool{true, false} {
							if digitRunInert(b, i, j, nanp) {
								inert++
								if digitRunShape(b, i, j, nanp) {
									t.Fatalf("%q: run b[%d:%d] is inert for digitRunInert, a possible match for digitRunShape (nanp %v)", b, i, j, nanp)
								}
							}
						}
					}
				}
			}
		}
	}
	if inert == 0 {
		t.Fatal("digitRunInert never says a run is inert")
	}
	// The runs of a log's time stamps are inert without the whole test.
	for _, line := range []string{"2015-10-18 18:01:47,978", "[Sun Dec 04 04:47:44 2005]", "081109 203615 148 INFO"} {
		b := []byte(line)
		for i := 0; i < len(b); {
			if !isDigit(b[i]) {
				i++
				continue
			}
			j := digitRun(b, i)
			if j < len(b) && !digitRunInert(b, i, j, true) && !digitRunShape(b, i, j, true) {
				t.Errorf("%q: the run %q goes to the whole test", line, b[i:j])
			}
			i = j
		}
	}
}
