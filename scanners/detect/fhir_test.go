package detect

import (
	"slices"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/finding"
)

// fhirFound scans a FHIR stream as one block, with the context a tracker
// gives it.
func fhirFound(e *Engine, text string) []string {
	return found(e, text, NewFHIRTracker().Columns())
}

// fhirPatient is an R4 Patient written after the spec's example
// (patient-example.json), with made-up values.
const fhirPatient = `{
  "resourceType": "Patient",
  "id": "example",
  "text": {
    "status": "generated",
    "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Record of a patient</div>"
  },
  "identifier": [ {
    "use": "usual",
    "type": { "coding": [ { "system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR" } ] },
    "system": "urn:oid:1.2.36.146.595.217.0.1",
    "value": "12345"
  }, {
    "system": "http://hl7.org/fhir/sid/us-ssn",
    "value": "536-22-8741"
  } ],
  "active": true,
  "name": [ {
    "use": "official",
    "family": "Calloway",
    "given": [ "Petra", "Ines" ]
  }, {
    "use": "usual",
    "text": "Petra Calloway"
  } ],
  "telecom": [ {
    "use": "home"
  }, {
    "system": "phone",
    "value": "(415) 867-2290",
    "use": "work",
    "rank": 1
  }, {
    "system": "email",
    "value": "petra.c@example.org"
  } ],
  "gender": "female",
  "birthDate": "1974-12-25",
  "address": [ {
    "use": "home",
    "type": "both",
    "text": "534 Erewhon St PeasantVille, Rainbow, Vic  3999",
    "line": [ "534 Erewhon St" ],
    "city": "PleasantVille",
    "postalCode": "3999"
  } ],
  "contact": [ {
    "relationship": [ { "coding": [ { "system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "N" } ] } ],
    "name": { "family": "du Marché", "given": [ "Bénédicte" ] },
    "telecom": [ { "system": "phone", "value": "+33 1 42 68 53 00" } ]
  } ]
}
`

