package detect

import (
	"slices"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/finding"
)

// hl7Found scans an HL7 stream as one block, with the context a tracker
// gives it.
func hl7Found(e *Engine, text string) []string {
	return found(e, text, NewHL7Tracker().Columns())
}

// hl7ADT is an ADT^A01 written after the v2.5.1 standard's example
// messages, with made-up values; segments end with CR alone.
const hl7ADT = "MSH|^~\\&|ADT1|GOOD HEALTH HOSPITAL|GHH LAB, INC.|GOOD HEALTH HOSPITAL|198808181126|SECURITY|ADT^A01^ADT_A01|MSG00001|P|2.5.1\r" +
	"EVN|A01|200708181123||\r" +
	"PID|1||PATID1234^^^GOOD HEALTH HOSPITAL^MR~536-22-8741^^^USSSA^SS||EVERYMAN^ADAM^A^III||19610615|M||C|2222 HOME STREET^^GREENSBORO^NC^27401-1020|GL|(555) 555-2004|(555)555-2004||S||PATID12345001^2^M10^ADT1^AN^A|401557203|987654^NC\r" +
	"NK1|1|NUCLEAR^NELDA^W|SPO^SPOUSE||||NK^NEXT OF KIN\r" +
	"PV1|1|I|2000^2012^01||||004777^ATTEND^AARON^A|||SUR||||ADM|A0|\r"

