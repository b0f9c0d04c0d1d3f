package detect

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// Card numbers in the cells of real CSV and TSV rows are found wherever
// the cell is: after a number, a date, an SSN-like dashed value or a
// dotted decimal, not only first in the row. Digits glued to a card
// number, and the fraction of a number written with a decimal comma, are
// still not cards.
func TestCardsInDelimitedRows(t *testing.T) {
	e := allBuiltins(t)
	tests := []struct {
		name string
		row  string
		want []string // rule=exact span; nil means nothing may be found
	}{
		// Found before the fix too: the card first in the row.
		{"first cell", "4539148803436467,1,2024-01-05", []string{"credit_card=4539148803436467"}},
		{"first cell grouped", "4539 1488 0343 6467,1", []string{"credit_card=4539 1488 0343 6467"}},

		// After a numeric cell.
		{"2nd cell after an id", "1,4539148803436467", []string{"credit_card=4539148803436467"}},
		{"2nd cell after an id, more cells", "1,4539148803436467,12/27,Alice", []string{"credit_card=4539148803436467"}},
		{"3rd cell after two numbers", "17,250,5555555555554444,EUR", []string{"credit_card=5555555555554444"}},
		{"grouped after an id", "1,4539 1488 0343 6467,ok", []string{"credit_card=4539 1488 0343 6467"}},
		{"dashed after an id", "42,5555-5555-5555-4444", []string{"credit_card=5555-5555-5555-4444"}},
		{"amex after an amount", "3,378282246310005", []string{"credit_card=378282246310005"}},
		{"crlf row", "7,4539148803436467\r\n", []string{"credit_card=4539148803436467"}},
		{"second row", "id,card\n1,4539148803436467\n2,6011111111111117\n", []string{"credit_card=4539148803436467", "credit_card=6011111111111117"}},

		// After dates, dashed values and dotted decimals.
		{"after a date", "2024-01-05,4539148803436467,visa", []string{"credit_card=4539148803436467"}},
		{"after a date, 3rd cell", "alice,2024-01-05,4539 1488 0343 6467", []string{"credit_card=4539 1488 0343 6467"}},
		{"after a dashed cell", "987-65-6789,4539 1488 0343 6467", []string{"credit_card=4539 1488 0343 6467"}},
		{"after a dashed cell, plain", "ref-2-6789,4539148803436467", []string{"credit_card=4539148803436467"}},
		{"after 1.5", "1.5,4539148803436467", []string{"credit_card=4539148803436467"}},
		{"after an amount, 3rd cell", "9,19.99,4539148803436467", []string{"credit_card=4539148803436467"}},
		{"after a time", "12:30:05,4539148803436467", []string{"credit_card=4539148803436467"}},
		{"after a negative number", "-1,4539148803436467", []string{"credit_card=4539148803436467"}},
		{"after a code", "A1,4539148803436467", []string{"credit_card=4539148803436467"}},
		{"json array", "[1,4539148803436467]", []string{"credit_card=4539148803436467"}},
		{"after a zero cell, more cells", "0,4539148803436467,12/27,Alice", []string{"credit_card=4539148803436467"}},
		{"after a zero cell, not first", "1,0,4539148803436467", []string{"credit_card=4539148803436467"}},
		{"export row, grouped", "1,Alice,4539 1488 0343 6467,2024-01-02", []string{"credit_card=4539 1488 0343 6467"}},
		{"after a quoted cell and a number", `"Alice, B",3,4539148803436467`, []string{"credit_card=4539148803436467"}},
		{"after a timestamp", "2024-01-05T12:30:05,4539148803436467", []string{"credit_card=4539148803436467"}},

		// Quoted cells.
		{"quoted card after a number", `1,"4539148803436467",x`, []string{"credit_card=4539148803436467"}},
		{"quoted grouped card after a date", `"2024-01-05","4539 1488 0343 6467"`, []string{"credit_card=4539 1488 0343 6467"}},
		{"quoted id then card", `"1",4539148803436467`, []string{"credit_card=4539148803436467"}},

		// TSV and other delimiters.
		{"tsv after a number", "1\t4539148803436467\t2024-01-05", []string{"credit_card=4539148803436467"}},
		{"tsv after a decimal comma", "1,5\t4539148803436467", []string{"credit_card=4539148803436467"}},
		{"semicolons after a decimal comma", "1,5;4539 1488 0343 6467", []string{"credit_card=4539 1488 0343 6467"}},

		// Hard negatives: still no card.
		{"glued to a digit", "14539148803436467", nil},
		{"glued to digits in a cell", "1,14539148803436467,x", nil},
		{"glued after", "1,45391488034364670", nil},
		{"dotted decimal", "0.4539148803436467", nil},
		{"decimal comma in a quoted cell", `x,"0,4539148803436467",y`, nil},
		{"decimal comma in a semicolon row", "2024-01-05;0,4539148803436467;EUR", nil},
		{"decimal comma in a tsv row", "a\t1,4539148803436467\tb", nil},
		{"decimal comma in prose", "ratio was 0,4539148803436467 today", nil},
		{"thousands", "1,453,914,880", nil},
		{"fails luhn", "1,4539148803436468", nil},
		{"17 digits without a card word", "1,45391488034364675", nil},

		// Hard negatives: a decimal comma whose fraction passes as a card.
		{"lone decimal", "0,4539148803436467", nil},
		{"lone negative decimal", "-0,4539148803436467", nil},
		{"lone positive decimal", "+0,4539148803436467", nil},
		{"lone decimal, crlf", "0,4539148803436467\r\n", nil},
		{"lone decimal in brackets", "[0,4539148803436467]", nil},
		{"decimal in parentheses", "(0,4539148803436467)", nil},
		{"decimal after a colon", "ratio:0,4539148803436467", nil},
		{"decimal after key=", "ratio=1,4539148803436467", nil},
		{"decimal in a list of decimals", "0,4539148803436467, 0,5", nil},
		{"decimal in a quoted cell after a cell", `1,Alice,"48,4539148803436467"`, nil},
		{"decimal in a quoted cell first", `"0,4539148803436467",x`, nil},
		{"decimal in a quoted prose", `he said "it is 1,4539148803436467" then`, nil},
		{"grouped decimal in prose", "valeur 0,4539 1488 0343 6467", nil},
		{"grouped lone decimal", "0,4539 1488 0343 6467", nil},
		{"grouped decimal in parentheses", "(0,4539 1488 0343 6467)", nil},
		{"grouped decimal in a quoted cell", `1,"0,4539 1488 0343 6467"`, nil},
		{"grouped decimal in a semicolon row", "x;0,4539 1488 0343 6467", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := found(e, tt.row, nil)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Scan(%q)\n got %q\nwant %q", tt.row, got, tt.want)
			}
		})
	}
}

