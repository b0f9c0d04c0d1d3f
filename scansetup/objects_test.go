package scansetup

import (
	"slices"
	"testing"
)

// Only s3:// URLs need an S3 client.
func TestObjectPaths(t *testing.T) {
	for _, tc := range []struct {
		paths, want []string
	}{
		{nil, nil},
		{[]string{"/var/log", "-", "./s3:", ""}, nil},
		{[]string{"/var/log", "s3://b/logs/", "s3://", "s3:/x"}, []string{"s3://b/logs/", "s3://"}},
	} {
		if got := objectPaths(tc.paths...); !slices.Equal(got, tc.want) {
			t.Errorf("objectPaths(%q) = %q, want %q", tc.paths, got, tc.want)
		}
	}
}