func TestHL7(t *testing.T) {
	e := allBuiltins(t)
	tests := []struct {
		name string
		text string
		want []string // rule=exact span; nil means nothing may be found
	}{
		{"ADT^A01, its CRs made line ends (as the reader does)", strings.ReplaceAll(hl7ADT, "\r", "\n"), []string{
			"us_ssn=536-22-8741", "person_name_field=EVERYMAN", "person_name_field=ADAM",
			"date_of_birth_field=19610615", "postal_address_field=2222 HOME STREET^^GREENSBORO^NC^27401-1020",
			"us_ssn=401557203", "person_name_field=NUCLEAR", "person_name_field=NELDA",
		}},
		{"PID with valid phones, SSN in PID-19, CRLF", "MSH|^~\\&|A|B|C|D|20260101||ADT^A04|1|P|2.3\r\n" +
			"PID|||4471^^^H^MR||Tran^Linh^^^Ms||198402291030|F|||77 Elm Ct^^Dayton^OH^45402||(937)224-6618^PRN^PH|^WPN^PH^^1^937^2281044||||||412-68-3097\r\n" +
			"NK1|1|Tran^Bao|FTH|77 Elm Ct^^Dayton^OH^45402|^PRN^PH^^^937^2246618\r\n", []string{
			"person_name_field=Tran", "person_name_field=Linh", "date_of_birth_field=198402291030",
			"postal_address_field=77 Elm Ct^^Dayton^OH^45402", "phone_number=(937)224-6618", "phone_number=937^2281044",
			"us_ssn=412-68-3097",
			"person_name_field=Tran", "person_name_field=Bao", "postal_address_field=77 Elm Ct^^Dayton^OH^45402",
			"phone_number=937^2246618",
		}},
		{"diagnoses, problems, allergies, drugs", "MSH|^~\\&|A|B|C|D|20260101||ADT^A08|2|P|2.5\n" +
			"DG1|1||J45.909^Unspecified asthma, uncomplicated^I10||20260101|W\n" +
			"DG1|2|I9|250.00|DIABETES MELLITUS|20260101|F\n" +
			"PRB|AD|20260101|K21.9^Gastro-esophageal reflux disease^I10|P1\n" +
			"AL1|1|FA|^Peanut^L|SV|Swelling of lips~Wheezing\n" +
			"RXO|^Sertraline 50 MG Oral Tablet^RXNORM||50|mg\n" +
			"RXE|^^^20260101^^R|310965^Ibuprofen 200 MG^RXNORM|200||mg\n" +
			"RXA|0|1|20260101|20260101|08^HEPB-PEDS^CVX|0.5|mL\n", []string{
			"health_field=J45.909", "health_condition=Unspecified asthma, uncomplicated",
			"health_field=250.00", "health_condition=DIABETES MELLITUS",
			"health_field=K21.9", "health_field=Gastro-esophageal reflux disease",
			"health_field=Peanut", "health_field=Swelling of lips", "health_field=Wheezing",
			"health_medication=Sertraline 50 MG Oral Tablet",
			"health_field=310965", "health_medication=Ibuprofen 200 MG",
			"health_field=08", "health_field=HEPB-PEDS",
		}},
		{"OBX: coded results only", "MSH|^~\\&|LAB|B|C|D|20260101||ORU^R01|3|P|2.5.1\n" +
			"OBR|1|845439^GHH OE|1045813^GHH LAB|15545^GLUCOSE\n" +
			"OBX|1|NM|2345-7^GLUCOSE^LN||182|mg/dL|70-105|H|||F\n" +
			"OBX|2|ST|1554-5^GLUCOSE^LN||Sample hemolyzed||||||F\n" +
			"OBX|3|CWE|94500-6^SARS-CoV-2 RNA^LN||260373001^Detected^SCT||||||F\n", []string{
			"health_field=260373001", "health_field=Detected",
		}},
		{"escaped names: the raw span", "MSH|^~\\&|A|B|C|D|20260101||ADT^A08|1|P|2.5.1\n" +
			"PID|1||MRN9||O\\T\\BRIEN^SIOBHAN||19630525|F\n" +
			"NK1|1|D\\S\\ANGELO^MARIA\\R\\ROSA~SMITH\\F\\JONES^ANN\\E\\\n" +
			"GT1|1||VAN\\X20\\DYKE^PIETER\\H\\^J\\N\\\n", []string{
			"person_name_field=O\\T\\BRIEN", "person_name_field=SIOBHAN", "date_of_birth_field=19630525",
			"person_name_field=D\\S\\ANGELO", "person_name_field=MARIA\\R\\ROSA",
			"person_name_field=SMITH\\F\\JONES", "person_name_field=ANN\\E\\",
			"person_name_field=VAN\\X20\\DYKE", "person_name_field=PIETER\\H\\",
		}},
		{"an escape not closed is no name", "MSH|^~\\&|A|B|C|D|20260101||ADT^A08|1|P|2.5.1\n" +
			"PID|1||MRN9||O\\T^SIOBHAN\\XZZ\\\n", nil},
		{"other separators", "MSH#:*!@#A#B#C#D#20260101##ADT^A01#4#P#2.5\n" +
			"PID#1##X:::::MR##Sato:Hiro##19700101\n", []string{
			"person_name_field=Sato", "person_name_field=Hiro", "date_of_birth_field=19700101",
		}},
		// Hard negatives.
		{"other segments, empty and odd fields", "MSH|^~\\&|A|B|C|D|20260101||ADT^A01|5|P|2.5\n" +
			"EVN|A01|20260101\n" +
			"PV1|1|I|W^1^1||||1234^WELBY^MARCUS\n" +
			"PID|1||77^^^H^MR||\"\"||2026\n" +
			"PID\n" +
			"PID|\n" +
			"ZPI|1|Lindqvist^Marisol\n" +
			"DG1|1|I10|~\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := hl7Found(e, tc.text)
			if !slices.Equal(got, tc.want) {
				t.Errorf("found\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestHL7ConfidenceHigh(t *testing.T) {
	e := allBuiltins(t)
	text := strings.ReplaceAll(hl7ADT, "\r", "\n") + "DG1|1||J45.909^Unspecified asthma^I10\n"
	ms := e.NewMatcher().Scan([]byte(text), NewHL7Tracker().Columns())
	if len(ms) < 8 {
		t.Fatalf("%d found", len(ms))
	}
	for _, m := range ms {
		if m.Confidence != finding.ConfidenceHigh {
			t.Errorf("%s %q: confidence %v", e.Rules()[m.Rule].ID, text[m.Start:m.End], m.Confidence)
		}
	}
}

// TestHL7Stream checks which heads are HL7 v2 and that only HL7 streams'
// fields are read by their position.
func TestHL7Stream(t *testing.T) {
	for head, want := range map[string]bool{
		hl7ADT:                                             true,
		"\x0bMSH|^~\\&|A|B\r":                              true, // MLLP framing
		"\xef\xbb\xbfMSH|^~\\&|A\r":                        true,
		"FHS|^~\\&|A\rBHS|^~\\&|A\rMSH|":                   true,
		"MSH|^~\\&#|A|B\r":                                 true, // v2.7: the truncation character
		"\x0bMSH|^~\\&#|A|B\r":                             true,
		"\x0bPID|1||MRN1||DOE^JOHN||19700101\r":            true, // a message's body, framed
		"EVN|A01|20260101|x\rPID|1||X\r":                   true,
		"PID|1\rEVN|A01\r":                                 false,
		"PID|1||X||DOE^JOHN\r":                             false, // one segment, not framed
		"PID||X||DOE^JOHN\rNK1|1|DOE^JANE\r":               true,
		"PID|USER|TIME|CMD|NAME\n1234|root|00:01|bash|x\n": false, // a table
		"PID|USER|TIME|CMD|NAME\nPID|root|00:01|bash|x\n":  false,
		"ABC|1||X||DOE^JOHN\r":                             false,
		"MSH|^~\\&#&|A|B\r":                                false, // the truncation character repeats a separator
		"MSH|^~\\&#":                                       false,
		"MSH|^~\\&":                                        false,
		"MSH|abcd|x":                                       false,
		"MSH|^^\\&|x":                                      false,
		"2026-01-01 INFO MSH|^~\\&|A":                      false,
		"The MSH|^~\\& header starts every message; PID|1||x||Doe^John names the patient.\n": false,
		"ts|level|msg\n2026-01-01|INFO|PID|1||x||Doe^John\n":                                 false,
	} {
		if got := HL7Stream([]byte(head)); got != want {
			t.Errorf("HL7Stream(%q) = %v", head, got)
		}
	}
	// Without HL7 context nothing of a pipe-delimited log is read by
	// position.
	e := allBuiltins(t)
	for _, text := range []string{
		"ts|level|msg\n2026-01-01|INFO|PID|1||x||Doe^John||19610615\n",
		"The MSH|^~\\& header starts every message; PID|1||77||Doe^John||19610615 names the patient.\n",
	} {
		if got := found(e, text, nil); len(got) > 0 {
			t.Errorf("found %q in %q", got, text)
		}
	}
}

// TestHL7Tracker checks that the separators of the last MSH reach the next
// block, also when the MSH is cut between two feeds, and that a block that
// starts inside a segment skips it.
func TestHL7Tracker(t *testing.T) {
	e := allBuiltins(t)
	msg := "MSH#:*!@#A#B\nPID#1##X##Sato:Hiro##19700101\n"
	for cut := 0; cut <= len(msg); cut++ {
		tr := NewHL7Tracker()
		tr.Feed([]byte(msg[:cut]))
		tr.Feed([]byte(msg[cut:]))
		next := "PID#1##X##Mori:Aiko##19700101\n"
		got := found(e, next, tr.Columns())
		if want := []string{"person_name_field=Mori", "person_name_field=Aiko", "date_of_birth_field=19700101"}; !slices.Equal(got, want) {
			t.Fatalf("cut %d: found %q, want %q", cut, got, want)
		}
	}
}

// TestHL7LongSegment checks that a block that starts inside a segment (a
// segment longer than a block: a field of a megabyte) reads the fields
// after the one it starts in, by their number, and only those.
func TestHL7LongSegment(t *testing.T) {
	e := allBuiltins(t)
	big := strings.Repeat("A", 3000)
	tests := []struct {
		name, fed, block string
		want             []string
	}{
		{"cut inside PID-5", "MSH|^~\\&|A\nPID|1||X||Sa", "to^Hiro||19700101\nPID|1||X||Mori^Aiko\n",
			[]string{"date_of_birth_field=19700101", "person_name_field=Mori", "person_name_field=Aiko"}},
		{"cut inside a long PID-5, CR-only segments read as lines", "MSH|^~\\&|A\nPID|1||MRN1||" + big, big + "^GIVEN||19710409|F\n",
			[]string{"date_of_birth_field=19710409"}},
		{"cut at PID-5's start", "MSH|^~\\&|A\nPID|1||MRN1||", "Quintero^Rafael||19941022\n",
			[]string{"person_name_field=Quintero", "person_name_field=Rafael", "date_of_birth_field=19941022"}},
		{"cut in a long PID-11 after the fields read: nothing", "MSH|^~\\&|A\nPID|1||X||||||||1 Elm", big + " St^^Dayton^OH||19700101\n", nil},
		{"cut inside a segment not read", "MSH|^~\\&|A\nZPI|1||X||Sa", "to^Hiro||19700101\n", nil},
		{"cut inside MSH", "MSH|^~\\&|A|B", "|C|Sato^Hiro||19700101\n", nil},
		{"other separators", "MSH#:*!@#A\nPID#1##X##" + big, "A:B##19700101\n", []string{"date_of_birth_field=19700101"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewHL7Tracker()
			// Fed in two pieces, as a reader of blocks feeds it.
			tr.Feed([]byte(tc.fed[:len(tc.fed)/2]))
			tr.Feed([]byte(tc.fed[len(tc.fed)/2:]))
			if got := found(e, tc.block, tr.Columns()); !slices.Equal(got, tc.want) {
				t.Errorf("found %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzHL7 checks that any bytes, with any separators, are read without
// panic and that matches stay in bounds.
func FuzzHL7(f *testing.F) {
	f.Add([]byte(strings.ReplaceAll(hl7ADT, "\r", "\n")), 40)
	f.Add([]byte("MSH#:*!@#A\nPID#1##X:::::SS##A:B##1##:::::::\nOBX#1#CWE#x##a:b\n"), 7)
	f.Add([]byte("MSH|^~\\&|\nPID|||||^^^^^^^|||||^^^^^^^^^|^^^^^^^^|~~~~\n"), 0)
	e := allBuiltins(f)
	s := e.NewMatcher()
	f.Fuzz(func(t *testing.T, data []byte, cut int) {
		if cut < 0 || cut > len(data) {
			cut = len(data) / 2
		}
		tr := NewHL7Tracker()
		for _, block := range [][]byte{data[:cut], data[cut:]} {
			for _, m := range s.Scan(block, tr.Columns()) {
				if m.Start < 0 || m.End > len(block) || m.Start > m.End {
					t.Fatalf("match out of bounds: %+v", m)
				}
			}
			tr.Feed(block)
			if len(tr.head) > hl7LineHead {
				t.Fatalf("tracker holds %d bytes", len(tr.head))
			}
		}
	})
}

// BenchmarkHL7 measures an HL7 stream of ADT and ORU messages as the
// reader and a worker see it (its CRs already line ends).
func BenchmarkHL7(b *testing.B) {
	e := allBuiltins(b)
	msg := strings.ReplaceAll(hl7ADT, "\r", "\n") + "DG1|1||J45.909^Unspecified asthma, uncomplicated^I10||20260101|W\n" +
		"OBR|1|845439^GHH OE|1045813^GHH LAB|15545^GLUCOSE\nOBX|1|NM|2345-7^GLUCOSE^LN||182|mg/dL|70-105|H|||F\n" +
		"OBX|3|CWE|94500-6^SARS-CoV-2 RNA^LN||260373001^Detected^SCT||||||F\n"
	data := []byte(strings.Repeat(msg, (4<<20)/len(msg)))
	s := e.NewMatcher()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		tr := NewHL7Tracker()
		for p := 0; p < len(data); p += 512 << 10 {
			block := data[p:min(p+512<<10, len(data))]
			s.Scan(block, tr.Columns())
			tr.Feed(block)
		}
	}
}
