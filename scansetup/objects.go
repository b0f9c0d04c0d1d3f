package scansetup

import (
	"context"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/scanners/bucket"
)

// s3Options returns the object storage access the s3.* settings give (of
// rules.yaml, the environment and, for commands, their flags); the caller
// adds its filters.
func s3Options(set *config.Settings) (bucket.Options, error) {
	pathStyle, err := set.Bool("s3.path_style")
	if err != nil {
		return bucket.Options{}, err
	}
	attempts, err := set.S3MaxAttempts()
	if err != nil {
		return bucket.Options{}, err
	}
	conc, err := set.S3Concurrency()
	if err != nil {
		return bucket.Options{}, err
	}
	return bucket.Options{Region: set.String("s3.region"), Profile: set.String("s3.profile"),
		Endpoint: set.String("s3.endpoint_url"), PathStyle: pathStyle, MaxAttempts: attempts, Concurrency: conc}, nil
}

// ObjectClient returns an S3 client configured by the s3.* settings.
func ObjectClient(ctx context.Context, set *config.Settings) (*bucket.Client, error) {
	opts, err := s3Options(set)
	if err != nil {
		return nil, err
	}
	return bucket.New(ctx, opts)
}

// ObjectsFor returns an S3 client configured by the s3.* settings when
// one of paths is in a bucket, and nil otherwise.
func ObjectsFor(ctx context.Context, set *config.Settings, paths []string) (*bucket.Client, error) {
	if len(objectPaths(paths...)) == 0 {
		return nil, nil
	}
	return ObjectClient(ctx, set)
}

// objectPaths returns those of paths that are in a bucket (s3:// URLs),
// in order. It is the one place package scansetup tells them from local
// paths, to decide whether what it builds needs an S3 client (Setup.Build,
// ObjectsFor, NewSharding); the roots of the locations were told apart
// when rules.yaml was loaded (objectRoots).
func objectPaths(paths ...string) []string {
	var objects []string
	for _, p := range paths {
		if itempath.IsObject(p) {
			objects = append(objects, p)
		}
	}
	return objects
}

// LocationRoots returns the roots of every location of c, as written.
func LocationRoots(c *config.Config) []string {
	var roots []string
	for _, l := range c.Locations {
		roots = append(roots, l.Roots()...)
	}
	return roots
}

// objectRoots returns the roots of every location of c that are bucket
// prefixes, in the order of LocationRoots.
func objectRoots(c *config.Config) []string {
	var roots []string
	for _, l := range c.Locations {
		roots = append(roots, l.ObjectRoots()...)
	}
	return roots
}
