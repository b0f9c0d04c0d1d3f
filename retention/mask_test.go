package retention

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	piiscan "github.com/piiscan/piiscan"
	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/detect"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
	"github.com/piiscan/piiscan/scansetup"
)

// defaultEngine compiles the rules piiscan ships with.
func defaultEngine(t testing.TB) *detect.Engine {
	t.Helper()
	c, err := config.Parse("rules.yaml", piiscan.DefaultRules)
	if err != nil {
		t.Fatal(err)
	}
	e, err := scansetup.Engine(c)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// maskAll returns a Masker that replaces every value by its redaction.
func maskAll(e *detect.Engine) *Masker {
	return &Masker{Engine: e, Select: func(class string, raw []byte, _ string) (string, bool) {
		return finding.Redaction(class, raw), true
	}}
}

func mask(t testing.TB, m *Masker, in, path string) (string, MaskStats) {
	t.Helper()
	var out bytes.Buffer
	st, err := m.Mask(strings.NewReader(in), &out, path)
	if err != nil {
		t.Fatalf("Mask: %v", err)
	}
	return out.String(), st
}

func TestMaskReplacesOverlappingValuesOfDifferentClasses(t *testing.T) {
	e := defaultEngine(t)
	tests := []struct {
		name, in, want string
		values         int64
	}{
		{"phone inside an address field", `{"address":"1 Main St, 10001 New York, tel +1 415 555 0100","id":7}` + "\n",
			`{"address":"[postal_address]","id":7}` + "\n", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, st := mask(t, maskAll(e), tt.in, "app.log")
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if st.Values != tt.values || st.Lines != 1 {
				t.Errorf("stats %+v, want %d values on 1 line", st, tt.values)
			}
		})
	}
}

