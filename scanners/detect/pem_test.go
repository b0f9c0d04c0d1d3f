package detect

import (
	"bytes"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

func TestPrivateKeyBlockEndFindsTheEndOfTheBlock(t *testing.T) {
	const (
		begin = "-----BEGIN RSA PRIVATE KEY-----"
		end   = "-----END RSA PRIVATE KEY-----"
		l1    = "MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"
		l2    = "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK"
		l3    = "LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo9z+4"
	)
	// Each input is before + "«" + block + "»" + after: the block is what
	// PrivateKeyBlockEnd must cover, from the BEGIN marker.
	tests := []struct {
		name, in string
		more     bool
	}{
		{"PEM lines", "«" + begin + "\n" + l1 + "\n" + l2 + "\n" + end + "»\nnext line\n", false},
		{"CRLF lines", "«" + begin + "\r\n" + l1 + "\r\n" + l2 + "\r\n" + end + "»\r\nnext\r\n", false},
		{"YAML block scalar", "key: |\n  «" + begin + "\n  " + l1 + "\n  " + l2 + "\n  " + end + "»\ncert: x\n", false},
		{"JSON escaped", `{"private_key":"«` + begin + `\n` + l1 + `\n` + l2 + `\n` + end + `»\n","id":1}` + "\n", false},
		{"JSON escaped CRLF", `{"k":"«` + begin + `\r\n` + l1 + `\r\n` + end + `»\r\n"}` + "\n", false},
		{"JSON escaped twice", `{"m":"{\"k\":\"«` + begin + `\\n` + l1 + `\\n` + end + `»\\n\"}"}` + "\n", false},
		{"JSON escaped slashes", `{"k":"«` + begin + `\n` + strings.ReplaceAll(l2, "/", `\/`) + `\n` + end + `»"}` + "\n", false},
		{"one line with spaces", "KEY=«" + begin + " " + l1 + " " + l2 + " " + end + "» next\n", false},
		{"one line without breaks", "KEY=«" + begin + l1 + l2 + end + "»\n", false},
		{"RFC 1421 headers", "«" + begin + "\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,8A7B6C5D4E3F2A1B\n\n" + l1 + "\n" + end + "»\n", false},
		{"no END: the body run", "«" + begin + "\n" + l1 + "\n" + l2 + "»\n2026-11-01T10:00:00Z INFO next\n", false},
		{"no END, blank line", "«" + begin + "\n" + l1 + "»\n\nOK\n", false},
		{"other END label", "«" + begin + "\n" + l1 + "»\n-----END EC PRIVATE KEY-----\n", false},
		{"truncated in a string", `{"k":"«` + begin + `\n` + l1 + `\n` + l2[:20] + `»..."}` + "\n", false},
		{"prose after the marker", "«" + begin + "» marker\nOK\n", false},
		{"marker alone", "«" + begin + "»", true},
		{"open at the end", "«" + begin + "\n" + l1 + "\n" + l2 + "»\n", true},
		{"open in a string at the end", `{"k":"«` + begin + `\n` + l1 + "»", true},
		{"open after headers", "«" + begin + "\nProc-Type: 4,ENCRYPTED»\n", true},
		{"OpenSSH", "«-----BEGIN OPENSSH PRIVATE KEY-----\n" + l3 + "\n-----END OPENSSH PRIVATE KEY-----»\n", false},
		{"PGP armor", "«-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n" + l1 + "\n=2n5q\n-----END PGP PRIVATE KEY BLOCK-----»\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := strings.Index(tt.in, "«")
			stop := strings.Index(tt.in, "»") - len("«")
			in := []byte(strings.NewReplacer("«", "", "»", "").Replace(tt.in))
			markerEnd := start + bytes.Index(in[start+5:], []byte("-----")) + 10
			got, more := PrivateKeyBlockEnd(in, start, markerEnd)
			if got != stop || more != tt.more {
				t.Errorf("block %q (more %v), want %q (more %v)", in[start:got], more, in[start:stop], tt.more)
			}
		})
	}
}

func TestPrivateKeyBlockEndIsBounded(t *testing.T) {
	line := strings.Repeat("A", 64) + "\n"
	in := []byte("-----BEGIN PRIVATE KEY-----\n" + strings.Repeat(line, 2*MaxPrivateKeyBlock/len(line)))
	got, more := PrivateKeyBlockEnd(in, 0, len("-----BEGIN PRIVATE KEY-----"))
	if got > MaxPrivateKeyBlock || got < MaxPrivateKeyBlock-len(line) || more {
		t.Errorf("block end %d (more %v), want the last body line before %d, not more", got, more, MaxPrivateKeyBlock)
	}
}

func TestPrivateKeyBlockEndIgnoresOtherMarkers(t *testing.T) {
	for _, in := range []string{
		"-----BEGIN CERTIFICATE-----\nMIIE\n-----END CERTIFICATE-----\n",
		"-----BEGIN PUBLIC KEY-----\nMIIE\n-----END PUBLIC KEY-----\n",
		"-----BEGIN RSA PRIVATE KEY-----\nMIIE\n",
	} {
		b := []byte(in)
		markerEnd := bytes.IndexByte(b, '\n')
		if in[11:14] == "RSA" {
			markerEnd-- // not at a marker's end
		}
		if got, more := PrivateKeyBlockEnd(b, 0, markerEnd); got != markerEnd || more {
			t.Errorf("%q: block end %d (more %v), want %d", in, got, more, markerEnd)
		}
	}
}

