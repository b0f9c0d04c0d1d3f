package alert

import (
	"testing"

	"github.com/piiscan/piiscan/config"
)

// validSink returns the validated sink settings of r, as config.Parse
// builds them.
func validSink(t *testing.T, r *config.Route) config.Sink {
	t.Helper()
	s, err := r.ValidateSink()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
