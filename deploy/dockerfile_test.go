package deploy

import (
	"bufio"
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

const repo = ".."

// The runtime image's contract with its users and with the manifests in
// kubernetes/.
const (
	binaryPath = "/usr/local/bin/piiscan"
	rulesPath  = "/etc/piiscan/rules.yaml"
	dataDir    = "/var/lib/piiscan"
	runAsUser  = "65532"
	metricPort = "9464"
)

type dockerfile struct {
	stages []instructions.Stage
	meta   []instructions.ArgCommand
}

func parseDockerfile(t *testing.T) *dockerfile {
	t.Helper()
	f, err := os.Open(filepath.Join(repo, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	for _, w := range res.Warnings {
		t.Errorf("Dockerfile: %s", w.Short)
	}
	stages, meta, err := instructions.Parse(res.AST, nil)
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	return &dockerfile{stages: stages, meta: meta}
}

// commands returns the commands of type T in stage s.
func commands[T instructions.Command](s instructions.Stage) []T {
	var out []T
	for _, c := range s.Commands {
		if x, ok := c.(T); ok {
			out = append(out, x)
		}
	}
	return out
}

// env returns the ENV settings of s.
func env(s instructions.Stage) map[string]string {
	m := map[string]string{}
	for _, e := range commands[*instructions.EnvCommand](s) {
		for _, kv := range e.Env {
			m[kv.Key] = kv.Value
		}
	}
	return m
}

// goVersion returns the go directive of go.mod.
func goVersion(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join(repo, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return string(m[1])
}

// buildCommand returns the build stage's go build command and the path
// it writes the binary to.
func buildCommand(t *testing.T, build instructions.Stage) (cmd, out string) {
	t.Helper()
	for _, r := range commands[*instructions.RunCommand](build) {
		line := strings.Join(r.CmdLine, " ")
		if !strings.Contains(line, "go build") {
			continue
		}
		if !r.PrependShell {
			t.Fatalf("the build RUN should be in shell form to expand ${VERSION}: %s", line)
		}
		m := regexp.MustCompile(`\s-o\s+(\S+)`).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("the go build command names no -o output: %s", line)
		}
		return line, m[1]
	}
	t.Fatal("the build stage has no go build command")
	return "", ""
}

func TestDockerfile(t *testing.T) {
	d := parseDockerfile(t)
	if len(d.stages) != 2 {
		t.Fatalf("want a build and a runtime stage, got %d stages", len(d.stages))
	}
	build, rt := d.stages[0], d.stages[1]

	// Build stage: the Go of go.mod, a static, stamped, reproducible binary.
	if build.Name != "build" {
		t.Errorf("first stage is %q, want build", build.Name)
	}
	if want := "golang:" + goVersion(t) + "-"; !strings.HasPrefix(build.BaseName, want) {
		t.Errorf("build stage FROM %s, want %s* (go.mod's go version)", build.BaseName, want)
	}
	cmd, out := buildCommand(t, build)
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=${VERSION}", "./cmd/piiscan"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("go build command lacks %q: %s", want, cmd)
		}
	}
	if !slices.ContainsFunc(commands[*instructions.ArgCommand](build), func(a *instructions.ArgCommand) bool {
		return slices.ContainsFunc(a.Args, func(kv instructions.KeyValuePairOptional) bool { return kv.Key == "VERSION" })
	}) {
		t.Error("the build stage has no ARG VERSION")
	}

	// Runtime stage: minimal, non-root, no shell, the default policy.
	if !strings.HasPrefix(rt.BaseName, "gcr.io/distroless/static-") || !strings.HasSuffix(rt.BaseName, ":nonroot") {
		t.Errorf("runtime FROM %s, want gcr.io/distroless/static-*:nonroot (CA certificates and time zones, no shell)", rt.BaseName)
	}
	if runs := commands[*instructions.RunCommand](rt); len(runs) > 0 {
		t.Errorf("the runtime stage has RUN instructions but no shell: %v", runs[0])
	}
	users := commands[*instructions.UserCommand](rt)
	if len(users) == 0 {
		t.Fatal("the runtime stage sets no USER")
	}
	// Numeric, so that Kubernetes' runAsNonRoot can check it.
	if u := users[len(users)-1].User; u != runAsUser+":"+runAsUser {
		t.Errorf("USER %s, want %s:%s", u, runAsUser, runAsUser)
	}
	eps := commands[*instructions.EntrypointCommand](rt)
	if len(eps) != 1 || eps[0].PrependShell || !slices.Equal(eps[0].CmdLine, []string{"piiscan"}) {
		t.Errorf(`want ENTRYPOINT ["piiscan"] in exec form, got %v`, eps)
	}
	copies := map[string]*instructions.CopyCommand{}
	for _, c := range commands[*instructions.CopyCommand](rt) {
		copies[c.DestPath] = c
	}
	if c := copies[binaryPath]; c == nil || c.From != "build" || !slices.Equal(c.SourcePaths, []string{out}) {
		t.Errorf("want COPY --from=build %s %s, got %+v", out, binaryPath, c)
	}
	if c := copies[rulesPath]; c == nil || c.From != "" || !slices.Equal(c.SourcePaths, []string{"rules.yaml"}) {
		t.Errorf("want COPY rules.yaml %s, got %+v", rulesPath, c)
	}
	if c := copies[dataDir]; c == nil || c.Chown != runAsUser+":"+runAsUser {
		t.Errorf("%s must be made writable for the user (COPY --chown=%s:%s), got %+v", dataDir, runAsUser, runAsUser, c)
	}
	e := env(rt)
	for k, want := range map[string]string{
		"PIISCAN_CONFIG":        rulesPath,
		"PIISCAN_DAEMON_LISTEN": ":" + metricPort,
		"XDG_CONFIG_HOME":       dataDir + "/config", // the fingerprint key file
		"PIISCAN_LOG_FORMAT":    "json",
	} {
		if e[k] != want {
			t.Errorf("ENV %s=%q, want %q", k, e[k], want)
		}
	}
	wd := commands[*instructions.WorkdirCommand](rt)
	if len(wd) == 0 || wd[len(wd)-1].Path != dataDir {
		t.Errorf("WORKDIR must be %s: state, audit log and quarantine are relative to it", dataDir)
	}
	vols := commands[*instructions.VolumeCommand](rt)
	if len(vols) != 1 || !slices.Contains(vols[0].Volumes, dataDir) {
		t.Errorf("want VOLUME [%q], got %v", dataDir, vols)
	}
	exp := commands[*instructions.ExposeCommand](rt)
	if len(exp) != 1 || !slices.Equal(exp[0].Ports, []string{metricPort}) {
		t.Errorf("want EXPOSE %s, got %v", metricPort, exp)
	}
}

// buildContext copies the files the strictest builder (the classic one of
// Docker 20.10) would send, .dockerignore applied, to a new directory;
// TestDockerignoreContext checks that every builder sends the same.
func buildContext(t *testing.T) string {
	t.Helper()
	b := builders[len(builders)-1]
	files, err := b.contextFiles(repo, readDockerignore(t))
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	for f := range files {
		if slices.Contains(buildFiles, f) {
			continue // the daemon drops them before the build
		}
		b, err := os.ReadFile(filepath.Join(repo, f))
		if err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(dst, f)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(target, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// The binary built with the Dockerfile's own command, from the context
// .dockerignore leaves, is static, stamped and works the three ways the
// image is used, writing only under its working directory.
func TestDockerBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the release binary")
	}
	d := parseDockerfile(t)
	build, rt := d.stages[0], d.stages[1]
	cmdline, out := buildCommand(t, build)
	ctxDir := buildContext(t)
	bin := filepath.Join(t.TempDir(), "piiscan")
	// The one change: the output lands in the test's directory, not /out.
	cmdline = strings.Replace(cmdline, " -o "+out+" ", " -o "+bin+" ", 1)
	const version = "v0.0.0-test+container"
	sh := exec.Command("sh", "-c", cmdline)
	sh.Dir = ctxDir // WORKDIR /src after COPY . .
	sh.Env = append(os.Environ(), "VERSION="+version)
	if b, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmdline, err, b)
	}

	// Static: no interpreter, no shared libraries.
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary asks for a dynamic loader")
		}
	}
	if libs, _ := ef.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs %v", libs)
	}
	ef.Close()
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" {
		t.Errorf("build settings %v", settings)
	}

	// Run it as the image does: its ENV, its working directory, its
	// policy; HOME somewhere that must stay untouched.
	work := t.TempDir()
	home := t.TempDir()
	rules := filepath.Join(ctxDir, "rules.yaml")
	before := listFiles(t, ctxDir)
	imageEnv := []string{"HOME=" + home, "PATH=/usr/bin:/bin", "TMPDIR=" + t.TempDir()}
	for k, v := range env(rt) {
		v = strings.Replace(v, rulesPath, rules, 1)
		v = strings.Replace(v, dataDir, work, 1)
		imageEnv = append(imageEnv, k+"="+v)
	}
	// A fresh volume: the image's config directory is hidden by it.
	piiscan := func(args ...string) *exec.Cmd {
		c := exec.Command(bin, args...)
		c.Dir = work
		c.Env = imageEnv
		return c
	}
	b, err := piiscan("version").CombinedOutput()
	if err != nil || !strings.Contains(string(b), version) {
		t.Errorf("version: %v %s", err, b)
	}

	// docker run … scan /data
	c := piiscan("scan", "--format", "jsonl", filepath.Join(ctxDir, "examples"))
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err = c.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || stdout.Len() == 0 {
		t.Errorf("scan: %v\n%s", err, stderr.String())
	}
	if strings.Contains(stdout.String(), "4111 1111 1111 1111") {
		t.Error("scan printed a raw card number")
	}

	// docker run … run JOB (the image's own rules.yaml and its jobs).
	// Its locations (/var/log/nginx, ...) need not exist here: exit 3
	// says so, as it would in a container without those volumes.
	c = piiscan("run", "nightly-purge")
	b, err = c.CombinedOutput()
	if err != nil && (!errors.As(err, &ee) || ee.ExitCode() != 3) {
		t.Errorf("run nightly-purge: %v\n%s", err, b)
	}
	if _, err := os.Stat(filepath.Join(work, "piiscan-state.db")); err != nil {
		t.Errorf("the state is not in the working directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(work, "config", "piiscan", "fingerprint.key")); err != nil {
		t.Errorf("the fingerprint key is not kept in the data volume: %v", err)
	}

	// docker run … daemon: probes answer on the exposed port, SIGTERM
	// stops it cleanly.
	port := freePort(t)
	c = piiscan("daemon")
	c.Env = append(slices.Clone(imageEnv), "PIISCAN_DAEMON_LISTEN=127.0.0.1:"+port)
	logs, _ := c.StderrPipe()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, bufio.NewReader(logs))
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		if err := waitHTTP("http://127.0.0.1:"+port+path, 10*time.Second); err != nil {
			t.Errorf("daemon %s: %v", path, err)
		}
	}
	c.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("daemon after SIGTERM: %v", err)
		}
	case <-time.After(35 * time.Second):
		c.Process.Kill()
		t.Error("daemon did not stop on SIGTERM")
	}

	// A read-only root file system only works when nothing is written
	// outside the data directory (and TMPDIR).
	if entries, _ := os.ReadDir(home); len(entries) > 0 {
		t.Errorf("wrote into HOME: %v", entries)
	}
	if after := listFiles(t, ctxDir); !slices.Equal(after, before) {
		t.Errorf("wrote into the image's files: %v", after)
	}
}

// listFiles lists the files under dir.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

func waitHTTP(url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}
