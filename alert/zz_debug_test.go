package alert

import (
	"fmt"
	"testing"
)

func TestZZDebug(t *testing.T) {
	s := Summarize("nightly", "security", "scan01", testTime, testViolations())
	fmt.Println(s.Subject())
	fmt.Print(s.Text())
	fmt.Println(slackText(s))
	l := &syslogSink{facility: 4, appName: "piiscan", hostname: "scan01"}
	fmt.Println(l.format(s, 123))
	e, _ := newEmail(emailRoute("127.0.0.1:25").Email, Options{Hostname: "h.example"})
	fmt.Printf("%s\n", e.message(s, testTime))
}
