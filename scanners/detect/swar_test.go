package detect

import (
	"math/rand/v2"
	"testing"
)

func TestAlnumEnd(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte("abcXYZ019_-.@ :\x00\x7f\x80\xc3\xa9\x10\x19`{[/")
	for n := 0; n < 5000; n++ {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		for i := 0; i <= len(b); i++ {
			want := i
			for want < len(b) && isAlnum[b[want]] {
				want++
			}
			if got := alnumEnd(b, i); got != want {
				t.Fatalf("alnumEnd(%q, %d) = %d, want %d", b, i, got, want)
			}
		}
	}
}
