package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/piiscan/piiscan/retention"
)

func TestEraseCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(rel string, data []byte) string {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, data, 0o644)
		// An hour old: files modified within live_within are still
		// being written, and erase leaves them alone.
		old := time.Now().Add(-time.Hour)
		os.Chtimes(p, old, old)
		return p
	}
	plain := write("logs/app.log", []byte("login alice@example.com ok\nlogin bob@example.com ok\nsms to (415) 555-2671\n"))
	gz := write("logs/app.log.1.gz", gzipBytes([]byte("reset for ALICE@EXAMPLE.COM\nreset for bob@example.com\n")))
	jsonl := write("logs/api.jsonl", []byte(`{"user":"Alice@Example.com","phone":"+1 415-555-2671"}`+"\n"+`{"user":"carol@example.org"}`+"\n"))
	csv := write("exports/customers.csv", []byte("id,email,phone\n1,alice@example.com,415.555.2671\n2,bob@example.com,(212) 555-0147\n"))
	held := write("exports/held/old.csv", []byte("id,email\n1,alice@example.com\n"))
	policy := filepath.Join(dir, "rules.yaml")
	os.WriteFile(policy, []byte(fmt.Sprintf(`version: 1
rules:
  - {id: email, detector: email, severity: medium}
  - {id: phone, detector: phone_number, severity: medium}
locations:
  - {name: logs, kind: log, paths: [%[1]s/logs]}
  - {name: exports, kind: export, paths: [%[1]s/exports]}
holds:
  - {paths: ["%[1]s/exports/held/**"], reason: tax records kept 7 years}
enforcement:
  audit_log: %[1]s/audit.jsonl
`, dir)), 0o644)
	report := filepath.Join(dir, "erasure.json")
	code, out, errs := runCLI(t, "", "--config", policy, "erase",
		"--subject", "email=Alice@example.com", "--subject", "phone=+1 (415) 555-2671", "--enforce", "--report", report)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	checks := map[string]string{
		plain: "login [email:erased] ok\nlogin bob@example.com ok\nsms to [phone_number:erased]\n",
		jsonl: `{"user":"[email:erased]","phone":"[phone_number:erased]"}` + "\n" + `{"user":"carol@example.org"}` + "\n",
		csv:   "id,email,phone\n1,[email:erased],[phone_number:erased]\n2,bob@example.com,(212) 555-0147\n",
		held:  "id,email\n1,alice@example.com\n",
	}
	for p, want := range checks {
		if got, _ := os.ReadFile(p); string(got) != want {
			t.Errorf("%s:\n%s\nwant:\n%s", filepath.Base(p), got, want)
		}
	}
	data, _ := os.ReadFile(gz)
	if got := gunzipString(t, data); got != "reset for [email:erased]\nreset for bob@example.com\n" {
		t.Errorf("gzip log: %q", got)
	}
	var rep retention.ErasureReport
	raw, _ := os.ReadFile(report)
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Totals.Found != 6 || rep.Totals.Erased != 5 || rep.Totals.Kept != 1 || len(rep.Locations) != 2 {
		t.Errorf("report totals %+v\n%s", rep.Totals, raw)
	}
	for _, l := range rep.Locations {
		if l.Location == "exports" && (len(l.Kept) != 1 || !strings.Contains(l.Kept[0], "tax records kept 7 years")) {
			t.Errorf("exports kept because %q", l.Kept)
		}
	}
	for _, leak := range []string{"bob", "carol", "0147", "alice@", dir} {
		if strings.Contains(string(raw), leak) {
			t.Errorf("the requester's report holds %q:\n%s", leak, raw)
		}
	}
	if code, out, _ := runCLI(t, "", "--config", policy, "audit", "verify"); code != exitOK || !strings.Contains(out, "8 entries") {
		t.Errorf("audit: %s", out)
	}

	// Dropping records.
	write("logs/drop.log", []byte("a alice@example.com\nb bob@example.com\n"))
	runCLI(t, "", "--config", policy, "erase", "--subject", "email=alice@example.com", "--drop-records", "--enforce")
	if got, _ := os.ReadFile(filepath.Join(dir, "logs", "drop.log")); string(got) != "b bob@example.com\n" {
		t.Errorf("drop-records: %q", got)
	}
	if code, _, errs := runCLI(t, "", "--config", policy, "erase", "--subject", "phone=12"); code != exitUsage || !strings.Contains(errs, "not a valid phone number") {
		t.Errorf("bad subject: %d %s", code, errs)
	}
}