func TestFHIR(t *testing.T) {
	e := allBuiltins(t)
	tests := []struct {
		name string
		text string
		want []string // rule=exact span; nil means nothing may be found
	}{
		{"patient", fhirPatient, []string{
			"us_ssn=536-22-8741",
			"person_name_field=Calloway", "person_name_field=Petra", "person_name_field=Ines",
			"person_name_field=Petra Calloway",
			"phone_number=(415) 867-2290", "email=petra.c@example.org",
			"date_of_birth_field=1974-12-25",
			"postal_address_field=534 Erewhon St PeasantVille, Rainbow, Vic  3999", "postal_address_field=534 Erewhon St",
			"person_name_field=du Marché", "person_name_field=Bénédicte", "phone_number=+33 1 42 68 53 00",
		}},
		{"condition in a bundle", `{"resourceType":"Bundle","type":"searchset","entry":[{"fullUrl":"x",
 "resource":{"resourceType":"Condition","id":"f201","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"resolved"}]},
  "code":{"coding":[{"system":"http://snomed.info/sct","code":"386661006","display":"Fever"}],"text":"Fever"},
  "bodySite":[{"coding":[{"system":"http://snomed.info/sct","code":"38266002","display":"Entire body as a whole"}]}],
  "subject":{"reference":"Patient/f201","display":"Roel"}}}]}`,
			[]string{"health_field=Fever", "health_field=Fever", "health_field=Entire body as a whole"}},
		{"ndjson bulk export", `{"resourceType":"Patient","id":"1","name":[{"family":"Okafor","given":["Chidi"]}],"birthDate":"1988-02-29"}
{"resourceType":"Condition","id":"2","code":{"text":"Lupus erythematosus"},"subject":{"reference":"Patient/1"}}
{"resourceType":"AllergyIntolerance","id":"3","code":{"coding":[{"display":"Cashew nuts"}]},"reaction":[{"manifestation":[{"coding":[{"display":"Anaphylactic reaction"}]}],"description":"Challenge test"}]}
{"resourceType":"MedicationStatement","id":"4","medicationCodeableConcept":{"coding":[{"display":"Sumatriptan 50 MG Oral Tablet"}]}}
`, []string{"person_name_field=Okafor", "person_name_field=Chidi", "date_of_birth_field=1988-02-29",
			"health_condition=Lupus erythematosus", "health_field=Cashew nuts", "health_field=Anaphylactic reaction",
			"health_field=Challenge test", "health_medication=Sumatriptan 50 MG Oral Tablet"}},
		// A coded result is also the cue that makes the health terms of
		// its line count ("Hepatitis B").
		{"observations: only coded results", `{"resourceType":"Observation","status":"final",
 "category":[{"coding":[{"code":"vital-signs","display":"Vital Signs"}]}],
 "code":{"coding":[{"system":"http://loinc.org","code":"8302-2","display":"Body height"}],"text":"Body height"},
 "valueQuantity":{"value":171.2,"unit":"cm"}}
{"resourceType":"Observation","code":{"text":"Hepatitis B surface antigen"},"valueCodeableConcept":{"coding":[{"display":"Detected"}],"text":"Detected"}}
`, []string{"health_condition=Hepatitis B", "health_field=Detected", "health_field=Detected"}},
		{"practitioner and related person", `{"resourceType":"Practitioner","name":[{"family":"Careful","given":["Adam"],"prefix":["Dr"]}],
 "telecom":[{"system":"fax","value":"+1 617 555 7298"}]}
{"resourceType":"RelatedPerson","name":[{"text":"Bénédicte du Marché"}],"address":[{"line":["43 Place du Marché"]}]}`,
			[]string{"person_name_field=Careful", "person_name_field=Adam", "phone_number=+1 617 555 7298",
				"person_name_field=Bénédicte du Marché", "postal_address_field=43 Place du Marché"}},
		{"contained resource has its own type", `{"resourceType":"MedicationRequest",
 "contained":[{"resourceType":"Medication","id":"med1","code":{"text":"Lithium carbonate 300 mg capsule"}},
   {"resourceType":"Organization","id":"o","name":"Acme","address":[{"line":["1 Main St"]}]}],
 "medicationReference":{"reference":"#med1"},"reasonCode":[{"text":"Bipolar disorder"}]}`,
			[]string{"health_medication=Lithium carbonate 300 mg capsule", "health_condition=Bipolar disorder"}},
		// Hard negatives.
		{"other resource types and paths", `{"resourceType":"Basic","code":{"text":"Referral"}}
{"resourceType":"Patient","name":[{"prefix":["Ms"],"period":{"start":"2001-01-01"}}],"managingOrganization":{"display":"Good Health Clinic"},
 "identifier":[{"system":"urn:oid:1.2.36","value":"536228741"}],"telecom":[{"system":"url","value":"https://example.org"}]}
{"resourceType":"Condition","category":[{"coding":[{"display":"Problem List Item"}]}],"severity":{"text":"Moderate"}}`, nil},
		{"resource type not known", `{"resourceType":"Font","name":[{"family":"Roboto","given":["Sans"]}]}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := fhirFound(e, tc.text)
			if !slices.Equal(got, tc.want) {
				t.Errorf("found\n%q\nwant\n%q", got, tc.want)
			}
			// Cut between any two lines, as a reader cuts blocks, the
			// stream says the same.
			if cut := fhirCut(e, tc.text); !slices.Equal(cut, got) {
				t.Errorf("cut between lines, found\n%q\nwhole\n%q", cut, got)
			}
		})
	}
}

// fhirCut scans text block by block, one line a block, with the context
// a tracker fed the lines before gives each.
func fhirCut(e *Engine, text string) []string {
	tr := NewFHIRTracker()
	var out []string
	for _, line := range strings.SplitAfter(text, "\n") {
		out = append(out, found(e, line, tr.Columns())...)
		tr.Feed([]byte(line))
	}
	return out
}

// TestFHIRWithoutContext checks that values named like FHIR's are nothing
// outside a FHIR stream: a font list, a UI configuration.
func TestFHIRWithoutContext(t *testing.T) {
	e := allBuiltins(t)
	for _, text := range []string{
		`{"fonts":[{"family":"Roboto","given":["Regular"],"display":"swap"}]}`,
		`{"family": "Roboto", "name": [{"family": "Noto Serif"}]}`,
		"{\n  \"buttons\": [{\"code\": {\"text\": \"Save\", \"coding\": [{\"display\": \"Primary\"}]}}]\n}\n",
		`{"display": "Asthma inhaler settings", "birthDate": "n/a"}`,
	} {
		if FHIRStream([]byte(text)) {
			t.Errorf("FHIRStream(%q) = true", text)
		}
		if got := found(e, text, nil); len(got) > 0 {
			t.Errorf("found %q in %q", got, text)
		}
	}
	for _, text := range []string{fhirPatient, "\xef\xbb\xbf[{\"resourceType\" : \"Bundle\"}]", `{"id":"1","resourceType":"Patient"}`} {
		if !FHIRStream([]byte(text)) {
			t.Errorf("FHIRStream(%.30q) = false", text)
		}
	}
	if FHIRStream([]byte(`log line "resourceType": "Patient"`)) {
		t.Error("a log line that mentions resourceType is a FHIR stream")
	}
}

func TestFHIRConfidenceHigh(t *testing.T) {
	e := allBuiltins(t)
	ms := e.NewMatcher().Scan([]byte(fhirPatient), NewFHIRTracker().Columns())
	if len(ms) == 0 {
		t.Fatal("nothing found")
	}
	for _, m := range ms {
		if m.Confidence != finding.ConfidenceHigh {
			t.Errorf("%s %q: confidence %v", e.Rules()[m.Rule].ID, fhirPatient[m.Start:m.End], m.Confidence)
		}
	}
}

// TestFHIRTrackerBounded checks that deep nesting and long keys keep the
// tracker's state small, and that the walk comes back to the resource
// after them.
func TestFHIRTrackerBounded(t *testing.T) {
	e := allBuiltins(t)
	deep := strings.Repeat(`{"a":[`, 10000) + strings.Repeat(`]}`, 10000)
	text := `{"resourceType":"Patient","extension":` + deep + `,"` + strings.Repeat("k", 5000) + `":"x","birthDate":"1974-12-25"}`
	tr := NewFHIRTracker()
	tr.Feed([]byte(text[:len(text)/2]))
	if len(tr.st.stack) > fhirMaxDepth || cap(tr.st.str) > 4*fhirMaxKey {
		t.Errorf("tracker holds %d frames, %d bytes of string", len(tr.st.stack), cap(tr.st.str))
	}
	if got, want := fhirFound(e, text), []string{"date_of_birth_field=1974-12-25"}; !slices.Equal(got, want) {
		t.Errorf("found %q, want %q", got, want)
	}
}

// FuzzFHIR checks that any bytes, cut anywhere, walk without panic, that
// matches stay in bounds, and that the tracker stays bounded.
func FuzzFHIR(f *testing.F) {
	f.Add([]byte(fhirPatient), 100)
	f.Add([]byte(`{"resourceType":"Condition","code":{"text":"a\"b\\","coding":[{"display":"x"}]}}`), 30)
	f.Add([]byte(`]]]}}}"\`), 3)
	e := allBuiltins(f)
	s := e.NewMatcher()
	f.Fuzz(func(t *testing.T, data []byte, cut int) {
		if cut < 0 || cut > len(data) {
			cut = len(data) / 2
		}
		tr := NewFHIRTracker()
		for _, block := range [][]byte{data[:cut], data[cut:]} {
			for _, m := range s.Scan(block, tr.Columns()) {
				if m.Start < 0 || m.End > len(block) || m.Start > m.End {
					t.Fatalf("match out of bounds: %+v", m)
				}
			}
			tr.Feed(block)
			if len(tr.st.stack) > fhirMaxDepth || len(tr.st.str) > fhirMaxKey+2 {
				t.Fatalf("tracker state grew: %d frames, %d bytes", len(tr.st.stack), len(tr.st.str))
			}
		}
	})
}

