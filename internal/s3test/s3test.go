// Package s3test runs a real S3-compatible server for tests: versitygw
// with its posix backend on a temporary directory, listening on
// 127.0.0.1. When versitygw is not installed, it is installed with
// go install at a pinned version, so tests never skip for want of it.
//
// With PIISCAN_S3TEST_SERVER=minio the same tests run against a MinIO
// server (single drive) instead, to compare the behaviour of two S3
// implementations. The minio binary must then be on PATH or in
// $GOPATH/bin; it is not installed by the tests.
package s3test

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/piiscan/piiscan/internal/flock"
)

// Module and Version pin the server the tests run against.
const (
	Module  = "github.com/versity/versitygw/cmd/versitygw"
	Version = "v1.8.0"
)

// Credentials of the server's root user.
const (
	AccessKey = "piiscan-test"
	SecretKey = "piiscan-test-secret"
	Region    = "us-east-1"
)

// ServerEnv names the environment variable that selects the server
// implementation: "versitygw" (the default) or "minio".
const ServerEnv = "PIISCAN_S3TEST_SERVER"

var (
	installOnce sync.Once
	binPath     string
	installErr  error
)

// Binary returns the path of versitygw, installing it when needed.
func Binary(t testing.TB) string {
	t.Helper()
	installOnce.Do(func() {
		if minio() {
			binPath, installErr = findMinio()
			return
		}
		binPath, installErr = find()
	})
	if installErr != nil {
		t.Fatalf("%s: %v", Implementation(), installErr)
	}
	return binPath
}

// Implementation names the server implementation tests run against.
func Implementation() string {
	if minio() {
		return "minio"
	}
	return "versitygw"
}

func minio() bool { return os.Getenv(ServerEnv) == "minio" }

// lookBin returns where the program name is: on PATH, or else its path
// in $GOPATH/bin, where go install puts it (found reports whether it is
// there).
func lookBin(name string) (bin string, found bool, err error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, true, nil
	}
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return "", false, fmt.Errorf("go env GOPATH: %w", err)
	}
	bin = filepath.Join(strings.TrimSpace(strings.SplitN(string(gopath), string(os.PathListSeparator), 2)[0]), "bin", name)
	_, err = os.Stat(bin)
	return bin, err == nil, nil
}

func findMinio() (string, error) {
	bin, found, err := lookBin("minio")
	if err != nil {
		return "", err
	}
	if !found {
		return "", fmt.Errorf("%s=minio needs the minio binary on PATH or in $GOPATH/bin", ServerEnv)
	}
	return bin, nil
}

func find() (string, error) {
	bin, found, err := lookBin("versitygw")
	if err != nil || found {
		return bin, err
	}
	// Install once across concurrently running test binaries.
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "piiscan-versitygw-install.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := flock.Lock(lock); err != nil {
		return "", err
	}
	defer flock.Unlock(lock)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	cmd := exec.Command("go", "install", Module+"@"+Version)
	cmd.Env = append(os.Environ(), "GOBIN="+filepath.Dir(bin))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s@%s: %v\n%s", Module, Version, err, out)
	}
	return bin, nil
}

// Server is a running S3 server.
type Server struct {
	// Endpoint is the server's URL, http://127.0.0.1:PORT.
	Endpoint string
	// Dir is the directory the posix backend keeps buckets in.
	Dir  string
	addr string
	bin  string
	cmd  *exec.Cmd
	t    testing.TB
	// versions holds noncurrent versions of buckets with versioning
	// turned on (PutBucketVersioning).
	versions string
}

// Start starts a server for the test; it is stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{Dir: t.TempDir(), versions: t.TempDir(), bin: Binary(t), t: t}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	l.Close()
	s.Endpoint = "http://" + s.addr
	s.start()
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start() {
	s.t.Helper()
	if minio() {
		s.cmd = exec.Command(s.bin, "server", "--address", s.addr, "--quiet", s.Dir)
		s.cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+AccessKey, "MINIO_ROOT_PASSWORD="+SecretKey,
			"MINIO_REGION="+Region, "MINIO_BROWSER=off", "MINIO_UPDATE=off")
	} else {
		s.cmd = exec.Command(s.bin, "--access", AccessKey, "--secret", SecretKey, "--region", Region,
			"--port", s.addr, "--quiet", "posix", "--versioning-dir", s.versions, s.Dir)
	}
	if testing.Verbose() {
		s.cmd.Stdout, s.cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("starting %s: %v", Implementation(), err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", s.addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			if _, err := s.Client().ListBuckets(context.Background(), &s3.ListBucketsInput{}); err == nil {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.Stop()
	s.t.Fatalf("%s did not come up on %s", Implementation(), s.addr)
}

// Stop stops the server.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

// Restart starts a stopped server again on the same address and data.
func (s *Server) Restart() { s.start() }

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// Client returns an S3 client for the server.
func (s *Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	})
}

// Env sets the AWS environment a piiscan under test uses to reach the
// server.
func (s *Server) Env(t testing.TB) {
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretKey)
	t.Setenv("AWS_REGION", Region)
	t.Setenv("AWS_ENDPOINT_URL", s.Endpoint)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// Bucket creates a bucket.
func (s *Server) Bucket(t testing.TB, name string) {
	t.Helper()
	if _, err := s.Client().CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
}

// Put stores an object.
func (s *Server) Put(t testing.TB, bucket, key string, data []byte) {
	t.Helper()
	_, err := s.Client().PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(string(data)),
	})
	if err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
}

// Get reads an object.
func (s *Server) Get(t testing.TB, bucket, key string) []byte {
	t.Helper()
	out, err := s.Client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("get %s/%s: %v", bucket, key, err)
	}
	return b
}
