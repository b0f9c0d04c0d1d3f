package itempath

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestMemberPathRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		outer   string
		members []string
		want    string // the finding path
	}{
		{"plain file", "logs/app.log", nil, "logs/app.log"},
		{"member", "backup.tar.gz", []string{"dump/users.csv"}, "backup.tar.gz!dump/users.csv"},
		{"nested archives", "backup.tar.gz", []string{"dump.zip", "users.csv"}, "backup.tar.gz!dump.zip!users.csv"},
		{"file name with bang", "report!2026-11.log", nil, `report\!2026-11.log`},
		{"file name ending in bang", "/var/log/alert!", nil, `/var/log/alert\!`},
		{"file name ending in bang, member", "/var/log/alert!", []string{"m"}, `/var/log/alert\!!m`},
		{"file name only a bang", "!", nil, `\!`},
		{"file name with backslash", `C:\logs\a.log`, nil, `C:\\logs\\a.log`},
		{"backslash before bang", `a\!b`, nil, `a\\\!b`},
		{"file name ending in backslash, member", `dir\`, []string{"x"}, `dir\\!x`},
		{"member with bang", "a.tar", []string{"a!b.txt"}, `a.tar!a\!b.txt`},
		{"member ending in bang", "a.tar", []string{"x!", "y"}, `a.tar!x\!!y`},
		{"member with backslash", "a.zip", []string{`win\path.txt`}, `a.zip!win\\path.txt`},
		{"empty member", "a.tar", []string{""}, "a.tar!"},
		{"s3 object", "s3://bucket/logs/app.log", nil, "s3://bucket/logs/app.log"},
		{"s3 object with bang", "s3://bucket/k!ey.log", nil, `s3://bucket/k\!ey.log`},
		{"s3 archive member", "s3://bucket/b!k.tgz", []string{"d!/u.csv"}, `s3://bucket/b\!k.tgz!d\!/u.csv`},
		{"stdin", "-", []string{"m.csv"}, "-!m.csv"},
		{"empty", "", nil, ""},
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
		})
	}
}

func TestSplitKeepsStrayBackslashes(t *testing.T) {
	// A '\' that escapes nothing is a plain character: a path written by
	// hand or before names were escaped still names its file.
	tests := []struct {
		p       string
		outer   string
		members []string
	}{
		{`a\b.log`, `a\b.log`, nil},
		{`trailing\`, `trailing\`, nil},
		{`a\b.tar!c\d`, `a\b.tar`, []string{`c\d`}},
		{`a.tar!m!`, "a.tar", []string{"m", ""}},
	}
	for _, tt := range tests {
		outer, members := Split(tt.p)
		if outer != tt.outer || !slices.Equal(members, tt.members) {
			t.Errorf("Split(%q) = %q, %q; want %q, %q", tt.p, outer, members, tt.outer, tt.members)
		}
		if file, _ := Outer(tt.p); file != tt.outer {
			t.Errorf("Outer(%q) = %q, want %q", tt.p, file, tt.outer)
		}
	}
}

func FuzzMemberPath(f *testing.F) {
	f.Add("report!2026-11.log", "", "")
	f.Add("backup.tar.gz", "dump.zip", "users.csv")
	f.Add(`a\`, `!`, `\!`)
	f.Add("s3://b/k!", "x!", "")
	f.Fuzz(func(t *testing.T, outer, m1, m2 string) {
		for n := range 3 {
			members := []string{m1, m2}[:n]
			p := Escape(outer)
			for _, m := range members {
				p = Join(p, m)
			}
			gotOuter, gotMembers := Split(p)
			if gotOuter != outer || !slices.Equal(gotMembers, members) {
				t.Fatalf("Split(%q) = %q, %q; want %q, %q", p, gotOuter, gotMembers, outer, members)
			}
			if file, in := Outer(p); file != outer || in != (len(members) > 0) {
				t.Fatalf("Outer(%q) = %q, %v; want %q, %v", p, file, in, outer, len(members) > 0)
			}
			if got := Unescape(Escape(outer)); got != outer {
				t.Fatalf("Unescape(Escape(%q)) = %q", outer, got)
			}
			if !strings.ContainsAny(outer, `!\`) && Escape(outer) != outer {
				t.Fatalf("Escape(%q) = %q changed a name without '!' or '\\'", outer, Escape(outer))
			}
		}
	})
}

func TestExt(t *testing.T) {
	for p, want := range map[string]string{
		"users.CSV":                         ".csv",
		"logs/app.log.gz":                   ".log",
		"export.tsv.zst":                    ".tsv",
		"dump.tar.gz!exports/users.csv.gz":  ".csv",
		`dir\!x/report\!2026.psv`:           ".psv",
		"s3://bucket/a.b/noext":             "",
		"backup.zip!nested.tar!people.json": ".json",
	} {
		if got := Ext(p); got != want {
			t.Errorf("Ext(%q) = %q, want %q", p, got, want)
		}
	}
}

func TestParseObjectKeepsKeysByteForByte(t *testing.T) {
	for in, want := range map[string]string{"s3://b": "b|", "s3://b/": "b|", "s3://b/logs/2024/": "b|logs/2024/",
		"s3://b/logs/100%zz.log": "b|logs/100%zz.log", "s3://b/a%2Fb?x#y!z +.log": "b|a%2Fb?x#y!z +.log"} {
		b, p, err := ParseObject(in)
		if err != nil || b+"|"+p != want {
			t.Errorf("ParseObject(%q) = %q %q %v", in, b, p, err)
		}
	}
	for _, bad := range []string{"s3://", "s3:///x", "/tmp/x"} {
		if _, _, err := ParseObject(bad); err == nil {
			t.Errorf("ParseObject(%q) accepted", bad)
		}
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

func TestFixedDir(t *testing.T) {
	for p, want := range map[string]string{
		"/var/log/app":          "/var/log/app",
		"/var/log/app/":         "/var/log/app",
		"/var/log/app/*.log":    "/var/log/app",
		"/var/log/app*.log":     "/var/log",
		"/backups/2024-*/db.gz": "/backups",
		"/**/x":                 "/",
		"*.log":                 ".",
		"logs/**":               "logs",
	} {
		if got := FixedDir(p); got != want {
			t.Errorf("FixedDir(%q) = %q, want %q", p, got, want)
		}
	}
}