func TestMaskReplacesURLEncodedValuesWhole(t *testing.T) {
	e := defaultEngine(t)
	const (
		pre  = `203.0.113.9 - - [01/Nov/2026:10:00:00 +0000] "GET /pay?`
		post = ` HTTP/1.1" 200 512 "-" "Mozilla/5.0"` + "\n"
	)
	tests := []struct{ name, query, want string }{
		{"plus-encoded card and %40 email", "card=4111+1111+1111+1111&email=alice%40example.com",
			"card=[credit_card:…1111]&email=[email:…@example.com]"},
		{"%20-encoded card", "cc=4111%201111%201111%201111&x=1", "cc=[credit_card:…1111]&x=1"},
		{"%20-encoded amex", "cc=3782%20822463%2010005", "cc=[credit_card:…0005]"},
	}
	m := &Masker{Engine: e, Select: func(class string, raw []byte, _ string) (string, bool) {
		return finding.Redaction(class, raw), class != finding.ClassIPAddress
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := mask(t, m, pre+tt.query+post, "access.log")
			if want := pre + tt.want + post; got != want {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
}

// maskCorpus holds lines of the kinds piiscan rewrites, with values the
// scan reports in every form it knows.
var maskCorpus = []struct{ name, path, text string }{
	{"access log", "access.log",
		`203.0.113.9 - - [01/Nov/2026:10:00:00 +0000] "GET /pay?card=4111+1111+1111+1111&email=alice%40example.com HTTP/1.1" 200 512 "-" "Mozilla/5.0"` + "\n" +
			`2001:db8::7 - - [01/Nov/2026:10:00:01 +0000] "GET /pay?cc=4111%201111%201111%201111&tel=%2B14155550100 HTTP/1.1" 200 512 "https://admin:s3cr3tPw@example.com/" "curl/8"` + "\n"},
	{"JSON log", "app.log",
		`{"ts":"2026-11-01T10:00:00Z","email":"bob@example.com","card":"5555-5555-5555-4444","cvv":"123","password":"hunter2!Secret"}` + "\n" +
			`{"address":"1 Main St, 10001 New York, tel +1 415 555 0100","diagnosis":"type 2 diabetes","name":"Alice Smith","dob":"1980-02-29"}` + "\n"},
	{"key=value", "app.log",
		"level=info user=alice@example.com ip=198.51.100.23 ssn=123-45-6789 token=ghp_abcdefghijklmnop1234 card=378282246310005\n" +
			"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc AKIAIOSFODNN7EXAMPLE\n"},
	{"CSV with header", "export.csv",
		"id,name,email,phone,diagnosis\n1,Alice Smith,alice@example.com,(415) 555-0100,asthma\n2,Bob Jones,bob@example.org,+44 20 7946 0958,\n"},
	{"plain text", "notes.txt",
		"patient diagnosed with diabetes, prescribed metformin 500 mg; call (415) 555-0100 or mail carol@example.com\n" +
			"card 4111 1111 1111 1111 exp 12/27, SSN 123-45-6789\n"},
}

// leftAfterMasking masks text with every value selected and returns what a
// scan of the result still reports, as "class=value".
func leftAfterMasking(t testing.TB, e *detect.Engine, path, text string) []string {
	t.Helper()
	out, _ := mask(t, maskAll(e), text, path)
	ob := []byte(out)
	var cols *detect.Columns
	if c := scanners.CSVColumns(path, ob); c != nil {
		cc := *c
		cc.SkipFirstLine = true
		cols = &cc
	}
	var left []string
	for _, m := range e.NewMatcher().Scan(ob, cols) {
		left = append(left, e.Rules()[m.Rule].Class+"="+string(ob[m.Start:m.End]))
	}
	return left
}

func TestMaskLeavesNothingTheScanReports(t *testing.T) {
	e := defaultEngine(t)
	for _, tt := range maskCorpus {
		t.Run(tt.name, func(t *testing.T) {
			sc := e.NewMatcher()
			if len(sc.Scan([]byte(tt.text), nil)) == 0 {
				t.Fatal("the corpus has nothing to mask")
			}
			if left := leftAfterMasking(t, e, tt.path, tt.text); len(left) > 0 {
				t.Errorf("after masking the scan still reports %d values: %q", len(left), left)
			}
		})
	}
}

func TestMaskIsIdempotent(t *testing.T) {
	e := defaultEngine(t)
	for _, tt := range maskCorpus {
		t.Run(tt.name, func(t *testing.T) {
			once, _ := mask(t, maskAll(e), tt.text, tt.path)
			twice, st := mask(t, maskAll(e), once, tt.path)
			if twice != once || st.Values != 0 {
				t.Errorf("masking the masked text replaced %d more values:\n%s", st.Values, twice)
			}
		})
	}
}

func TestMaskNamesTheLineTooLongToRewrite(t *testing.T) {
	e := defaultEngine(t)
	m := maskAll(e)
	m.MaxLine = 4 << 10
	in := "ok alice@example.com\nok\n" + strings.Repeat("x", 8<<20) + " bob@example.com\nafter\n"
	_, err := m.Mask(strings.NewReader(in), io.Discard, "app.log")
	if !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("err = %v, want ErrLineTooLong", err)
	}
	msg := err.Error()
	for _, want := range []string{"line 3", "left unchanged"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "example.com") {
		t.Errorf("error %q holds a value", msg)
	}
}

// testKeys returns private keys generated for the test, PEM-encoded with
// a trailing newline, by kind.
func testKeys(t testing.TB) map[string]string {
	t.Helper()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(b *pem.Block) string { return string(pem.EncodeToMemory(b)) }
	return map[string]string{
		"RSA PKCS#1": enc(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}),
		"EC SEC1":    enc(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER}),
		"PKCS#8 RSA": enc(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
		"RSA with RFC 1421 headers": enc(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey),
			Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,8A7B6C5D4E3F2A1B8A7B6C5D4E3F2A1B"}}),
		"OpenSSH ed25519": openSSHKey(pub, priv),
	}
}

// openSSHKey encodes an ed25519 key in OpenSSH's own format
// ("openssh-key-v1", unencrypted), as ssh-keygen writes it.
func openSSHKey(pub ed25519.PublicKey, priv ed25519.PrivateKey) string {
	str := func(b *bytes.Buffer, s []byte) {
		b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(s))))
		b.Write(s)
	}
	var pubBlob, private, key bytes.Buffer
	str(&pubBlob, []byte("ssh-ed25519"))
	str(&pubBlob, pub)
	check := binary.BigEndian.AppendUint32(nil, 0x5eed5eed)
	private.Write(check)
	private.Write(check)
	str(&private, []byte("ssh-ed25519"))
	str(&private, pub)
	str(&private, priv)
	str(&private, []byte("alice@example.com"))
	for i := byte(1); private.Len()%8 != 0; i++ {
		private.WriteByte(i)
	}
	key.WriteString("openssh-key-v1\x00")
	str(&key, []byte("none"))
	str(&key, []byte("none"))
	str(&key, nil)
	key.Write(binary.BigEndian.AppendUint32(nil, 1))
	str(&key, pubBlob.Bytes())
	str(&key, private.Bytes())
	b64 := base64.StdEncoding.EncodeToString(key.Bytes())
	var s strings.Builder
	s.WriteString("-----BEGIN OPENSSH PRIVATE KEY-----\n")
	for len(b64) > 70 {
		s.WriteString(b64[:70] + "\n")
		b64 = b64[70:]
	}
	s.WriteString(b64 + "\n-----END OPENSSH PRIVATE KEY-----\n")
	return s.String()
}

