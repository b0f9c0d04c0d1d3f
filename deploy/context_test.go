package deploy

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// A builder is one way a container engine turns a directory and its
// .dockerignore into the build context. They differ where an ignored
// directory holds files a "!" line brings back.
type builder struct {
	name string
	// classic: the docker CLI sends the context for the classic builder
	// (github.com/docker/docker/pkg/archive TarWithOptions, now
	// github.com/moby/go-archive). It walks into an ignored directory only
	// when a "!" pattern, read as a plain string, starts with the
	// directory's path: "!**/*.go" never does (docker/cli#2847,
	// moby/moby#30018). The CLI also keeps .dockerignore and the
	// Dockerfile in the context (TrimBuildFilesFromExcludes).
	// Otherwise BuildKit (github.com/tonistiigi/fsutil's FilterOpt): it
	// walks into every ignored directory as soon as one "!" pattern holds
	// a wildcard, and skips one only by the same prefix rule otherwise.
	classic bool
	// oneParent: Docker 20.10's github.com/docker/docker/pkg/fileutils
	// PatternMatcher.Matches (kept, deprecated, as patternmatcher's
	// Matches): a pattern is tried against the path and against the one
	// parent directory with as many components as the pattern, not every
	// parent. Later versions match a path or any of its parents
	// (MatchesUsingParentResults, which is MatchesOrParentMatches for a
	// walk).
	oneParent bool
}

// builders are every builder still in use: BuildKit (Docker 23 and later,
// buildx), the classic builder of Docker 23 to 28 (DOCKER_BUILDKIT=0) and
// that of Docker 20.10 (Debian 12's docker.io).
var builders = []builder{
	{name: "BuildKit"},
	{name: "classic builder (Docker 23 to 28)", classic: true},
	{name: "classic builder (Docker 20.10)", classic: true, oneParent: true},
}

// buildFiles are what the docker CLI keeps in a classic builder's
// context whatever .dockerignore says; the daemon drops them again.
var buildFiles = []string{".dockerignore", "Dockerfile"}

