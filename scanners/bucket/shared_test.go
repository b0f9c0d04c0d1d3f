package bucket_test

import (
	"fmt"
	"testing"

	"github.com/piiscan/piiscan/internal/s3test"
)

// shared is the bucket the tests of TestSharedServer share: sharedKeys
// (k/00000.log ..., three pages of a listing), each with one e-mail
// address, and sharedOthers around them, which a listing of k/ leaves
// out. Tests only read it.
const shared = "shared"

var (
	sharedKeys, sharedOthers []string
)

func init() {
	for i := range 2100 {
		sharedKeys = append(sharedKeys, fmt.Sprintf("k/%05d.log", i))
	}
	for i := range 20 {
		sharedOthers = append(sharedOthers, fmt.Sprintf("a/%02d.log", i), fmt.Sprintf("k%02d.log", i), fmt.Sprintf("z/%02d.log", i))
	}
}

// TestSharedServer runs the tests that need no server of their own on one
// server, in parallel, each through a fault proxy of its own (an outage
// of one proxy is no outage for the others): starting servers and
// filling a bucket of thousands of objects for each took longer than most
// of the tests. Tests that stop the server have their own.
func TestSharedServer(t *testing.T) {
	t.Parallel()
	s := s3test.Start(t)
	s.Bucket(t, shared)
	putMany(t, s, shared, sharedKeys, func(i int) []byte { return []byte(fmt.Sprintf("u%d@example.com\n", i)) })
	putMany(t, s, shared, sharedOthers, func(i int) []byte { return []byte("x\n") })
	for _, tt := range []struct {
		name string
		test func(*testing.T, *s3test.Server)
	}{
		{"ListPagination", testListPagination},
		{"ScanBucket", testScanBucket},
		{"ScanSurvivesThrottlingAndResets", testScanSurvivesThrottlingAndResets},
		{"ScanSurvivesConnectionResets", func(t *testing.T, s *s3test.Server) {
			scanThroughOutage(t, s, shared, len(sharedKeys), false)
		}},
		{"ListResumesAfterOutage", testListResumesAfterOutage},
		{"ListGivesUp", testListGivesUp},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.test(t, s)
		})
	}
}