// keyFile is a file holding a private key: before + the key's block
// (BEGIN through END marker, encoded as the file writes it) + after.
type keyFile struct{ name, path, before, block, after string }

// keyFiles writes key (PEM, with its trailing newline) into the kinds of
// files keys leak into.
func keyFiles(key string) []keyFile {
	block := strings.TrimSuffix(key, "\n")
	escaped := strings.ReplaceAll(block, "\n", `\n`)
	jsonBlock, _ := json.Marshal(block)
	return []keyFile{
		{"PEM file", "server.key", "", block, "\n"},
		{"multi-line log message", "app.log",
			"2026-11-01T10:00:00Z INFO starting\n2026-11-01T10:00:01Z ERROR cannot parse ", block,
			"\n2026-11-01T10:00:02Z INFO user=alice@example.com retried\n"},
		// The private_key field's value is a credential too: the block
		// replaced is the whole value.
		{"JSON secret dump", "secrets.json",
			`{"type":"service_account","project_id":"demo","private_key_id":"1a2b3c","private_key":"`, escaped + `\n`,
			`","client_email":"svc@demo.iam.example.com"}` + "\n"},
		{"JSON log with json.Marshal", "app.log",
			`{"ts":"2026-11-01T10:00:00Z","msg":"loaded","key":"`, string(jsonBlock[1 : len(jsonBlock)-1]), `","n":1}` + "\n"},
		{"JSON with escaped slashes and CRLF", "dump.json",
			`{"cert":"none","pem":"`, strings.ReplaceAll(strings.ReplaceAll(block, "/", `\/`), "\n", `\r\n`), `\r\n"}` + "\n"},
		{"YAML block scalar", "values.yaml",
			"tls:\n  enabled: true\n  key: |\n    ", strings.ReplaceAll(block, "\n", "\n    "), "\n  port: 8443\n"},
		{".env escaped", ".env", "APP_ENV=prod\nTLS_KEY=\"", escaped, "\\n\"\nPORT=8443\n"},
		{".env multi-line", ".env", "APP_ENV=prod\nTLS_KEY=\"", block, "\n\"\nPORT=8443\n"},
		{"one line with spaces", "deploy.log", "2026-11-01 env TLS_KEY=", strings.ReplaceAll(block, "\n", " "), " set\n"},
		{"CRLF file", "key.txt", "note\r\n", strings.ReplaceAll(block, "\n", "\r\n"), "\r\nend\r\n"},
	}
}

// keyBodyLeft returns a 16-byte run of key's base64 body that text still
// holds, or "".
func keyBodyLeft(key, text string) string {
	text = strings.ReplaceAll(text, `\/`, "/")
	var body strings.Builder
	for _, l := range strings.Split(key, "\n") {
		if !strings.HasPrefix(l, "-----") && !strings.Contains(l, ": ") {
			body.WriteString(l)
		}
	}
	b := body.String()
	for i := 0; i+16 <= len(b); i++ {
		if strings.Contains(text, b[i:i+16]) {
			return b[i : i+16]
		}
	}
	return ""
}