// With the header of a delimited file known, its delimiter decides: in a
// comma-separated file a comma between digits separates cells, in a
// semicolon-separated one it is a decimal comma.
func TestCardsInDelimitedFiles(t *testing.T) {
	e := allBuiltins(t)
	tests := []struct {
		name string
		file string
		want []string
	}{
		{"csv", "id,first_name,amount,card\n1,Alice,1.5,4539148803436467\n2,Bob,0,4539 1488 0343 6467\n",
			[]string{"person_name_field=Alice", "credit_card=4539148803436467", "person_name_field=Bob", "credit_card=4539 1488 0343 6467"}},
		{"csv with a semicolon in a cell", "id,first_name,note,card\n1,Alice,a;b,4539148803436467\n",
			[]string{"person_name_field=Alice", "credit_card=4539148803436467"}},
		{"semicolons", "id;first_name;ratio\n1;Alice;0,4539148803436467\n",
			[]string{"person_name_field=Alice"}},
		{"csv, decimal comma in a quoted cell", "id,first_name,amount\n1,Alice,\"48,4539148803436467\"\n",
			[]string{"person_name_field=Alice"}},
		{"csv, grouped decimal in a quoted cell", "id,first_name,amount\n1,Alice,\"0,4539 1488 0343 6467\"\n",
			[]string{"person_name_field=Alice"}},
		{"csv, quoted comma earlier in the row", "id,first_name,card\n1,\"Alice, B\",4539148803436467\n2,\"Bob\",7,4539148803436467\n",
			[]string{"person_name_field=Alice, B", "credit_card=4539148803436467", "person_name_field=Bob", "credit_card=4539148803436467"}},
		{"tsv", "id\tfirst_name\tcard\n1\tAlice\t4539148803436467\n",
			[]string{"person_name_field=Alice", "credit_card=4539148803436467"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cols := HeaderColumns([]byte(tt.file[:strings.IndexByte(tt.file, '\n')]), 0)
			if !cols.Any() {
				t.Fatal("no columns in the header")
			}
			cols.SkipFirstLine = true
			got := found(e, tt.file, cols)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Scan(%q)\n got %q\nwant %q", tt.file, got, tt.want)
			}
		})
	}
}

// TestCardsAfterCommasOnALongLine scans 760 KB of "1,4539148803436467,"
// on one line: it took 5 s (the same cells one row a line: 0.03 s),
// because every card after a numeric cell looked back to the start of
// its line. It also finds every card.
func TestCardsAfterCommasOnALongLine(t *testing.T) {
	e := allBuiltins(t)
	const n = 40000
	cell := []byte("1,4539148803436467,")
	long := bytes.Repeat(cell, n)
	rows := bytes.ReplaceAll(long, []byte("467,"), []byte("467\n"))
	best := func(text []byte) (time.Duration, int) {
		var min time.Duration
		var got int
		for i := range 3 {
			start := time.Now()
			got = len(e.NewMatcher().Scan(text, nil))
			if took := time.Since(start); i == 0 || took < min {
				min = took
			}
		}
		return min, got
	}
	tr, nr := best(rows)
	tl, nl := best(long)
	if nr != n || nl != n {
		t.Errorf("found %d cards in rows, %d on one line, want %d", nr, nl, n)
	}
	// Generous, for a loaded machine: before, the line took 150 times as long.
	if tl > 10*tr+time.Second {
		t.Errorf("one line scanned in %v, the same cells in rows in %v", tl, tr)
	}
}
