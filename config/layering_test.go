package config

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Package config sits low: it reads settings, and the packages that act
// on them (report writers, jobs, commands) import it, never the other way
// round.
func TestConfigImportsNoWriters(t *testing.T) {
	const mod = "github.com/piiscan/piiscan/"
	banned := []string{"report", "jobs", "cmd", "retention", "state"}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, b := range banned {
				if p == mod+b || strings.HasPrefix(p, mod+b+"/") {
					t.Errorf("%s imports %s", name, p)
				}
			}
		}
	}
}