func TestMaskReplacesWholePrivateKeyBlocks(t *testing.T) {
	e := defaultEngine(t)
	for kind, key := range testKeys(t) {
		for _, f := range keyFiles(key) {
			if f.name == "one line with spaces" && strings.Contains(key, "Proc-Type") {
				continue // headers are only read on lines of their own
			}
			t.Run(kind+"/"+f.name, func(t *testing.T) {
				in := f.before + f.block + f.after
				out, st := mask(t, maskAll(e), in, f.path)
				if run := keyBodyLeft(key, out); run != "" {
					t.Fatalf("a run of the key's body survives masking (%d values masked)", st.Values)
				}
				// The rest of the file stays: what replaced the block is
				// between the text before it and the text after it,
				// each masked alone.
				before, _ := mask(t, maskAll(e), f.before, f.path)
				after, _ := mask(t, maskAll(e), f.after, f.path)
				if !strings.HasPrefix(out, before+"[credential]") || !strings.HasSuffix(out, after) ||
					len(out) > len(before)+len(after)+len("[credential]")*2 {
					t.Errorf("masked %d values; the text around the key changed: %q", st.Values,
						strings.Replace(out, f.block, "<KEY>", 1))
				}
				if want := int64(strings.Count(f.block, "\n")) + 1; st.Lines < want {
					t.Errorf("%d lines changed, want at least the key's %d", st.Lines, want)
				}
				twice, st2 := mask(t, maskAll(e), out, f.path)
				if twice != out || st2.Values != 0 {
					t.Errorf("masking the masked text replaced %d more values", st2.Values)
				}
			})
		}
	}
}

func TestMaskDropsEveryLineOfAPrivateKeyBlock(t *testing.T) {
	e := defaultEngine(t)
	for kind, key := range testKeys(t) {
		for _, f := range keyFiles(key) {
			if f.name == "one line with spaces" && strings.Contains(key, "Proc-Type") {
				continue // headers are only read on lines of their own
			}
			t.Run(kind+"/"+f.name, func(t *testing.T) {
				m := maskAll(e)
				m.DropLines = true
				out, st := mask(t, m, f.before+f.block+f.after, f.path)
				if run := keyBodyLeft(key, out); run != "" {
					t.Fatalf("a run of the key's body survives (%d lines dropped)", st.Lines)
				}
				if layoutOf(f.path, nil).structured {
					// A config file keeps its lines: the key is
					// masked, as without DropLines.
					if want, _ := mask(t, maskAll(e), f.before+f.block+f.after, f.path); out != want {
						t.Errorf("kept %q\nwant %q", out, want)
					}
					return
				}
				// Kept: the whole lines before the block's first line and
				// after its last, less the lines that hold other values.
				first := strings.LastIndexByte(f.before, '\n') + 1
				last := len(f.after)
				if nl := strings.IndexByte(f.after, '\n'); nl >= 0 {
					last = nl + 1
				}
				wantBefore, _ := mask(t, m, f.before[:first], f.path)
				wantAfter, _ := mask(t, m, f.after[last:], f.path)
				if want := wantBefore + wantAfter; out != want {
					t.Errorf("kept %q\nwant %q", out, want)
				}
			})
		}
	}
}

func TestMaskReplacesAPrivateKeyAcrossBatches(t *testing.T) {
	e := defaultEngine(t)
	keys := testKeys(t)
	for _, kind := range []string{"RSA PKCS#1", "OpenSSH ed25519"} {
		key := keys[kind]
		lines := strings.SplitAfter(key, "\n")
		// The batch is cut at the first line that reaches 512 KiB: cut
		// after the BEGIN line, inside the body, and before the END line.
		for _, cut := range []int{1, 2, len(lines) / 2, len(lines) - 2} {
			t.Run(fmt.Sprintf("%s/after line %d", kind, cut), func(t *testing.T) {
				head := len(strings.Join(lines[:cut], ""))
				filler := strings.Repeat(strings.Repeat("f", 99)+"\n", (512<<10-head)/100)
				filler += strings.Repeat("g", 512<<10-head-len(filler)-1) + "\n"
				in := filler + key + "tail\n"
				out, st := mask(t, maskAll(e), in, "app.log")
				if want := filler + "[credential]\ntail\n"; out != want {
					t.Errorf("masked %d values; %d bytes out, want %d; a run of the body left: %v",
						st.Values, len(out), len(want), keyBodyLeft(key, out) != "")
				}
				m := maskAll(e)
				m.DropLines = true
				if out, _ := mask(t, m, in, "app.log"); out != filler+"tail\n" {
					t.Errorf("dropping lines kept %d bytes, want %d", len(out), len(filler)+5)
				}
			})
		}
	}
}

