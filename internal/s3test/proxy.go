package s3test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Proxy sits in front of a Server and injects the faults a real server
// does not produce on demand: throttling (503 SlowDown), connections
// reset in the middle of a response, and outages. It also counts requests.
type Proxy struct {
	// Endpoint is the proxy's URL; point clients at it.
	Endpoint string
	srv      *httptest.Server

	mu sync.Mutex
	// SlowDown makes the next n requests fail with 503 SlowDown.
	slowDown int
	// cut resets the connection of the next GET whose path has this
	// suffix after cutAfter bytes of body.
	cut      string
	cutAfter int64
	// deny answers 403 AccessDenied to requests with this query key.
	deny string
	// down resets the connection of every request until then.
	down     time.Time
	resets   int
	requests map[string]int // "GET /bucket/key" -> count
}

// NewProxy starts a proxy in front of s for the test.
func NewProxy(t testing.TB, s *Server) *Proxy {
	target, _ := url.Parse(s.Endpoint)
	rp := httputil.NewSingleHostReverseProxy(target)
	p := &Proxy{requests: map[string]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.requests[r.Method+" "+r.URL.Path]++
		throttle := p.slowDown > 0
		if throttle {
			p.slowDown--
		}
		cut := r.Method == http.MethodGet && p.cut != "" && strings.HasSuffix(r.URL.Path, p.cut) && r.Header.Get("Range") == ""
		after := p.cutAfter
		if cut {
			p.cut = ""
		}
		denied := p.deny != "" && r.URL.Query().Has(p.deny)
		down := time.Now().Before(p.down)
		if down {
			p.resets++
		}
		p.mu.Unlock()
		if down {
			reset(w)
			return
		}
		if denied {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
			return
		}
		if throttle {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
			return
		}
		if cut {
			rp.ServeHTTP(&cutWriter{ResponseWriter: w, left: after}, r)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	p.Endpoint = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

// Deny makes requests with the query key (e.g. "legal-hold") fail with
// 403 AccessDenied, as under an IAM policy that lacks the permission;
// "" stops it.
func (p *Proxy) Deny(query string) {
	p.mu.Lock()
	p.deny = query
	p.mu.Unlock()
}

// Outage resets the connection of every request, without an answer, for
// d from now, as a store that restarts or a network that drops does.
func (p *Proxy) Outage(d time.Duration) {
	p.mu.Lock()
	p.down = time.Now().Add(d)
	p.mu.Unlock()
}

// Resets returns how many requests an Outage reset.
func (p *Proxy) Resets() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.resets
}

// SlowDown makes the next n requests fail with 503 SlowDown.
func (p *Proxy) SlowDown(n int) {
	p.mu.Lock()
	p.slowDown = n
	p.mu.Unlock()
}

// CutNextGET resets the connection of the next whole-object GET of a key
// ending in suffix after n bytes of its body.
func (p *Proxy) CutNextGET(suffix string, n int64) {
	p.mu.Lock()
	p.cut, p.cutAfter = suffix, n
	p.mu.Unlock()
}

// Requests returns how many requests "METHOD /path" the proxy saw.
func (p *Proxy) Requests(methodPath string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests[methodPath]
}

// Count returns how many requests of method had a path with prefix.
func (p *Proxy) Count(method, prefix string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for k, v := range p.requests {
		if strings.HasPrefix(k, method+" "+prefix) {
			n += v
		}
	}
	return n
}

// cutWriter passes n bytes of body through, then resets the connection.
type cutWriter struct {
	http.ResponseWriter
	left int64
}

func (c *cutWriter) Write(b []byte) (int, error) {
	if int64(len(b)) <= c.left {
		c.left -= int64(len(b))
		return c.ResponseWriter.Write(b)
	}
	n, _ := c.ResponseWriter.Write(b[:c.left])
	c.left = 0
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
	reset(c.ResponseWriter)
	return n, io.ErrClosedPipe
}

// reset resets the connection of w: a reset, not a clean close.
func reset(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			conn.Close()
		}
	}
}
