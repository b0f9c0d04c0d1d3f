package itempath

import (
	"fmt"
	"strings"
)

// Scheme starts the paths of objects in object storage.
const Scheme = "s3://"

// IsObject reports whether p names object storage (starts with Scheme).
func IsObject(p string) bool { return strings.HasPrefix(p, Scheme) }

// ParseObject splits s3://bucket/prefix. The prefix (or key) is everything
// after the bucket's slash, byte for byte: keys are arbitrary UTF-8, and a
// '%', '?', '#', '+', '!' or space in one is part of the key, never an
// escape, a query or an archive member separator.
func ParseObject(u string) (bucket, prefix string, err error) {
	if !IsObject(u) {
		return "", "", fmt.Errorf("%q is not an s3:// URL", u)
	}
	rest := strings.TrimPrefix(u, Scheme)
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%q names no bucket", u)
	}
	return bucket, prefix, nil
}

// Object returns the path of the object key in bucket: s3://bucket/key.
func Object(bucket, key string) string { return Scheme + bucket + "/" + key }