// FuzzPrivateKeyBlockEnd checks that a block stays in bounds, and that a
// block not reported open is not changed by the lines that follow it.
func FuzzPrivateKeyBlockEnd(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), []byte("MIIE\n-----END RSA PRIVATE KEY-----\n"))
	}
	f.Add([]byte("{\"k\":\"-----BEGIN EC PRIVATE KEY-----\\nMHcC\\n"), []byte("AQEE\\n-----END EC PRIVATE KEY-----\"}\n"))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nProc-Type: 4\n\n"), []byte("x-\n"))
	f.Fuzz(func(t *testing.T, b, next []byte) {
		for _, start := range allIndexes(b, []byte("-----BEGIN ")) {
			e := bytes.Index(b[start+11:], []byte("-----"))
			if e < 0 {
				continue
			}
			markerEnd := start + 11 + e + 5
			got, more := PrivateKeyBlockEnd(b, start, markerEnd)
			if got < markerEnd || got > len(b) || got > start+MaxPrivateKeyBlock {
				t.Fatalf("block end %d out of [%d, %d]", got, markerEnd, min(len(b), start+MaxPrivateKeyBlock))
			}
			if more || len(b) == 0 || b[len(b)-1] != '\n' {
				continue
			}
			longer := append(bytes.Clone(b), next...)
			if got2, more2 := PrivateKeyBlockEnd(longer, start, markerEnd); got2 != got || more2 {
				t.Fatalf("block %q ended, but with %q after it, it is %q (more %v)", b[start:got], next, longer[start:got2], more2)
			}
		}
	})
}

// allIndexes returns the start of every occurrence of sep in b.
func allIndexes(b, sep []byte) []int {
	var is []int
	for off := 0; ; {
		i := bytes.Index(b[off:], sep)
		if i < 0 {
			return is
		}
		is = append(is, off+i)
		off += i + 1
	}
}

func TestPrivateKeyMarkerNeedsABody(t *testing.T) {
	const (
		begin = "-----BEGIN PRIVATE KEY-----"
		body  = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
		end   = "-----END PRIVATE KEY-----"
	)
	e, err := New([]Rule{{ID: "key", Detector: catalog.PrivateKey, Severity: finding.SeverityHigh}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   string
		keys int
	}{
		{"block", begin + "\n" + body + "\n" + end + "\n", 1},
		{"block without END", begin + "\n" + body + "\nnext line\n", 1},
		{"marker at the end: its body may follow", "x\n" + begin + "\n", 1},
		{"marker, then prose", begin + "\nnext line\n", 0},
		{"marker with prose", "found " + begin + " in config.pem\nok\n", 0},
		{"markers only", strings.Repeat(begin+"\n", 1000) + "all done\n", 0},
		{"markers on one line", strings.Repeat(begin+" ", 1000) + "\nall done\n", 0},
		{"markers and short bodies", strings.Repeat(begin+"AAAA", 1000) + "\n", 0},
		{"one key per block", begin + "\n" + body + "\n" + end + "\n" + begin + "\n" + body + "\n" + end + "\n", 2},
		{"markers in the headers of a block", begin + "\n" + strings.Repeat("Comment: "+begin+"\n", 100) + body + "\n" + end + "\n", 1},
		{"headers of markers, no body", strings.Repeat("Comment: "+begin+"\n", 1000) + "all done\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := len(e.NewMatcher().Scan([]byte(tt.in), nil)); got != tt.keys {
				t.Errorf("%d keys, want %d", got, tt.keys)
			}
		})
	}
}

func TestPrivateKeyBodyIsTheBlocksBody(t *testing.T) {
	const (
		begin = "-----BEGIN PRIVATE KEY-----"
		l1    = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
		l2    = "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu"
	)
	want := l1 + l2
	for _, in := range []string{
		begin + "\n" + l1 + "\n" + l2 + "\n-----END PRIVATE KEY-----\nuser bob logged in\n",
		begin + "\n" + l1 + "\n" + l2 + "\n\nuser bob logged in\n",
		`{"key":"` + begin + `\n` + l1 + `\n` + l2 + `\n","user":"bob"}` + "\n",
	} {
		start := strings.Index(in, begin)
		if got := PrivateKeyBody([]byte(in), start, start+len(begin)); string(got) != want {
			t.Errorf("%q: body %q, want %q", in, got, want)
		}
	}
}

// BenchmarkScanPEMMarkers scans 2.7 MB of private-key BEGIN markers, and of
// markers in header lines, against as much ordinary log: the work per byte
// must stay about the same (a look-ahead from every marker made markers
// quadratic).
//
//	go test -run '^$' -bench ScanPEMMarkers ./scanners/detect/
func BenchmarkScanPEMMarkers(b *testing.B) {
	const size = 2700 << 10
	const begin = "-----BEGIN PRIVATE KEY-----"
	inputs := []struct{ name, text string }{
		{"plain", string(sampleLog(size))},
		{"markers", strings.Repeat(begin+"\n", size/(len(begin)+1))},
		{"header-markers", begin + "\n" + strings.Repeat("Comment: "+begin+"\n", size/(len(begin)+10))},
	}
	e := allBuiltins(b)
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			s := e.NewMatcher()
			text := []byte(in.text)
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				s.Scan(text, nil)
			}
		})
	}
}