// fhirSample builds about size bytes of a pretty-printed Bundle of
// patients (fhirPatient) and conditions.
func fhirSample(size int) []byte {
	var b strings.Builder
	b.WriteString("{\n  \"resourceType\": \"Bundle\",\n  \"entry\": [\n")
	for b.Len() < size {
		b.WriteString("    {\n      \"resource\": ")
		b.WriteString(strings.ReplaceAll(strings.TrimSpace(fhirPatient), "\n", "\n      "))
		b.WriteString("\n    },\n    {\n      \"resource\": {\n        \"resourceType\": \"Condition\",\n" +
			"        \"code\": { \"coding\": [ { \"system\": \"http://snomed.info/sct\", \"code\": \"15777000\", \"display\": \"Prediabetes\" } ], \"text\": \"Prediabetes\" },\n" +
			"        \"subject\": { \"reference\": \"Patient/example\" },\n        \"onsetDateTime\": \"2014-03-02T10:21:44-05:00\"\n      }\n    },\n")
	}
	b.WriteString("    {}\n  ]\n}\n")
	return []byte(b.String())
}

// BenchmarkFHIR measures a FHIR stream as the reader and a worker see it:
// the tracker follows every byte, the Matcher walks and scans the block.
func BenchmarkFHIR(b *testing.B) {
	e := allBuiltins(b)
	data := fhirSample(4 << 20)
	s := e.NewMatcher()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		tr := NewFHIRTracker()
		for p := 0; p < len(data); p += 512 << 10 {
			block := data[p:min(p+512<<10, len(data))]
			s.Scan(block, tr.Columns())
			tr.Feed(block)
		}
	}
}

