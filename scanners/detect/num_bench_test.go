package detect

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// numberLog builds about size bytes of number-heavy lines: contact records
// with phone numbers of several countries (in repeated and fresh values),
// labelled and unlabelled SSN-shaped values, card numbers, order ids,
// dates, zip codes and durations.
func numberLog(size int) []byte {
	r := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	for b.Len() < size {
		switch k := r.IntN(10); {
		case k < 3:
			fmt.Fprintf(&b, "{\"ts\":\"2026-11-30T10:%02d:%02d.%03dZ\",\"id\":%d,\"country\":\"JP\",\"phone\":\"090-%04d-%04d\",\"office\":\"+81 3-%04d-%04d\",\"zip\":\"100-%04d\"}\n",
				r.IntN(60), r.IntN(60), r.IntN(1000), r.IntN(1e9), r.IntN(1e4), r.IntN(1e4), r.IntN(1e4), r.IntN(1e4), r.IntN(1e4))
		case k < 5:
			fmt.Fprintf(&b, "2026-11-30 10:%02d:%02d INFO order=%09d zip=%09d took=%dms phone=(212) 555-01%02d x%d ssn=078 05 %04d\n",
				r.IntN(60), r.IntN(60), r.IntN(1e9), r.IntN(1e9), r.IntN(5000), r.IntN(100), r.IntN(1000), 1000+r.IntN(9000))
		case k < 7:
			fmt.Fprintf(&b, "%d,Alice,+44 20 7946 %04d,GB,%s,4111 1111 1111 1111,%d.%02d,2026-12-%02d\n",
				r.IntN(1e6), r.IntN(1e4), "00"+fmt.Sprint(r.IntN(1e6)), r.IntN(1000), r.IntN(100), 1+r.IntN(28))
		default:
			fmt.Fprintf(&b, "GET /pay?order=%d&card=4111+1111+1111+1111&ref=1%014d&t=%d HTTP/1.1\" 302 0 rt=0.%03d\n",
				r.IntN(1e9), r.Int64N(1e14), 1700000000+r.IntN(1e8), r.IntN(1000))
		}
	}
	return []byte(b.String())
}

// BenchmarkNumberHeavy scans number-heavy lines with every built-in
// detector on.
func BenchmarkNumberHeavy(b *testing.B) {
	benchScanText(b, allBuiltins(b), numberLog(2<<20))
}