// FuzzMaskLeavesNothing checks, on variants of the corpus, that no byte of
// a value the scan reports, or of the block of a private key it reports,
// survives masking, and that no other byte changes. Values are replaced by
// NUL bytes (the input holds none): the output with each run of NULs made
// one NUL is the input with each run of reported bytes made one NUL.
func FuzzMaskLeavesNothing(f *testing.F) {
	for _, c := range maskCorpus {
		f.Add(c.path, c.text)
	}
	f.Add("values.yaml", "tls:\n  key: |\n    -----BEGIN EC PRIVATE KEY-----\n    MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oGqmb0JbDK1R\n"+
		"    oAoGCCqGSM49AwEHoUQDQgAE9ZzVFXr4sRzVwFp+bOXC\n    -----END EC PRIVATE KEY-----\n  port: 8443\n")
	f.Add("secrets.json", `{"ts":"2026-11-01","pem":"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n`+
		`AAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n","user":"bob@example.com"}`+"\n")
	e := defaultEngine(f)
	m := &Masker{Engine: e, Select: func(_ string, raw []byte, _ string) (string, bool) {
		return strings.Repeat("\x00", len(raw)), true
	}}
	f.Fuzz(func(t *testing.T, path, text string) {
		if strings.IndexByte(text, 0) >= 0 || len(text) > 1<<16 {
			t.Skip()
		}
		in := []byte(text)
		var cols *detect.Columns
		if c := scanners.CSVColumns(path, in); c != nil {
			cc := *c
			cc.SkipFirstLine = true
			cols = &cc
		}
		want := bytes.Clone(in)
		for _, mt := range e.NewMatcher().Scan(in, cols) {
			end := mt.End
			if e.Rules()[mt.Rule].Detector == catalog.PrivateKey {
				end, _ = detect.PrivateKeyBlockEnd(in, mt.Start, mt.End)
			}
			for k := mt.Start; k < end; k++ {
				want[k] = 0
			}
		}
		out, _ := mask(t, m, text, path)
		if got, want := oneNUL(out), oneNUL(string(want)); got != want {
			t.Fatalf("masked %q\nwant   %q", got, want)
		}
	})
}