// BenchmarkFHIRTracker measures the tracker alone: the part of a FHIR
// stream's cost the reader pays serially.
func BenchmarkFHIRTracker(b *testing.B) {
	data := fhirSample(4 << 20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		NewFHIRTracker().Feed(data)
	}
}

// TestFHIRDeepResource checks that a resource nested deeper than the walk
// keeps (a Bundle in Bundles, a contained resource many levels down) is
// still read, through the innermost containers the walk keeps, also when
// the stream is cut into blocks; and that the resource outside comes back
// after it.
func TestFHIRDeepResource(t *testing.T) {
	e := allBuiltins(t)
	for _, n := range []int{45, 50, 100, 1000, 20000} {
		text := `{"resourceType":"Bundle","entry":` + strings.Repeat(`{"resource":`, n) +
			`{"resourceType":"Condition","code":{"text":"HIV infection"}}` + strings.Repeat(`}`, n) + "}\n" +
			`{"resourceType":"Patient","extension":[` + strings.Repeat(`{"a":[`, n) + strings.Repeat(`]}`, n) +
			`],"birthDate":"1974-12-25"}` + "\n"
		want := []string{"health_condition=HIV infection", "date_of_birth_field=1974-12-25"}
		if got := fhirFound(e, text); !slices.Equal(got, want) {
			t.Errorf("depth %d: found %q, want %q", n, got, want)
		}
		// Cut in the deep nest: the block after it gets the walk's
		// state from a tracker.
		cut := strings.Index(text, `{"resourceType":"Condition"`) - 20
		tr := NewFHIRTracker()
		tr.Feed([]byte(text[:cut]))
		if len(tr.st.stack) > fhirMaxDepth {
			t.Fatalf("depth %d: tracker holds %d frames", n, len(tr.st.stack))
		}
		if got := found(e, text[cut:], tr.Columns()); !slices.Equal(got, want) {
			t.Errorf("depth %d, cut: found %q, want %q", n, got, want)
		}
	}
}
