package scanners

import (
	"fmt"
	"strings"
	"testing"
)

func TestValueCache(t *testing.T) {
	vc := &valueCache{}
	a := cachedValue{"1.2.*.*", "aa"}
	if _, ok := vc.lookup("ip_address", []byte("1.2.3.4")); ok {
		t.Fatal("hit in an empty cache")
	}
	vc.store(a)
	if v, ok := vc.lookup("ip_address", []byte("1.2.3.4")); !ok || v != a {
		t.Fatalf("lookup after store = %v, %v; want %v, true", v, ok, a)
	}
	// The class is part of the key.
	if _, ok := vc.lookup("phone_number", []byte("1.2.3.4")); ok {
		t.Error("a value of another class hit")
	}
	// A value too long to cache is looked up and stored as nothing.
	long := []byte(strings.Repeat("x", maxCachedValue+1))
	if _, ok := vc.lookup("credential", long); ok {
		t.Error("a long value hit")
	}
	vc.store(cachedValue{"x", "x"})
	if _, ok := vc.lookup("credential", long); ok {
		t.Error("a long value was stored")
	}
	// A hit returns the value stored for that key, also after the cache
	// has started over: fill it three times over (each value looked up
	// twice, so that it does not pause) and check every hit.
	vc = &valueCache{}
	want := map[string]cachedValue{}
	for i := range 3 * valueCacheSize {
		raw := []byte(fmt.Sprintf("10.0.%d.%d", i/256, i%256))
		if v, ok := vc.lookup("ip_address", raw); ok {
			t.Fatalf("%s hit before it was stored: %v", raw, v)
		}
		v := cachedValue{string(raw) + " masked", string(raw) + " fp"}
		vc.store(v)
		want[string(raw)] = v
		if got, ok := vc.lookup("ip_address", raw); !ok || got != v {
			t.Fatalf("%s just stored: got %v, %v", raw, got, ok)
		}
	}
	if vc.paused > 0 {
		t.Fatal("the cache paused at a hit rate of one half")
	}
	hits := 0
	for raw, w := range want {
		if v, ok := vc.lookup("ip_address", []byte(raw)); ok {
			hits++
			if v != w {
				t.Fatalf("%s: got %v, want %v", raw, v, w)
			}
		}
	}
	if hits == 0 || hits > valueCacheSize {
		t.Errorf("%d of %d values hit in a cache of %d", hits, len(want), valueCacheSize)
	}
}

// A cache that rarely hits pauses: lookups miss without looking, and
// stores do nothing, until the pause ends.
func TestValueCachePauses(t *testing.T) {
	vc := &valueCache{}
	for i := range valueCacheSize {
		vc.lookup("email", fmt.Appendf(nil, "u%d@example.com", i))
		vc.store(cachedValue{"m", "f"})
	}
	if vc.paused == 0 {
		t.Fatal("a cache with no hits did not pause")
	}
	vc.lookup("email", []byte("u1@example.com"))
	vc.store(cachedValue{"m", "f"})
	if _, ok := vc.lookup("email", []byte("u1@example.com")); ok {
		t.Error("a paused cache hit")
	}
}