// readDockerignore returns the patterns of the repository's .dockerignore.
func readDockerignore(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(repo, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return patterns
}

// withoutTrailingGlob is fsutil's patternWithoutTrailingGlob.
func withoutTrailingGlob(p string) string {
	p = strings.TrimSuffix(p, "/**")
	return strings.TrimSuffix(p, "/*")
}

// contextFiles returns the files (slash-separated paths relative to root)
// that b sends as the build context of root under patterns.
func (b builder) contextFiles(root string, patterns []string) (map[string]bool, error) {
	patterns = slices.Clone(patterns)
	if b.classic {
		for _, f := range buildFiles {
			if skip, _ := patternmatcher.Matches(f, patterns); skip {
				patterns = append(patterns, "!"+f)
			}
		}
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, err
	}
	// fsutil: with no wildcard in any exception, an ignored directory is
	// skipped unless an exception lies below it.
	onlyPrefixExceptions := true
	for _, p := range pm.Patterns() {
		if p.Exclusion() && strings.ContainsAny(withoutTrailingGlob(p.String()), `*[]?^\`) {
			onlyPrefixExceptions = false
		}
	}
	dirInfo := map[string]patternmatcher.MatchInfo{}
	files := map[string]bool{}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		var skip bool
		if b.oneParent {
			//lint:ignore SA1019 Docker 20.10's one-parent semantics, on purpose
			skip, err = pm.Matches(rel)
		} else {
			var info patternmatcher.MatchInfo
			skip, info, err = pm.MatchesUsingParentResults(rel, dirInfo[path.Dir(rel)])
			if d.IsDir() {
				dirInfo[rel] = info
			}
		}
		switch {
		case err != nil:
			return fmt.Errorf("matching %s: %w", rel, err)
		case !skip:
			if !d.IsDir() {
				files[rel] = true
			}
			return nil
		case !d.IsDir():
			return nil
		case !pm.Exclusions():
			return filepath.SkipDir
		case !b.classic && !onlyPrefixExceptions:
			return nil // BuildKit looks inside
		}
		for _, pat := range pm.Patterns() {
			s := pat.String()
			if !b.classic {
				s = withoutTrailingGlob(s)
			}
			if pat.Exclusion() && strings.HasPrefix(s+"/", rel+"/") {
				return nil
			}
		}
		return filepath.SkipDir
	})
	return files, err
}

// neededFiles returns what the build needs from the tree at root: every
// file of a Go package of the module that is not a test (as the go
// command sees packages: not in testdata, nor in directories starting
// with "." or "_", nor in another module: a directory with a go.mod of
// its own, such as deploy/), go.mod, go.sum, rules.yaml and examples/.
func neededFiles(t *testing.T, root string) []string {
	t.Helper()
	need := []string{"go.mod", "go.sum", "rules.yaml"}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		name := d.Name()
		if d.IsDir() {
			if rel != "." && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); rel != "." && err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		// default.pgo: the profile go build optimises the binary with.
		if strings.HasPrefix(rel, "examples/") || name == "default.pgo" ||
			strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") && !strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "_") {
			need = append(need, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(need)
	return need
}

// checkNeeded reports the needed files a context lacks, with the line
// .dockerignore needs for each missing package directory.
func checkNeeded(t *testing.T, b builder, ctx map[string]bool, need []string) {
	t.Helper()
	missing := map[string][]string{}
	for _, f := range need {
		if !ctx[f] {
			dir := path.Dir(f)
			missing[dir] = append(missing[dir], path.Base(f))
		}
	}
	dirs := make([]string, 0, len(missing))
	for d := range missing {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		hint := ""
		if strings.HasSuffix(missing[d][0], ".go") && d != "." {
			hint = fmt.Sprintf(" (does .dockerignore have !%s/*.go?)", d)
		}
		t.Errorf("%s: the build context lacks %s: %v%s", b.name, d, missing[d], hint)
	}
}

// TestDockerignoreContext computes the build context of this repository
// the way each builder does, and checks that each holds everything the
// build needs, nothing a test or a developer left behind, and that they
// are one and the same.
func TestDockerignoreContext(t *testing.T) {
	patterns := readDockerignore(t)
	need := neededFiles(t, repo)
	if !slices.Contains(need, "cmd/piiscan/main.go") || !slices.Contains(need, "examples/logs/app.jsonl") {
		t.Fatalf("the needed files are not found: %v", need)
	}
	var first map[string]bool
	for _, b := range builders {
		ctx, err := b.contextFiles(repo, patterns)
		if err != nil {
			t.Fatalf("%s: %v", b.name, err)
		}
		checkNeeded(t, b, ctx, need)
		for f := range ctx {
			if strings.HasSuffix(f, "_test.go") || strings.Contains("/"+f, "/testdata/") || strings.HasPrefix(f, ".git/") {
				t.Errorf("%s: %s is in the build context", b.name, f)
			}
		}
		if b.classic {
			for _, f := range buildFiles {
				delete(ctx, f)
			}
		}
		if first == nil {
			first = ctx
			continue
		}
		if only := difference(ctx, first); len(only) > 0 {
			t.Errorf("%s sends %d files %s does not: %v", b.name, len(only), builders[0].name, only[:min(len(only), 10)])
		}
		if only := difference(first, ctx); len(only) > 0 {
			t.Errorf("%s sends %d files %s does not: %v", builders[0].name, len(only), b.name, only[:min(len(only), 10)])
		}
	}
}

// difference returns the files of a that b lacks, sorted.
func difference(a, b map[string]bool) []string {
	var out []string
	for f := range a {
		if !b[f] {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// leaks are files piiscan, its tests or a developer may leave in any
// directory of a working tree; none may reach a build context.
var leaks = []string{
	"piiscan-state.db", "state.db", "state.shard-2.db", "state.db.lock", "piiscan-state.db.corrupt-20261130T120000Z",
	"piiscan-audit.jsonl", "piiscan-audit.jsonl.head", "var/piiscan-audit.jsonl",
	"piiscan-quarantine/x.log", "piiscan-quarantine/deep/er/y.log.gz",
	"findings.jsonl", "out/findings.json", "shards/shard-00000-of-00002.jsonl", "shard-00001-of-00004.jsonl",
	"report.sarif", "out/report.sarif", "report.json", "weekly-report.jsonl", "report.txt",
	"scan.checkpoint", "config/piiscan/fingerprint.key", "fingerprint.key", ".env",
	"leak_test.go", "testdata/x.go", "testdata/fuzz/FuzzX/abc",
}

// TestDockerignoreLeaks plants the leaks in every directory of a copy of
// the repository's tree (empty files, the same names) and checks that no
// builder sends one, while the needed files are still sent.
func TestDockerignoreLeaks(t *testing.T) {
	patterns := readDockerignore(t)
	root := t.TempDir()
	var dirs []string
	err := filepath.WalkDir(repo, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repo, p)
		switch {
		case d.Name() == ".git" && !d.IsDir():
			return nil // a worktree's
		case d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata"):
			return filepath.SkipDir
		}
		if d.IsDir() {
			dirs = append(dirs, rel)
		}
		return touch(filepath.Join(root, rel), d.IsDir())
	})
	if err != nil {
		t.Fatal(err)
	}
	need := neededFiles(t, root)
	planted := map[string]bool{}
	for _, d := range append(dirs, ".git") {
		for _, l := range leaks {
			p := filepath.ToSlash(filepath.Join(d, l))
			planted[p] = true
			if err := touch(filepath.Join(root, p), false); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, p := range []string{".git/HEAD", ".git/objects/ab/cdef", "deploy/kubernetes/secret.yaml"} {
		planted[p] = true
		if err := touch(filepath.Join(root, p), false); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range builders {
		ctx, err := b.contextFiles(root, patterns)
		if err != nil {
			t.Fatalf("%s: %v", b.name, err)
		}
		checkNeeded(t, b, ctx, need)
		var sent []string
		for f := range ctx {
			if planted[f] {
				sent = append(sent, f)
			}
		}
		sort.Strings(sent)
		if len(sent) > 0 {
			t.Errorf("%s sends %d files it must not, e.g. %v", b.name, len(sent), sent[:min(len(sent), 12)])
		}
	}
}

// touch makes an empty file (or a directory) at p, and its parents.
func touch(p string, dir bool) error {
	if dir {
		return os.MkdirAll(p, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, nil, 0o644)
}

// The model reproduces how the builders are known to differ: a model
// that did not would prove nothing about .dockerignore.
func TestBuildersModel(t *testing.T) {
	for _, tc := range []struct {
		name     string
		files    []string
		patterns []string
		want     [3][]string // as builders: BuildKit, classic 23-28, classic 20.10
	}{
		{
			name:     `"!**/*.go" brings back top-level files only, with the classic builder (docker/cli#2847)`,
			files:    []string{"main.go", "cmd/app/main.go", "cmd/app/main_test.go", "Dockerfile", ".dockerignore"},
			patterns: []string{"*", "!**/*.go"},
			want: [3][]string{
				{"cmd/app/main.go", "cmd/app/main_test.go", "main.go"},
				{".dockerignore", "Dockerfile", "main.go"},
				{".dockerignore", "Dockerfile", "main.go"},
			},
		},
		{
			name:     "a directory named in an exception is walked by every builder",
			files:    []string{"main.go", "cmd/app/main.go", "cmd/app/main_test.go", "Dockerfile", ".dockerignore"},
			patterns: []string{"*", "!*.go", "!cmd/app/*.go", "**/*_test.go"},
			want: [3][]string{
				{"cmd/app/main.go", "main.go"},
				{".dockerignore", "Dockerfile", "cmd/app/main.go", "main.go"},
				{".dockerignore", "Dockerfile", "cmd/app/main.go", "main.go"},
			},
		},
		{
			name:     "Docker 20.10 tries a pattern against one parent only: x/y, not x/y/testdata",
			files:    []string{"x/y/z.txt", "x/y/testdata/keep", "x/y/testdata/other"},
			patterns: []string{"**/testdata", "!x/y/testdata/keep"},
			want: [3][]string{
				{"x/y/testdata/keep", "x/y/z.txt"},
				{"x/y/testdata/keep", "x/y/z.txt"},
				{"x/y/testdata/keep", "x/y/testdata/other", "x/y/z.txt"},
			},
		},
	} {
		root := t.TempDir()
		for _, f := range tc.files {
			if err := touch(filepath.Join(root, f), false); err != nil {
				t.Fatal(err)
			}
		}
		for i, b := range builders {
			ctx, err := b.contextFiles(root, tc.patterns)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]string, 0, len(ctx))
			for f := range ctx {
				got = append(got, f)
			}
			sort.Strings(got)
			if !slices.Equal(got, tc.want[i]) {
				t.Errorf("%s: %s: %v, want %v", tc.name, b.name, got, tc.want[i])
			}
		}
	}
}