// erasePolicy writes a policy with one log location holding app.log (an
// hour old, so erase takes it) and returns the policy and the log.
func erasePolicy(t *testing.T) (policy, log string) {
	t.Helper()
	dir := t.TempDir()
	log = filepath.Join(dir, "logs", "app.log")
	os.MkdirAll(filepath.Dir(log), 0o755)
	os.WriteFile(log, []byte("login alice@example.com ok\nlogin bob@example.com ok\nsms to (415) 555-2671\n"), 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(log, old, old)
	policy = filepath.Join(dir, "rules.yaml")
	os.WriteFile(policy, []byte(fmt.Sprintf(`version: 1
rules:
  - {id: email, detector: email, severity: medium}
  - {id: phone, detector: phone_number, severity: medium}
locations:
  - {name: logs, kind: log, paths: [%[1]s/logs]}
enforcement:
  audit_log: %[1]s/audit.jsonl
`, dir)), 0o644)
	return policy, log
}

// An invalid subject is named by where it was given, never by its value:
// errors end up in terminals, CI logs and tickets.
func TestEraseSubjectErrorsDoNotRepeatTheValue(t *testing.T) {
	policy, _ := erasePolicy(t)
	subjects := filepath.Join(t.TempDir(), "subjects.txt")
	os.WriteFile(subjects, []byte("email=alice@example.com\n\nphone=99999\n"), 0o600)
	tests := []struct {
		name  string
		args  []string
		value string // must not be in the output
		want  string
	}{
		{"no kind", []string{"--subject", "alice@example.com"}, "alice", "--subject #1: want KIND=VALUE"},
		{"unknown kind", []string{"--subject", "email=bob@example.com", "--subject", "mail=alice@example.com"}, "alice", "--subject #2: want KIND=VALUE"},
		{"empty value", []string{"--subject", "ssn= "}, "ssn= ", "--subject #1: want KIND=VALUE"},
		{"not a phone number", []string{"--subject", "phone=99999"}, "99999", "--subject #1: not a valid phone number"},
		{"in a file", []string{"--subject-file", subjects}, "99999", subjects + ":3: not a valid phone number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, "", append([]string{"--config", policy, "erase"}, tt.args...)...)
			if code != exitUsage || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errs, exitUsage, tt.want)
			}
			if strings.Contains(out+errs, tt.value) {
				t.Errorf("the output repeats the subject's value %q:\n%s%s", tt.value, out, errs)
			}
		})
	}
}

// --subject-file reads subjects from a file or standard input, so that
// they stay out of the shell history and the process list; with
// --subject, both count.
func TestEraseSubjectFile(t *testing.T) {
	const want = "login [email:erased] ok\nlogin bob@example.com ok\nsms to [phone_number:erased]\n"
	subjects := "# request 1234\r\nemail=Alice@example.com\r\n\r\n  phone=+1 (415) 555-2671  \n"
	check := func(name string, log string) {
		t.Helper()
		if got, _ := os.ReadFile(log); string(got) != want {
			t.Errorf("%s: the log is now\n%s\nwant\n%s", name, got, want)
		}
	}

	policy, log := erasePolicy(t)
	file := filepath.Join(t.TempDir(), "subjects.txt")
	os.WriteFile(file, []byte(subjects), 0o600)
	if code, out, errs := runCLI(t, "", "--config", policy, "erase", "--subject-file", file, "--enforce"); code != exitOK {
		t.Fatalf("file: exit %d\n%s\n%s", code, out, errs)
	}
	check("file", log)

	policy, log = erasePolicy(t)
	if code, out, errs := runCLI(t, subjects, "--config", policy, "erase", "--subject-file", "-", "--enforce"); code != exitOK {
		t.Fatalf("stdin: exit %d\n%s\n%s", code, out, errs)
	}
	check("stdin", log)

	policy, log = erasePolicy(t)
	os.WriteFile(file, []byte("phone=+14155552671\n"), 0o600)
	if code, out, errs := runCLI(t, "", "--config", policy, "erase", "--subject", "email=alice@example.com", "--subject-file", file, "--enforce"); code != exitOK {
		t.Fatalf("both: exit %d\n%s\n%s", code, out, errs)
	}
	check("--subject and --subject-file", log)

	for name, args := range map[string][]string{
		"empty file":   {"--subject-file", filepath.Join(t.TempDir(), "none.txt")},
		"only comment": {"--subject-file", "-"},
		"no subject":   {},
	} {
		if name == "empty file" {
			os.WriteFile(args[1], nil, 0o600)
		}
		code, _, errs := runCLI(t, "# nothing\n", append([]string{"--config", policy, "erase"}, args...)...)
		if code != exitUsage || !strings.Contains(errs, "subject") {
			t.Errorf("%s: exit %d, %q", name, code, errs)
		}
	}
}

