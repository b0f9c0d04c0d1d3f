package itempath

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestMemberPaths(t *testing.T) {
	tests := []struct {
		name    string
		outer   string
		members []string
		want    string // the finding path
		ext     string
	}{
		{"plain file", "logs/app.log", nil, "logs/app.log", ".log"},
		{"member", "backup.tar.gz", []string{"dump/users.CSV.gz"}, "backup.tar.gz!dump/users.CSV.gz", ".csv"},
		{"nested archives", "backup.tar.gz", []string{"dump.zip", "users.csv"}, "backup.tar.gz!dump.zip!users.csv", ".csv"},
		{"file name with bang", "report!2026-11.log", nil, `report\!2026-11.log`, ".log"},
		{"file name ending in bang, member", "/var/log/alert!", []string{"m"}, `/var/log/alert\!!m`, ""},
		{"file name with backslash", `C:\logs\a.log`, nil, `C:\\logs\\a.log`, ".log"},
		{"backslash before bang", `a\!b`, nil, `a\\\!b`, ""},
		{"member with bang", "a.tar", []string{"a!b.txt"}, `a.tar!a\!b.txt`, ".txt"},
		{"empty member", "a.tar", []string{""}, "a.tar!", ""},
		{"s3 archive member", "s3://bucket/b!k.tgz", []string{"d!/u.sql.zst"}, `s3://bucket/b\!k.tgz!d\!/u.sql.zst`, ".sql"},
		{"empty", "", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Escape(tt.outer)
			for _, m := range tt.members {
				p = Join(p, m)
			}
			if p != tt.want {
				t.Errorf("joined path = %q, want %q", p, tt.want)
			}
			outer, members := Split(p)
			if outer != tt.outer || !slices.Equal(members, tt.members) {
				t.Errorf("Split(%q) = %q, %q; want %q, %q", p, outer, members, tt.outer, tt.members)
			}
			file, in := Outer(p)
			if file != tt.outer || in != (len(tt.members) > 0) {
				t.Errorf("Outer(%q) = %q, %v; want %q, %v", p, file, in, tt.outer, len(tt.members) > 0)
			}
			if got := Unescape(Escape(tt.outer)); got != tt.outer {
				t.Errorf("Unescape(Escape(%q)) = %q", tt.outer, got)
			}
			if got := Ext(p); got != tt.ext {
				t.Errorf("Ext(%q) = %q, want %q", p, got, tt.ext)
			}
		})
	}
}

func TestSplitKeepsStrayBackslashes(t *testing.T) {
	outer, members := Split(`C:\logs\a.zip!x\y.csv`)
	if outer != `C:\logs\a.zip` || !slices.Equal(members, []string{`x\y.csv`}) {
		t.Errorf("Split = %q, %q", outer, members)
	}
}

func TestObjects(t *testing.T) {
	tests := []struct {
		in, bucket, prefix, err string
	}{
		{in: "s3://b", bucket: "b"},
		{in: "s3://b/", bucket: "b"},
		{in: "s3://b/app/x!y #1.log", bucket: "b", prefix: "app/x!y #1.log"},
		{in: "s3://", err: `"s3://" names no bucket`},
		{in: "s3:///k", err: `"s3:///k" names no bucket`},
		{in: "/var/log", err: `"/var/log" is not an s3:// URL`},
		{in: "S3://b/k", err: `"S3://b/k" is not an s3:// URL`},
	}
	for _, tt := range tests {
		b, p, err := ParseObject(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseObject(%q) error = %v, want %s", tt.in, err, tt.err)
			}
			if IsObject(tt.in) != strings.HasPrefix(tt.in, "s3://") {
				t.Errorf("IsObject(%q) = %v", tt.in, IsObject(tt.in))
			}
			continue
		}
		if err != nil || b != tt.bucket || p != tt.prefix {
			t.Errorf("ParseObject(%q) = %q, %q, %v; want %q, %q", tt.in, b, p, err, tt.bucket, tt.prefix)
		}
		if !IsObject(tt.in) {
			t.Errorf("IsObject(%q) = false", tt.in)
		}
		if got := Object(b, p); p != "" && got != tt.in {
			t.Errorf("Object(%q, %q) = %q, want %q", b, p, got, tt.in)
		}
	}
}

