package s3test

import (
	"context"
	"io"
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