// oneNUL returns s with each run of NUL bytes made one.
func oneNUL(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != 0 || i == 0 || s[i-1] != 0 {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// Dropping a CSV record drops all of it, also the lines of a quoted field
// that goes on past the line the subject's value is on.
func TestMaskDropsWholeMultiLineCSVRecords(t *testing.T) {
	e := defaultEngine(t)
	m := &Masker{Engine: e, DropLines: true, Select: func(class string, raw []byte, _ string) (string, bool) {
		return "", class == "email" && strings.EqualFold(string(raw), "alice@example.com")
	}}
	in := "email,address,note\n" +
		"alice@example.com,\"1 Main St\nSpringfield\",\"said \"\"hi\"\"\nthen left\"\n" +
		"bob@example.com,\"2 Side St\nShelbyville\",vip\n"
	var out bytes.Buffer
	if _, err := m.Mask(strings.NewReader(in), &out, "customers.csv"); err != nil {
		t.Fatal(err)
	}
	want := "email,address,note\nbob@example.com,\"2 Side St\nShelbyville\",vip\n"
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

// --drop-records drops the subject's records and nothing else: a stray
// quote in an unquoted CSV field opens no multi-line field, a line that
// holds other people's values (a mysqldump INSERT of many rows) keeps
// them and loses only the subject's values, and a log record goes with
// the lines that continue it.
func TestDropRecordsTakesTheSubjectsRecordsOnly(t *testing.T) {
	e := defaultEngine(t)
	m := &Masker{Engine: e, DropLines: true, Select: func(class string, raw []byte, _ string) (string, bool) {
		return "[" + class + ":erased]", class == "email" && strings.EqualFold(string(raw), "bob@example.com")
	}}
	tests := []struct {
		name, path, in, want string
	}{
		{"inch marks in a CSV", "customers.csv",
			"id,name,email,height,note\n1,Bob Tables,bob@example.com,5'11\",vip\n2,Carol Smith,carol@example.com,5'4,regular\n3,Dave Jones,dave@example.com,6'0\",regular\n",
			"id,name,email,height,note\n2,Carol Smith,carol@example.com,5'4,regular\n3,Dave Jones,dave@example.com,6'0\",regular\n"},
		{"an unclosed quoted field", "customers.csv",
			// The field never closes: the rest of the file is one
			// record, and it holds Carol's email, so Bob's is masked.
			"email,note\nbob@example.com,\"never closed\ncarol@example.com,ok\n",
			"email,note\n[email:erased],\"never closed\ncarol@example.com,ok\n"},
		{"a mysqldump INSERT of several rows", "db.sql",
			"CREATE TABLE `users` (`id` int NOT NULL, `email` varchar(255), `name` varchar(255));\n" +
				"LOCK TABLES `users` WRITE;\nINSERT INTO `users` VALUES (1,'bob@example.com','Bob Tables'),(2,'carol@example.com','Carol Smith');\nUNLOCK TABLES;\n",
			"CREATE TABLE `users` (`id` int NOT NULL, `email` varchar(255), `name` varchar(255));\n" +
				"LOCK TABLES `users` WRITE;\nINSERT INTO `users` VALUES (1,'[email:erased]','Bob Tables'),(2,'carol@example.com','Carol Smith');\nUNLOCK TABLES;\n"},
		{"a log4j record and its trace", "app.log",
			"2026-11-10 10:00:00,000 ERROR [main] duplicate account bob@example.com\njava.lang.IllegalStateException: duplicate account: name=Robert Tables\n\tat com.example.Accounts.add(Accounts.java:42)\n2026-11-10 10:00:01,000 INFO [main] next\n",
			"2026-11-10 10:00:01,000 INFO [main] next\n"},
		{"another person on a continuation line", "app.log",
			"2026-11-10 10:00:01,002 ERROR mail bounce for bob@example.com\n  cc: alice@example.org\n2026-11-10 10:00:02,000 INFO next\n",
			"2026-11-10 10:00:01,002 ERROR mail bounce for [email:erased]\n  cc: alice@example.org\n2026-11-10 10:00:02,000 INFO next\n"},
		{"the subject on the second line of a quoted CSV record", "notes.csv",
			"id,name,notes,email\n1,Bob Smith,\"Please call me\n\",bob@example.com\n2,Carol Jones,\"VIP\",carol@example.net\n",
			"id,name,notes,email\n2,Carol Jones,\"VIP\",carol@example.net\n"},
		{"a semicolon CSV with CRLF and no personal-data header", "export.csv",
			"id;email;comment\r\n1;bob@example.com;\"first; line\r\nsecond; line\"\r\n2;x;y\r\n",
			"id;email;comment\r\n2;x;y\r\n"},
		{"a Python traceback with a blank line between chained exceptions", "worker.log",
			"2026-11-10 10:00:00,001 ERROR app: lookup failed for user 4411 (Bob Smith)\nTraceback (most recent call last):\n  File \"app.py\", line 3, in <module>\n    lookup(\"bob@example.com\")\nKeyError: 'bob@example.com'\n\nDuring handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\n  File \"app.py\", line 5, in <module>\n    raise LookupError(\"Bob Smith\")\nLookupError: Bob Smith\n2026-11-10 10:00:01,000 INFO next\n",
			"2026-11-10 10:00:01,000 INFO next\n"},
		{"a JSON config keeps its lines", "users.json",
			"{\n  \"users\": [\n    \"bob@example.com\",\n    \"carol@example.net\"\n  ]\n}\n",
			"{\n  \"users\": [\n    \"[email:erased]\",\n    \"carol@example.net\"\n  ]\n}\n"},
		{"a TSV without quoting, as mysql --batch writes it", "users.tsv",
			"4\tDan \"Quote\t\t\t\"unbalanced\n1\tAlice\tbob@example.com\t\tx\n2\tBob Jones\t\t\tNebenweg 2\n",
			"4\tDan \"Quote\t\t\t\"unbalanced\n2\tBob Jones\t\t\tNebenweg 2\n"},
		{"a right-aligned level (%5p)", "app.log",
			"DEBUG [main] - request from bob@example.com\n INFO [main] - user Carol Smith (id 17) logged in\n",
			" INFO [main] - user Carol Smith (id 17) logged in\n"},
		{"a pretty-printed document under a log's name", "config.json.bak",
			"{\n  \"owner\": \"bob@example.com\",\n  \"name\": \"Carol Smith\"\n}\n",
			"{\n  \"owner\": \"[email:erased]\",\n  \"name\": \"Carol Smith\"\n}\n"},
		{"a Rails record and its indented lines", "production.log",
			"I, [2026-11-10T10:00:00.000000 #1]  INFO -- : Parameters: {\"user\"=>{\"email\"=>\"bob@example.com\",\n    \"name\"=>\"Bob Tables\",\n    \"ssn\"=>\"[FILTERED]\"}}\nI, [2026-11-10T10:00:01.000000 #1]  INFO -- : Completed 200 OK\n",
			"I, [2026-11-10T10:00:01.000000 #1]  INFO -- : Completed 200 OK\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if _, err := m.Mask(strings.NewReader(tt.in), &out, tt.path); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", out.String(), tt.want)
			}
		})
	}
}

