package detect

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

// sampleLog builds about size bytes of mixed log lines, with personal data
// at roughly the rates of a real application log: mostly nginx access lines
// and JSON application lines, some syslog, and a few lines with emails,
// cards, phones and SSNs.
func sampleLog(size int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	paths := []string{"/", "/api/v1/orders", "/static/app.js", "/healthz", "/login", "/search?q=shoes"}
	for b.Len() < size {
		switch k := r.IntN(100); {
		case k < 40:
			fmt.Fprintf(&b, "%d.%d.%d.%d - - [10/Oct/2024:13:%02d:%02d +0000] \"GET %s HTTP/1.1\" 200 %d \"-\" \"Mozilla/5.0 (X11; Linux x86_64) Chrome/119.0.0.0\" rt=0.%03d\n",
				1+r.IntN(223), r.IntN(256), r.IntN(256), 1+r.IntN(254), r.IntN(60), r.IntN(60), paths[r.IntN(len(paths))], r.IntN(90000), r.IntN(1000))
		case k < 75:
			fmt.Fprintf(&b, "{\"ts\":\"2024-03-%02dT10:%02d:%02d.%03dZ\",\"level\":\"info\",\"svc\":\"checkout\",\"req_id\":\"%016x\",\"msg\":\"request completed\",\"user_id\":%d,\"latency_ms\":%d}\n",
				1+r.IntN(28), r.IntN(60), r.IntN(60), r.IntN(1000), r.Uint64(), r.IntN(1e7), r.IntN(5000))
		case k < 95:
			fmt.Fprintf(&b, "Jun 14 15:16:01 combo sshd(pam_unix)[%d]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4\n", r.IntN(30000))
		case k < 97:
			fmt.Fprintf(&b, "{\"ts\":\"2024-03-01T10:00:00Z\",\"msg\":\"password reset requested\",\"email\":\"user%d@example.com\"}\n", r.IntN(1e4))
		case k < 98:
			fmt.Fprintf(&b, "{\"ts\":\"2024-03-01T10:00:00Z\",\"msg\":\"payment authorized\",\"card\":\"4111 1111 1111 1111\",\"amount_cents\":%d}\n", r.IntN(1e5))
		case k < 99:
			fmt.Fprintf(&b, "{\"ts\":\"2024-03-01T10:00:00Z\",\"msg\":\"sms verification sent\",\"phone\":\"(415) 555-01%02d\"}\n", r.IntN(100))
		default:
			fmt.Fprintf(&b, "{\"ts\":\"2024-03-01T10:00:00Z\",\"msg\":\"order created\",\"order_id\":\"%d\"}\n", 1e15+r.Int64N(8e15))
		}
	}
	return []byte(b.String())
}

// clusterLog builds about size bytes of the logs of a Hadoop cluster and a
// Windows host: Java's host/address forms, ZooKeeper's 0.0.0.0 bind
// address and CBS component identities full of dotted versions.
func clusterLog(size int) []byte {
	r := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	for b.Len() < size {
		switch k := r.IntN(4); k {
		case 0:
			fmt.Fprintf(&b, "2026-11-29 21:04:%02d,%03d INFO [main] org.apache.hadoop.yarn.client.RMProxy: Connecting to ResourceManager at yarn-rm-%02d/10.20.%d.%d:8030\n",
				r.IntN(60), r.IntN(1000), r.IntN(100), r.IntN(256), 1+r.IntN(254))
		case 1:
			fmt.Fprintf(&b, "2026-11-30 06:00:%02d,%03d - INFO  [NIOServerCxn.Factory:0.0.0.0/0.0.0.0:2181:NIOServerCnxnFactory@197] - Accepted socket connection from /10.40.%d.%d:%d\n",
				r.IntN(60), r.IntN(1000), r.IntN(256), 1+r.IntN(254), 1024+r.IntN(60000))
		default:
			fmt.Fprintf(&b, "2026-11-28 02:11:%02d, Info                  CBS    Read out cached package applicability for package: Package_for_KB%d~31bf3856ad364e35~amd64~~6.1.%d.%d, ApplicableState: 112, CurrentState:112\n",
				r.IntN(60), 3000000+r.IntN(1000000), r.IntN(10), r.IntN(10))
		}
	}
	return []byte(b.String())
}

// BenchmarkScanClusterLog measures every built-in detector on clusterLog,
// where most digit runs are dotted quads the IPv4 parser examines.
func BenchmarkScanClusterLog(b *testing.B) {
	benchScanText(b, allBuiltins(b), clusterLog(4<<20))
}

func benchEngine(b *testing.B, rules []Rule) {
	e, err := New(rules, Options{})
	if err != nil {
		b.Fatal(err)
	}
	benchScan(b, e)
}

func benchScan(b *testing.B, e *Engine) { benchScanText(b, e, sampleLog(4<<20)) }

// benchScanText measures one scanner of e scanning text whole.
func benchScanText(b *testing.B, e *Engine, text []byte) {
	s := e.NewMatcher()
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		s.Scan(text, nil)
	}
}

// BenchmarkScanAll measures the engine with every built-in detector on.
func BenchmarkScanAll(b *testing.B) { benchScan(b, allBuiltins(b)) }

// BenchmarkDetector measures each built-in detector on its own (the
// prefilter pass is shared, so each includes its cost).
func BenchmarkDetector(b *testing.B) {
	for _, d := range catalog.Detectors() {
		b.Run(d.Name, func(b *testing.B) {
			benchEngine(b, []Rule{{ID: d.Name, Detector: d.Name, Severity: finding.SeverityHigh}})
		})
	}
}

// BenchmarkScanFile scans the file named by PIISCAN_BENCH_FILE (for example
// a part of the corpus bench/run.sh builds) with every built-in detector.
func BenchmarkScanFile(b *testing.B) {
	path := os.Getenv("PIISCAN_BENCH_FILE")
	if path == "" {
		b.Skip("set PIISCAN_BENCH_FILE to a log file")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	s := allBuiltins(b).NewMatcher()
	const chunk = 512 << 10
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		for off := 0; off < len(data); {
			end := min(off+chunk, len(data))
			if nl := bytes.LastIndexByte(data[off:end], '\n'); nl >= 0 && end < len(data) {
				end = off + nl + 1
			}
			s.Scan(data[off:end], nil)
			off = end
		}
	}
}
