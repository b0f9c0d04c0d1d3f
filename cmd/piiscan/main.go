// Command piiscan finds personal data in logs, backups and object storage
// and enforces a written privacy policy on them.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/report"
)

// Exit codes. They are documented in the README; automation relies on them.
const (
	exitOK         = 0 // nothing at or above --fail-on
	exitFindings   = 1 // findings at or above --fail-on
	exitUsage      = 2 // usage or configuration error
	exitUnreadable = 3 // the scan finished but some inputs could not be read
	exitSignal     = 130
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error // printed when not nil
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func usageError(err error) error { return &exitError{code: exitUsage, err: err} }

func main() {
	tuneGC()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// memoryLimitEnv holds the container's memory limit in bytes, as the
// Kubernetes manifests set it from limits.memory with the downward API.
const memoryLimitEnv = "PIISCAN_MEMORY_LIMIT"

// tuneGC trades a little memory for much less garbage-collection work.
// A scan's live heap is small (chunk buffers and counters) while it
// allocates a few short-lived strings per finding, so the default GOGC=100
// collects very often. GOGC and GOMEMLIMIT, when set, take precedence.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// A soft limit: the collector works harder near it rather than
		// letting the heap grow with GOGC=400 on big scans. Under a
		// container's memory limit it is nine tenths of it, leaving the
		// rest for what the container is charged beyond the Go runtime
		// (the page cache of spool files, the state's memory map).
		limit := int64(64+4*runtime.GOMAXPROCS(0)) << 20
		if n, err := strconv.ParseInt(os.Getenv(memoryLimitEnv), 10, 64); err == nil && n > 0 {
			limit = n / 10 * 9
		}
		debug.SetMemoryLimit(limit)
	}
}

// run runs the command line args and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g := &globalFlags{stderr: stderr}
	root := newRootCmd(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if g.stopProf != nil {
		g.stopProf()
	}
	if err == nil {
		return exitOK
	}
	var ee *exitError
	var ce *config.Error
	var ces config.Errors
	switch {
	case errors.As(err, &ee):
		if ee.err != nil {
			fmt.Fprintf(stderr, "piiscan: %v\n", escapeError(ee.err))
		}
		return ee.code
	case errors.As(err, &ces), errors.As(err, &ce):
		// One error per line; each line escaped, as the names in
		// them (a --config path, a key file) may hold anything.
		lines := strings.Split(err.Error(), "\n")
		for i, l := range lines {
			lines[i] = report.Safe(l)
		}
		fmt.Fprintf(stderr, "piiscan: invalid configuration:\n%s\n", strings.Join(lines, "\n"))
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "piiscan: interrupted")
		return exitSignal
	}
	// Errors quote names of files and objects, which anyone may choose.
	fmt.Fprintf(stderr, "piiscan: %v\n", escapeError(err))
	return exitUsage
}

type globalFlags struct {
	config     string
	logLevel   string
	logFormat  string
	cpuProfile string
	stopProf   func()
	stderr     io.Writer
}

func newRootCmd(g *globalFlags) *cobra.Command {
	root := &cobra.Command{
		Use:   "piiscan",
		Short: "Find personal data in logs, backups and object storage, and enforce a privacy policy on it",
		Long: `piiscan scans server logs, backups and archives for the personal data a
privacy policy talks about (emails, IP addresses, card numbers, phone
numbers, SSNs, credentials, health data) and reports it masked, with a keyed
fingerprint, never the raw value unless you ask with --reveal.

The policy is rules.yaml: ./rules.yaml if present, else --config or
PIISCAN_CONFIG, else the built-in default.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if err := setupLogging(g); err != nil {
				return err
			}
			return startProfile(g)
		},
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError(fmt.Errorf("%w (see %s --help)", err, cmd.CommandPath()))
	})
	pf := root.PersistentFlags()
	pf.StringVar(&g.config, "config", os.Getenv("PIISCAN_CONFIG"), "policy file (default ./rules.yaml, else the built-in one) [PIISCAN_CONFIG]")
	pf.StringVar(&g.logLevel, "log-level", envOr("PIISCAN_LOG_LEVEL", "warn"), "log level: debug, info, warn, error [PIISCAN_LOG_LEVEL]")
	pf.StringVar(&g.logFormat, "log-format", envOr("PIISCAN_LOG_FORMAT", "text"), "log format: text or json [PIISCAN_LOG_FORMAT]")
	pf.StringVar(&g.cpuProfile, "cpuprofile", "", "write a CPU profile to FILE (for performance reports)")
	pf.MarkHidden("cpuprofile")
	root.AddCommand(newScanCmd(g), newRulesCmd(g), newPurgeCmd(g), newRedactCmd(g), newEraseCmd(g), newAuditCmd(g), newDaemonCmd(g), newRunCmd(g), newReportCmd(g), newVersionCmd())
	return root
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// startProfile starts CPU profiling when --cpuprofile is set.
func startProfile(g *globalFlags) error {
	if g.cpuProfile == "" {
		return nil
	}
	f, err := os.Create(g.cpuProfile)
	if err != nil {
		return usageError(fmt.Errorf("--cpuprofile: %w", err))
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return usageError(fmt.Errorf("--cpuprofile: %w", err))
	}
	g.stopProf = func() {
		pprof.StopCPUProfile()
		f.Close()
	}
	return nil
}

// loggerFrom returns the logger commands log with.
func loggerFrom(*cobra.Command) *slog.Logger { return slog.Default() }

func setupLogging(g *globalFlags) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return usageError(fmt.Errorf("--log-level: %w", err))
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch g.logFormat {
	case "text":
		h = slog.NewTextHandler(g.stderr, opts)
	case "json":
		h = slog.NewJSONHandler(g.stderr, opts)
	default:
		return usageError(fmt.Errorf("--log-format: unknown format %q (want text or json)", g.logFormat))
	}
	slog.SetDefault(slog.New(h))
	return nil
}
