package s3test

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestServer(t *testing.T) {
	s := Start(t)
	s.Bucket(t, "logs")
	s.Put(t, "logs", "a/b.log", []byte("hello\n"))
	out, err := s.Client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String("a/b.log")})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(out.Body)
	if string(data) != "hello\n" {
		t.Errorf("got %q", data)
	}
	s.Stop()
	s.Restart()
	if _, err := s.Client().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("logs"), Key: aws.String("a/b.log")}); err != nil {
		t.Errorf("after restart: %v", err)
	}
}

// TestCIInstallsThisVersion keeps .ci/run's pinned versitygw in step with
// the one the harness installs.
func TestCIInstallsThisVersion(t *testing.T) {
	data, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), Module+"@"+Version) {
		t.Errorf(".ci/run does not install %s@%s", Module, Version)
	}
}