func TestGlobs(t *testing.T) {
	tests := []struct {
		globs     []string
		rel, base string
		want      bool
	}{
		{[]string{"*.log"}, "a/b/x.log", "x.log", true},
		{[]string{"a/*.log"}, "a/b/x.log", "x.log", false},
		{[]string{"a/**/*.log"}, "a/b/x.log", "x.log", true},
		{[]string{"*.gz", "x.*"}, "a/x.log", "x.log", true},
		{[]string{"*.gz"}, "a/x.log", "x.log", false},
		{nil, "x", "x", false},
	}
	for _, tt := range tests {
		if got := Match(tt.globs, tt.rel, tt.base); got != tt.want {
			t.Errorf("Match(%q, %q, %q) = %v, want %v", tt.globs, tt.rel, tt.base, got, tt.want)
		}
	}
	if err := CheckGlobs([]string{"*.log", "a/**"}); err != nil {
		t.Errorf("CheckGlobs: %v", err)
	}
	if err := CheckGlobs([]string{"*.log", "a[", "b{"}); err == nil || err.Error() != `invalid glob "a["` {
		t.Errorf("CheckGlobs error = %v, want invalid glob \"a[\"", err)
	}
	if !HasMeta("a/*.log") || HasMeta("a/b.log") {
		t.Error("HasMeta")
	}
}

func TestTempNames(t *testing.T) {
	for _, tail := range []string{"", "x.log", "~1f~2a", strings.Repeat("n", 300)} {
		n := TempName(tail)
		if !IsTemp(n) {
			t.Errorf("IsTemp(%q) = false", n)
		}
		if len(n) > 255 {
			t.Errorf("TempName gave %d bytes", len(n))
		}
	}
	for _, name := range []string{".piiscan-tmp-notes.txt", ".piiscan-tmp-0123456789ab-", ".piiscan-tmp-0123456789AB", "x.log", ".x.log.123.tmp"} {
		if IsTemp(name) {
			t.Errorf("IsTemp(%q) = true", name)
		}
	}
	n := ReplacementName("audit.jsonl.head", 42)
	if n != ".audit.jsonl.head.42.tmp" {
		t.Errorf("ReplacementName = %q", n)
	}
	if ok, err := filepath.Match(ReplacementGlob("audit.jsonl.head"), n); !ok || err != nil {
		t.Errorf("ReplacementGlob does not match %q: %v", n, err)
	}
}

func TestCheckGlobs(t *testing.T) {
	tests := []struct {
		globs []string
		bad   string // the glob named in the error, "" for none
	}{
		{nil, ""},
		{[]string{"*.log", "**/skip/**", "a/{b,c}/*.txt", "[a-z]?.csv", `\[literal\]`}, ""},
		{[]string{"["}, "["},
		{[]string{"*.log", "[a-", "{"}, "[a-"},
		{[]string{"ok", "{a,b"}, "{a,b"},
	}
	for _, tt := range tests {
		err := CheckGlobs(tt.globs)
		if tt.bad == "" {
			if err != nil {
				t.Errorf("CheckGlobs(%q) = %v, want nil", tt.globs, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), `"`+tt.bad+`"`) {
			t.Errorf("CheckGlobs(%q) = %v, want an error naming %q", tt.globs, err, tt.bad)
		}
	}
}

func TestIsTemp(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{TempName(""), true},
		{TempName("app.log.gz"), true},
		{TempPrefix + "0123456789ab", true},
		{TempPrefix + "0123456789ab-app.log", true},
		{TempPrefix + "0123456789ab-" + TempPrefix + "0123456789ab-x", true},
		{TempPrefix, false},
		{TempPrefix + "evidence.log", false},
		{TempPrefix + "notes.txt", false},
		{TempPrefix + "0123456789a", false},   // 11 digits
		{TempPrefix + "0123456789AB", false},  // piiscan writes lower case
		{TempPrefix + "0123456789abc", false}, // 13 digits
		{TempPrefix + "0123456789ab-", false},
		{TempPrefix + "0123456789ab.log", false},
		{TempPrefix + "object-123456", false},
		{"app.log", false},
		{"x" + TempPrefix + "0123456789ab", false},
	}
	for _, tt := range tests {
		if got := IsTemp(tt.name); got != tt.want {
			t.Errorf("IsTemp(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func FuzzMemberRoundTrip(f *testing.F) {
	f.Add("backup.tar.gz", "dump.zip", "users.csv")
	f.Add(`a\!b`, "x!", `\`)
	f.Add("", "", "!")
	f.Fuzz(func(t *testing.T, outer, m1, m2 string) {
		p := Join(Join(Escape(outer), m1), m2)
		o, members := Split(p)
		if o != outer || !slices.Equal(members, []string{m1, m2}) {
			t.Fatalf("Split(%q) = %q, %q; want %q, [%q %q]", p, o, members, outer, m1, m2)
		}
		if file, in := Outer(p); file != outer || !in {
			t.Fatalf("Outer(%q) = %q, %v; want %q, true", p, file, in, outer)
		}
		if got := Unescape(Escape(outer)); got != outer {
			t.Fatalf("Unescape(Escape(%q)) = %q", outer, got)
		}
		if file, in := Outer(Escape(outer)); file != outer || in {
			t.Fatalf("Outer(Escape(%q)) = %q, %v", outer, file, in)
		}
	})
}
