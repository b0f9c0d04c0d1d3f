package detect

import "testing"

// TestKeywordFilterWithDrugs checks that the drug vocabulary does not turn
// the prefilter's keyword check into a map lookup per word: on the
// benchmark log, the words that get past both filters of the keyword table
// (the first two letters and length, then kwSecond) stay few.
func TestKeywordFilterWithDrugs(t *testing.T) {
	b := sampleLog(1 << 20)
	kw := builtinKeywords
	var words, first, second int
	for i := 0; i < len(b); {
		if !isLetter(b[i]) {
			i++
			continue
		}
		j := i
		for j < len(b) && isLetter(b[j]) {
			j++
		}
		if j-i >= 2 && (i == 0 || !isAlnum[b[i-1]]) {
			words++
			if kw.filter[kwIndex(b[i], b[i+1])]&(1<<min(j-i, maxKeywordLen)) != 0 {
				first++
				if kw.second.has(b[i:j]) {
					second++
				}
			}
		}
		i = j
	}
	t.Logf("%d words: %d past the first filter (%.1f%%), %d past both (%.1f%%)",
		words, first, 100*float64(first)/float64(words), second, 100*float64(second)/float64(words))
	if second*100 > words*3 {
		t.Errorf("%d of %d words reach the keyword map, want at most 3%%", second, words)
	}
}
