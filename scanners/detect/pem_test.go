package detect

import (
	"bytes"
	"strings"
	"testing"
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
