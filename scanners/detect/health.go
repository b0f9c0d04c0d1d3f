package detect

import (
	"bytes"
	"slices"

	"github.com/piiscan/piiscan/finding"
)

// health turns the keyword hits of the prefilter into health findings:
//   - a condition counts when a clinical cue is on the same line within the
//     context window ("diagnosed with asthma", "patient ... HIV");
//   - a medication counts with a dosage right after it ("metformin 500 mg"),
//     or, without one, near a cue ("prescribed sertraline"); a name that is
//     also a word of chemistry or food ("lithium", "caffeine") counts only
//     near a cue or with a dosage and a dose form ("lithium carbonate 300
//     mg capsule");
//   - ICD-10 codes count in the window after a diagnosis or ICD cue.
//
// Cue words are never part of a finding.
func (s *Matcher) health() {
	h := s.hits
	if !slices.IsSortedFunc(h, func(a, b hit) int { return a.start - b.start }) {
		slices.SortStableFunc(h, func(a, b hit) int { return a.start - b.start })
	}
	e := s.e
	w := e.window
	b := s.b
	prevCue := -1 // index of the last cue before the current hit
	for x, t := range h {
		if t.kind&kwCue != 0 && registerDX(b, t.start, t.end) {
			continue
		}
		if t.kind&kwCue != 0 {
			if t.kind&kwICDCue != 0 && e.on(dHealthICD10) {
				s.icd10(t.end, min(len(b), t.end+w))
			}
		}
		if t.kind&(kwCondition|kwDrug) != 0 {
			near := false
			if prevCue >= 0 && sameLineWithin(b, h[prevCue].end, t.start, w) {
				near = true
			}
			for y := x + 1; !near && y < len(h) && h[y].start-t.end <= w; y++ {
				if h[y].kind&kwCue != 0 && sameLineWithin(b, t.end, h[y].start, w) {
					near = true
				}
			}
			if t.kind&kwDrug != 0 && e.on(dHealthMedication) {
				name := saltWords(b, t.end)
				end := dosage(b, name)
				switch {
				case end > 0 && (near || !weakMedication(b[t.start:t.end]) || doseForm(b, end)):
					s.emit(dHealthMedication, t.start, end, finding.ConfidenceHigh)
				case near:
					s.emit(dHealthMedication, t.start, name, finding.ConfidenceMedium)
				}
			} else if near && e.on(dHealthCondition) {
				s.emit(dHealthCondition, t.start, t.end, finding.ConfidenceHigh)
			}
		}
		if t.kind&kwCue != 0 {
			prevCue = x
		}
	}
}

// weakMedication reports whether the drug name w is one of weakMedications.
func weakMedication(w []byte) bool {
	var buf [24]byte
	if len(w) > len(buf) {
		return false
	}
	for i, c := range w {
		if c == '-' || c == '_' {
			c = ' '
		}
		buf[i] = toLower(c)
	}
	return weakMedications[string(buf[:len(w)])]
}

// sameLineWithin reports whether [a, b) is at most w bytes and holds no
// line break.
func sameLineWithin(text []byte, a, b, w int) bool {
	if b < a {
		a, b = b, a
	}
	return b-a <= w && bytes.IndexByte(text[a:b], '\n') < 0
}

// dosage matches " 500 mg", "10mg", " 2.5 mg", " 100 units" after position p
// and returns the end of the unit, or 0.
func dosage(b []byte, p int) int {
	n := len(b)
	q := p
	for q < n && q-p < 3 && (b[q] == ' ' || b[q] == ':' || b[q] == '(') {
		q++
	}
	d := digitRun(b, q)
	if d == q {
		return 0
	}
	if d+1 < n && (b[d] == '.' || b[d] == ',') && isDigit(b[d+1]) {
		d = digitRun(b, d+1)
	}
	u := d
	if u < n && b[u] == ' ' {
		u++
	}
	for _, unit := range doseUnits {
		if hasPrefixFold(b[u:], unit) {
			end := u + len(unit)
			if end >= n || !isLetter(b[end]) {
				return end
			}
		}
	}
	return 0
}

// saltWords skips up to two salt or release-form words after a drug name at
// p ("metoprolol succinate ER 25 mg", "sertraline HCl 50 mg"), as drug
// names in prescriptions and pharmacy exports are written, and returns where
// the dosage may start (p when there are none).
func saltWords(b []byte, p int) int {
	q := p
	for range 2 {
		if q >= len(b) || b[q] != ' ' {
			break
		}
		w := q + 1
		for w < len(b) && isLetter(b[w]) {
			w++
		}
		if w-q-1 < 2 || w-q-1 > 16 || !saltWord(b[q+1:w]) {
			break
		}
		q = w
	}
	return q
}

func saltWord(w []byte) bool {
	var buf [16]byte
	return drugSalts[string(lowerWord(buf[:], w))]
}

// doseForm reports whether a dose form or frequency follows the dosage that
// ends at p ("300 MG capsule", "50 mg PO", "10mg tablet daily").
func doseForm(b []byte, p int) bool {
	if p >= len(b) || b[p] != ' ' {
		return false
	}
	w := p + 1
	for w < len(b) && isLetter(b[w]) {
		w++
	}
	if w-p-1 < 2 || w-p-1 > 16 || (w < len(b) && isAlnum[b[w]]) {
		return false
	}
	var buf [16]byte
	return doseForms[string(lowerWord(buf[:], b[p+1:w]))]
}

// icd10 reports ICD-10-CM codes (E11.9, J45.909, F32.A, Z79.4) in b[from:to]
// on the line of from.
func (s *Matcher) icd10(from, to int) {
	b := s.b
	if nl := bytes.IndexByte(b[from:to], '\n'); nl >= 0 {
		to = from + nl
	}
	for p := from; p+3 <= to; p++ {
		c := b[p]
		if !isUpper(c) || c == 'U' || !boundaryBefore(b, p) || !isDigit(b[p+1]) {
			continue
		}
		third := b[p+2]
		if !isDigit(third) && !isUpper(third) {
			continue
		}
		end := p + 3
		if end+1 < to && b[end] == '.' && isAlnum[b[end+1]] {
			q := end + 1
			for q < to && q-end <= 4 && (isDigit(b[q]) || isUpper(b[q])) {
				q++
			}
			if q-end > 4 {
				continue
			}
			end = q
		}
		if !boundaryAfter(b, end) || p > 0 && b[p-1] == '\\' && end < len(b) && b[end] == '\\' {
			continue // \X0D\: an escape (HL7's hex escape for a line break)
		}
		// A code of ICD-10's shape after a diagnosis or ICD cue.
		s.emit(dHealthICD10, p, end, finding.ConfidenceHigh)
		p = end
	}
}

// registerDX reports whether the cue b[start:end] is "dx" written as an
// x86 register rather than a clinical abbreviation: an operand in
// parentheses or before a comma (MOVQ 144(DX), R11; mov dx, ax; %dx).
// Such a "cue" would make the register names after it (R11) diagnosis
// codes.
func registerDX(b []byte, start, end int) bool {
	if end-start != 2 || toLower(b[start]) != 'd' || toLower(b[start+1]) != 'x' {
		return false
	}
	if start > 0 && (b[start-1] == '(' || b[start-1] == '%' || b[start-1] == '$') {
		return true
	}
	return end < len(b) && (b[end] == ')' || b[end] == ',')
}
