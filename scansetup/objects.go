package scansetup

import (
	"context"
	"slices"

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
	if !slices.ContainsFunc(paths, itempath.IsObject) {
		return nil, nil
	}
	return ObjectClient(ctx, set)
}

// LocationRoots returns the roots of every location of c, as written.
func LocationRoots(c *config.Config) []string {
	var roots []string
	for _, l := range c.Locations {
		roots = append(roots, l.Roots()...)
	}
	return roots
}
