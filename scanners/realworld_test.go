package scanners_test

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	piiscan "github.com/piiscan/piiscan"
	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scansetup"
)

var update = flag.Bool("update", false, "rewrite the .want files of testdata/realworld from what is found now")

// TestRealWorld scans the regression corpus in testdata/realworld with the
// default rules.yaml and compares every finding with the file's .want:
// one line per finding, "LINE:COLUMN CLASS VALUE" (compared as a set). The
// inputs are written by hand in the formats real programs write (log4j,
// Windows CBS, pg_dump, .env, ...), with made-up values, so that the
// detectors are held to inputs nobody wrote for them. A missing line is
// a lost finding, an extra one a false positive: both fail.
//
// After a change to detection, go test ./scanners -run TestRealWorld
// -update rewrites the .want files; review the diff line by line.
func TestRealWorld(t *testing.T) {
	c, err := config.Parse("rules.yaml", piiscan.DefaultRules)
	if err != nil {
		t.Fatal(err)
	}
	engine, err := scansetup.Engine(c)
	if err != nil {
		t.Fatal(err)
	}
	allow, err := scansetup.Allowlist(c)
	if err != nil {
		t.Fatal(err)
	}
	opts := scanners.Options{Engine: engine, Allow: allow, Reveal: true, Workers: 1,
		Fingerprints: finding.NewFingerprinter([]byte("5c1e0a9d3b7f4286e1d0c5a7b92f38e4"))}
	inputs, err := filepath.Glob(filepath.Join("testdata", "realworld", "*"))
	if err != nil {
		t.Fatal(err)
	}
	type score struct{ found, lost, extra int }
	classes := map[string]*score{}
	tally := func(class string) *score {
		if classes[class] == nil {
			classes[class] = &score{}
		}
		return classes[class]
	}
	for _, in := range inputs {
		if strings.HasSuffix(in, ".want") {
			continue
		}
		t.Run(filepath.Base(in), func(t *testing.T) {
			s, err := scanners.New(opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			_, err = s.Scan(context.Background(), []string{in}, scanners.SinkFunc(func(f *finding.Finding) error {
				got = append(got, fmt.Sprintf("%d:%d %s %s", f.Line, f.Column, f.Class, f.Value))
				return nil
			}))
			if err != nil {
				t.Fatal(err)
			}
			wantFile := in + ".want"
			if *update {
				if err := os.WriteFile(wantFile, []byte(strings.Join(append(got, ""), "\n")), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want := readLines(t, wantFile)
			for _, g := range got {
				class := strings.Fields(g)[1]
				if slices.Contains(want, g) {
					tally(class).found++
				} else {
					tally(class).extra++
					t.Errorf("false positive: %s", g)
				}
			}
			for _, w := range want {
				if !slices.Contains(got, w) {
					tally(strings.Fields(w)[1]).lost++
					t.Errorf("missed: %s", w)
				}
			}
		})
	}
	for _, c := range slices.Sorted(maps.Keys(classes)) {
		s := classes[c]
		t.Logf("%-16s found %4d  missed %3d  false %3d  precision %.3f  recall %.3f", c, s.found, s.lost, s.extra,
			float64(s.found)/float64(max(1, s.found+s.extra)), float64(s.found)/float64(max(1, s.found+s.lost)))
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (write it by hand, or run with -update and review it)", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}