// A subject detection could never report (a mistyped SSN, a card number
// that fails the Luhn check, an address that does not parse) is a usage
// error named by its place: searching for it would find nothing and report
// the erasure complete while the person's data stays.
func TestEraseRefusesInvalidSubjects(t *testing.T) {
	policy, log := erasePolicy(t)
	before, _ := os.ReadFile(log)
	dir := t.TempDir()
	for _, tt := range []struct{ subject, want string }{
		{"ssn=123-45-845", "not an SSN"},
		{"SSN=123-45-8451x", "not an SSN"},
		{"card=4111111111111112", "not a valid card number: it fails the Luhn check"},
		{"ip=10.0.0.999", "not a valid IP address"},
		{"email=alice@", "not a valid email address"},
	} {
		t.Run(tt.subject, func(t *testing.T) {
			_, value, _ := strings.Cut(tt.subject, "=")
			report := filepath.Join(dir, "erasure.json")
			os.Remove(report)
			code, out, errs := runCLI(t, "", "--config", policy, "erase", "--subject", "email=bob@example.com",
				"--subject", tt.subject, "--enforce", "--report", report)
			if code != exitUsage || !strings.Contains(errs, "--subject #2: "+tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errs, exitUsage, "--subject #2: "+tt.want)
			}
			if strings.Contains(out+errs, value) {
				t.Errorf("the output repeats the value:\n%s%s", out, errs)
			}
			if _, err := os.Stat(report); err == nil {
				t.Error("an erasure report was written")
			}
			file := filepath.Join(dir, "subjects.txt")
			os.WriteFile(file, []byte("# request 1\nemail=bob@example.com\n"+tt.subject+"\n"), 0o600)
			code, out, errs = runCLI(t, "", "--config", policy, "erase", "--subject-file", file)
			if code != exitUsage || !strings.Contains(errs, file+":3: "+tt.want) {
				t.Errorf("--subject-file: exit %d, stderr %q; want exit %d and %q", code, errs, exitUsage, file+":3: "+tt.want)
			}
			if strings.Contains(out+errs, value) {
				t.Errorf("--subject-file: the output repeats the value:\n%s%s", out, errs)
			}
		})
	}
	if after, _ := os.ReadFile(log); string(after) != string(before) {
		t.Errorf("the log was changed:\n%s", after)
	}
}

// A --subject-file saved by an editor that starts UTF-8 files with a byte
// order mark is read as any other.
func TestEraseSubjectFileWithByteOrderMark(t *testing.T) {
	for name, text := range map[string]string{
		"subject first": "\ufeffemail=alice@example.com\r\n",
		"comment first": "\ufeff# request 1234\r\nemail=alice@example.com\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			policy, log := erasePolicy(t)
			file := filepath.Join(t.TempDir(), "subjects.txt")
			os.WriteFile(file, []byte(text), 0o600)
			code, out, errs := runCLI(t, "", "--config", policy, "erase", "--subject-file", file, "--enforce")
			if code != exitOK {
				t.Fatalf("exit %d\n%s\n%s", code, out, errs)
			}
			if got, _ := os.ReadFile(log); !strings.HasPrefix(string(got), "login [email:erased] ok\n") {
				t.Errorf("the log is now\n%s", got)
			}
		})
	}
}

// A subject no rule of the policy finds is refused: the erasure would
// search for it, find nothing and look complete.
func TestEraseRefusesSubjectsNoRuleFinds(t *testing.T) {
	policy, _ := erasePolicy(t) // email and phone_number rules only
	for _, tt := range []struct{ subject, want string }{
		{"ssn=123-45-8451", "--subject #2: the policy has no rule that finds us_ssn values (detector: us_ssn)"},
		{"ip=192.0.2.1", "--subject #2: the policy has no rule that finds ip_address values (detector: ipv4)"},
	} {
		code, out, errs := runCLI(t, "", "--config", policy, "erase", "--subject", "email=bob@example.com", "--subject", tt.subject)
		if code != exitUsage || !strings.Contains(errs, tt.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and %q", tt.subject, code, errs, exitUsage, tt.want)
		}
		_, value, _ := strings.Cut(tt.subject, "=")
		if strings.Contains(out+errs, value) {
			t.Errorf("%s: the output repeats the value:\n%s%s", tt.subject, out, errs)
		}
	}
}
