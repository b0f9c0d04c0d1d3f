package detect

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"math/rand/v2"
	"os"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

var update = flag.Bool("update", false, "rewrite nanp_table.go from libphonenumber's metadata")

// TestNANPTable derives the table of nanp_table.go from the metadata of the
// linked libphonenumber and fails if the file differs: after an upgrade of
// github.com/nyaruka/phonenumbers, run
//
//	go test ./scanners/detect -run TestNANPTable -update
//
// The derivation proves what the table claims. libphonenumber decides
// whether a 10-digit NANP number is valid from whole-string matches of the
// national number patterns of the NANP regions and prefix matches of their
// leading digits (phonenumbers' getNumberTypeHelper and
// getRegionCodeForNumberFromRegionList). Each pattern is run as a DFA over
// the digits: where, after a prefix, every pattern's outcome is the same
// for every completion, libphonenumber's answer for one completion is its
// answer for all of them. Other prefixes of six digits are "mixed" and
// left to libphonenumber at run time. The possible lengths of the
// descriptions and the same-mobile-and-fixed-line flag are the same for
// every 10-digit number, so they need no DFA.
func TestNANPTable(t *testing.T) {
	ranges := deriveNANPRanges(t)
	src, serr := nanpTableSource(ranges)
	if serr != nil {
		t.Fatal(serr)
	}
	if *update {
		if err := os.WriteFile("nanp_table.go", src, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	cur, err := os.ReadFile("nanp_table.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cur, src) {
		t.Fatal("nanp_table.go is not the table of the linked libphonenumber metadata: run go test ./scanners/detect -run TestNANPTable -update")
	}
}

// TestValidNANPAgreesWithLibphonenumber checks validNANP against
// libphonenumber itself on numbers from every kind of range of the table,
// and on random numbers.
func TestValidNANPAgreesWithLibphonenumber(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	check := func(n uint64) {
		t.Helper()
		if got, want := validNANP(n), libphonenumberNANP(n); got != want {
			t.Fatalf("validNANP(%d) = %v, libphonenumber says %v", n, got, want)
		}
	}
	for x, e := range nanpRanges {
		start := uint64(e >> 2)
		end := uint64(nanpPrefixes)
		if x+1 < len(nanpRanges) {
			end = uint64(nanpRanges[x+1] >> 2)
		}
		for _, p := range []uint64{start, end - 1, start + r.Uint64N(end-start)} {
			check(p*10000 + r.Uint64N(10000))
			check(p * 10000)
			check(p*10000 + 9999)
		}
	}
	for range 20000 {
		check(1_000_000_000 + r.Uint64N(9_000_000_000))
	}
	for _, n := range []uint64{0, 1, 999_999_999, 123_456_789} {
		check(n) // not ten digits: libphonenumber's answer, whatever it is
	}
}

// digitDFA runs one of libphonenumber's patterns over 10-digit strings.
type digitDFA struct {
	prog   *syntax.Prog
	prefix bool // a leading-digits pattern: a match of a prefix is enough
	ids    map[string]int
	states [][]uint32      // by id: the pcs of consuming instructions and of InstMatch
	next   map[[3]int]int  // (id, digit, position after it) -> id
	class  map[[2]int]int8 // (id, depth) -> nanpNone, nanpAll or nanpMixed
}

const (
	nanpNone = iota
	nanpAll
	nanpMixed
)

func newDigitDFA(t *testing.T, pattern string, prefix bool) *digitDFA {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		t.Fatalf("pattern %q: %v", pattern, err)
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		t.Fatalf("pattern %q: %v", pattern, err)
	}
	return &digitDFA{prog: prog, prefix: prefix, ids: map[string]int{}, next: map[[3]int]int{}, class: map[[2]int]int8{}}
}

// intern returns the id of the state holding pcs.
func (d *digitDFA) intern(pcs []uint32) int {
	slices.Sort(pcs)
	pcs = slices.Compact(pcs)
	key := fmt.Sprint(pcs)
	if id, ok := d.ids[key]; ok {
		return id
	}
	d.ids[key] = len(d.states)
	d.states = append(d.states, pcs)
	return len(d.states) - 1
}

// closure adds pc and what it reaches without a digit at position pos of
// a 10-digit string.
func (d *digitDFA) closure(out []uint32, pc uint32, pos int, seen map[uint32]bool) []uint32 {
	if seen[pc] {
		return out
	}
	seen[pc] = true
	r1, r2 := rune('0'), rune('0')
	if pos == 0 {
		r1 = -1
	}
	if pos == 10 {
		r2 = -1
	}
	in := &d.prog.Inst[pc]
	switch in.Op {
	case syntax.InstAlt, syntax.InstAltMatch:
		out = d.closure(out, in.Out, pos, seen)
		return d.closure(out, in.Arg, pos, seen)
	case syntax.InstCapture, syntax.InstNop:
		return d.closure(out, in.Out, pos, seen)
	case syntax.InstEmptyWidth:
		if syntax.EmptyOp(in.Arg)&^syntax.EmptyOpContext(r1, r2) == 0 {
			return d.closure(out, in.Out, pos, seen)
		}
		return out
	case syntax.InstFail:
		return out
	}
	return append(out, pc) // InstMatch or an instruction that reads a rune
}

func (d *digitDFA) start() int {
	return d.intern(d.closure(nil, uint32(d.prog.Start), 0, map[uint32]bool{}))
}

// step returns the state after digit c read at position pos-1. The
// successor depends on pos, not only on the state: '$' passes only at
// position 10.
func (d *digitDFA) step(id int, c byte, pos int) int {
	k := [3]int{id, int(c), pos}
	if n, ok := d.next[k]; ok {
		return n
	}
	var out []uint32
	seen := map[uint32]bool{}
	for _, pc := range d.states[id] {
		in := &d.prog.Inst[pc]
		if in.Op != syntax.InstMatch && in.MatchRune(rune(c)) {
			out = d.closure(out, in.Out, pos, seen)
		}
	}
	n := d.intern(out)
	d.next[k] = n
	return n
}

func (d *digitDFA) matches(id int) bool {
	for _, pc := range d.states[id] {
		if d.prog.Inst[pc].Op == syntax.InstMatch {
			return true
		}
	}
	return false
}

// classify says whether, from state id at depth digits, every completion
// to ten digits matches, none does, or it depends.
func (d *digitDFA) classify(id, depth int) int8 {
	k := [2]int{id, depth}
	if c, ok := d.class[k]; ok {
		return c
	}
	var c int8
	switch {
	case d.prefix && d.matches(id):
		c = nanpAll
	case depth == 10:
		c = nanpNone
		if d.matches(id) {
			c = nanpAll
		}
	case len(d.states[id]) == 0:
		c = nanpNone
	default:
		for x := byte('0'); x <= '9'; x++ {
			cx := d.classify(d.step(id, x, depth+1), depth+1)
			if x == '0' {
				c = cx
			} else if cx != c {
				c = nanpMixed
			}
			if c == nanpMixed {
				break
			}
		}
	}
	d.class[k] = c
	return c
}

// deriveNANPRanges returns the table: ranges of 6-digit prefixes, each
// start<<2 | verdict, in order.
func deriveNANPRanges(t *testing.T) []uint32 {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	var dfas []*digitDFA
	for _, md := range coll.GetMetadata() {
		if md.GetCountryCode() != 1 {
			continue
		}
		if ld := md.GetLeadingDigits(); ld != "" {
			dfas = append(dfas, newDigitDFA(t, "^(?:"+ld+")", true))
		}
		for _, desc := range []*phonenumbers.PhoneNumberDesc{
			md.GetGeneralDesc(), md.GetFixedLine(), md.GetMobile(), md.GetTollFree(),
			md.GetPremiumRate(), md.GetSharedCost(), md.GetPersonalNumber(), md.GetVoip(),
			md.GetPager(), md.GetUan(), md.GetVoicemail(),
		} {
			if desc != nil {
				dfas = append(dfas, newDigitDFA(t, "^(?:"+desc.GetNationalNumberPattern()+")$", false))
			}
		}
	}
	if len(dfas) < 20 {
		t.Fatalf("only %d NANP patterns in libphonenumber's metadata", len(dfas))
	}
	var out []uint32
	emit := func(start uint32, v uint32) {
		if len(out) > 0 && out[len(out)-1]&3 == v {
			return
		}
		out = append(out, start<<2|v)
	}
	var walk func(prefix uint64, depth int, states []int)
	walk = func(prefix uint64, depth int, states []int) {
		constant := true
		for x, d := range dfas {
			if d.classify(states[x], depth) == nanpMixed {
				constant = false
				break
			}
		}
		width := uint64(1)
		for range 6 - depth {
			width *= 10
		}
		switch {
		case constant:
			// Below 1,000,000,000 a number has fewer than ten digits:
			// validNANP does not ask the table there.
			v := uint32(nanpInvalid)
			if n := prefix * width * 10000; n >= 1_000_000_000 && libphonenumberNANP(n) {
				v = nanpValid
			}
			emit(uint32(prefix*width), v)
			return
		case depth == 6:
			emit(uint32(prefix), nanpUnknown)
			return
		}
		next := make([]int, len(dfas))
		for c := byte('0'); c <= '9'; c++ {
			for x, d := range dfas {
				next[x] = d.step(states[x], c, depth+1)
			}
			walk(prefix*10+uint64(c-'0'), depth+1, next)
		}
	}
	states := make([]int, len(dfas))
	for x, d := range dfas {
		states[x] = d.start()
	}
	walk(0, 0, states)
	return out
}

func nanpTableSource(ranges []uint32) ([]byte, error) {
	var b strings.Builder
	b.WriteString("// Code generated by go test ./scanners/detect -run TestNANPTable -update; DO NOT EDIT.\n\n")
	b.WriteString("package detect\n\n")
	b.WriteString("// nanpRanges holds libphonenumber's verdict on 10-digit NANP numbers by\n")
	b.WriteString("// their first six digits: ranges of prefixes, each\n")
	b.WriteString("// start<<2 | verdict (nanpValid, nanpInvalid, or nanpUnknown where the\n")
	b.WriteString("// last four digits decide), in order. See TestNANPTable.\n")
	b.WriteString("var nanpRanges = [...]uint32{")
	for x, r := range ranges {
		if x%8 == 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%#x, ", r)
	}
	b.WriteString("\n}\n")
	return format.Source([]byte(b.String()))
}

// BenchmarkValidNANP measures validNANP on numbers seen once each, as in
// an export of customer records: the table against libphonenumber.
func BenchmarkValidNANP(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	nums := make([]uint64, 1<<16)
	for x := range nums {
		nums[x] = 2_000_000_000 + r.Uint64N(8_000_000_000)
	}
	b.Run("table", func(b *testing.B) {
		x := 0
		for b.Loop() {
			validNANP(nums[x&(len(nums)-1)])
			x++
		}
	})
	b.Run("libphonenumber", func(b *testing.B) {
		x := 0
		for b.Loop() {
			libphonenumberNANP(nums[x&(len(nums)-1)])
			x++
		}
	})
}

// TestDigitDFAPositions: a state reached at two depths has different
// successors where '$' is near; a DFA that reused them would give a
// prefix a verdict its last digits decide.
func TestDigitDFAPositions(t *testing.T) {
	d := newDigitDFA(t, `^(?:(?:1|22)\d{7}[0-4])$`, false)
	s0 := d.start()
	// After "1" the pattern ends at nine digits: no 10-digit number
	// matches. Its states at depths 2-9 are those "22" reaches a digit
	// later.
	if c := d.classify(d.step(s0, '1', 1), 1); c != nanpNone {
		t.Fatalf("after 1: %d, want none", c)
	}
	if c := d.classify(d.step(d.step(s0, '2', 1), '2', 2), 2); c != nanpMixed {
		t.Fatalf("after 22: %d, want mixed", c)
	}
	if c := d.classify(d.step(s0, '3', 1), 1); c != nanpNone {
		t.Fatalf("after 3: %d, want none", c)
	}
}