// A value that ends where a JSON string has an escaped quote is replaced
// without the backslash: the line stays valid JSON.
func TestMaskKeepsJSONEscapes(t *testing.T) {
	e := defaultEngine(t)
	for _, in := range []string{
		`{"ts":"2026-11-10T10:00:00Z","dsn":"password=abc\" host=db"}`,
		`{"ts":"2026-11-10T10:00:00Z","pw":"password=hunter2\"x"}`,
	} {
		var out bytes.Buffer
		if _, err := maskAll(e).Mask(strings.NewReader(in+"\n"), &out, "app.log"); err != nil {
			t.Fatal(err)
		}
		if !json.Valid(bytes.TrimSpace(out.Bytes())) || out.String() == in+"\n" {
			t.Errorf("%s\nbecame %s", in, out.String())
		}
	}
}

// A record dropped whole is not cut at the edge of the masker's batch: its
// continuation lines in the next 512 KiB go with it.
func TestDropRecordsAcrossBatches(t *testing.T) {
	e := defaultEngine(t)
	m := &Masker{Engine: e, DropLines: true, Select: func(class string, raw []byte, _ string) (string, bool) {
		return "[" + class + ":erased]", class == "email" && strings.EqualFold(string(raw), "bob@example.com")
	}}
	for _, tt := range []struct{ path, filler, record, after string }{
		{"app.log", "2026-11-10 09:00:00,000 INFO filler line %06d\n",
			"2026-11-10 10:00:00,000 ERROR duplicate account bob@example.com\n" + strings.Repeat("\tat com.example.Accounts.add(Accounts.java:42)\n", 40) +
				"java.lang.IllegalStateException: name=Robert Tables, 12 Elm St\n",
			"2026-11-10 10:00:01,000 INFO next\n"},
		{"people.csv", "%06d,someone,x\n",
			"1,Bob Smith,bob@example.com,\"lives at 12 Main St\n" + strings.Repeat("more about Bob\n", 40) + "Springfield IL\"\n",
			"2,z,y\n"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			var in strings.Builder
			in.WriteString("id,name,email,note\n")
			for i := 0; in.Len() < 512<<10-200; i++ {
				fmt.Fprintf(&in, tt.filler, i)
			}
			head := in.String()
			in.WriteString(tt.record + tt.after)
			var out bytes.Buffer
			if _, err := m.Mask(strings.NewReader(in.String()), &out, tt.path); err != nil {
				t.Fatal(err)
			}
			if out.String() != head+tt.after {
				i := len(head)
				t.Errorf("after the filler, kept %q", out.String()[min(i, out.Len()):])
			}
		})
	}
}

// A pattern rule that times out cannot say what a line holds: the file is
// not rewritten as if it had been cleaned, and the error names the line.
func TestMaskRefusesWhenAPatternDidNotFinish(t *testing.T) {
	e, err := detect.New([]detect.Rule{
		{ID: "mail", Detector: catalog.Email, Class: "email", Severity: finding.SeverityLow},
		{ID: "evil", Class: "secret", Pattern: `(a+)+evil`, Severity: finding.SeverityHigh},
	}, detect.Options{Patterns: detect.PatternLimits{Timeout: 20 * time.Millisecond, MaxTimeouts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	in := "bob@example.com\nok\n" + strings.Repeat("a", 40) + "\ncarol@example.com\n"
	var out bytes.Buffer
	_, err = maskAll(e).Mask(strings.NewReader(in), &out, "app.log")
	if !errors.Is(err, ErrPatternUnfinished) {
		t.Fatalf("err = %v, want ErrPatternUnfinished", err)
	}
	for _, want := range []string{"line 3", `rule "evil"`, "left unchanged"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "aaaa") || strings.Contains(err.Error(), "example.com") {
		t.Errorf("error %q quotes the input", err)
	}
}
