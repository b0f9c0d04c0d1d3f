package source

import (
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
		{"stdin", Stdin, []string{"m.csv"}, "-!m.csv"},
		{"empty", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := EscapeName(tt.outer)
			for _, m := range tt.members {
				p = JoinMember(p, m)
			}
			if p != tt.want {
				t.Errorf("joined path = %q, want %q", p, tt.want)
			}
			outer, members := SplitMember(p)
			if outer != tt.outer || !slices.Equal(members, tt.members) {
				t.Errorf("SplitMember(%q) = %q, %q; want %q, %q", p, outer, members, tt.outer, tt.members)
			}
			file, in := TopFile(p)
			if file != tt.outer || in != (len(tt.members) > 0) {
				t.Errorf("TopFile(%q) = %q, %v; want %q, %v", p, file, in, tt.outer, len(tt.members) > 0)
			}
			if got := Unescape(EscapeName(tt.outer)); got != tt.outer {
				t.Errorf("Unescape(EscapeName(%q)) = %q", tt.outer, got)
			}
		})
	}
}

func TestSplitMemberKeepsStrayBackslashes(t *testing.T) {
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
		outer, members := SplitMember(tt.p)
		if outer != tt.outer || !slices.Equal(members, tt.members) {
			t.Errorf("SplitMember(%q) = %q, %q; want %q, %q", tt.p, outer, members, tt.outer, tt.members)
		}
		if file, _ := TopFile(tt.p); file != tt.outer {
			t.Errorf("TopFile(%q) = %q, want %q", tt.p, file, tt.outer)
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
			p := EscapeName(outer)
			for _, m := range members {
				p = JoinMember(p, m)
			}
			gotOuter, gotMembers := SplitMember(p)
			if gotOuter != outer || !slices.Equal(gotMembers, members) {
				t.Fatalf("SplitMember(%q) = %q, %q; want %q, %q", p, gotOuter, gotMembers, outer, members)
			}
			if file, in := TopFile(p); file != outer || in != (len(members) > 0) {
				t.Fatalf("TopFile(%q) = %q, %v; want %q, %v", p, file, in, outer, len(members) > 0)
			}
			if got := Unescape(EscapeName(outer)); got != outer {
				t.Fatalf("Unescape(EscapeName(%q)) = %q", outer, got)
			}
			if !strings.ContainsAny(outer, `!\`) && EscapeName(outer) != outer {
				t.Fatalf("EscapeName(%q) = %q changed a name without '!' or '\\'", outer, EscapeName(outer))
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
