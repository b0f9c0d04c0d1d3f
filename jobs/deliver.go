package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/piiscan/piiscan/alert"
	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/metrics"
	"github.com/piiscan/piiscan/state"
)

// Deliverer sends the alerts waiting in the outbox. Each route is
// delivered on its own, concurrently with the others and with scans, and
// within alerts.delivery_timeout: a slow or hanging sink delays only its
// own alerts, which wait in the outbox for the next delivery.
//
// One Deliverer serves a process: it never sends the same entry twice at
// once (other processes are kept out by the state file's lock).
type Deliverer struct {
	State   *state.Store
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	// Sink returns the sink of a route (default alert.New).
	Sink func(*config.Route) (alert.Sink, error)
	// Now is the clock (default time.Now).
	Now func() time.Time

	mu   sync.Mutex
	busy map[string]bool // routes being delivered
	// again: entries arrived for a busy route, with the configuration of
	// the latest caller (a reload may have changed the route).
	again  map[string]*config.Config
	sinkMu sync.Mutex
	sinks  map[string]sinkOf
	wg     sync.WaitGroup // deliveries started by Start
	// closed: Close was called; Start does nothing.
	closed bool
}

// sinkOf is a route's sink, made for one route configuration.
type sinkOf struct {
	route *config.Route
	sink  alert.Sink
}

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Deliverer) log() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.Default()
}

// Delivery is what one delivery of the outbox did.
type Delivery struct {
	Sent int
	// Failed are routes whose delivery failed or ran out of time; their
	// alerts wait in the outbox.
	Failed []error
}

// Err returns the failures as one error, or nil.
func (d Delivery) Err() error { return errors.Join(d.Failed...) }

// Deliver sends what waits in the outbox for the routes of c, every route
// at once, each within c.DeliveryTimeout(), and returns when every route
// is done: sent, failed, or out of time (the sinks give up when their
// context ends). A route already being delivered by another call is left
// to it: it also sends what arrived since it started, with c.
func (d *Deliverer) Deliver(ctx context.Context, c *config.Config) Delivery {
	box, err := d.State.Outbox()
	if err != nil {
		return Delivery{Failed: []error{fmt.Errorf("reading the outbox: %w", err)}}
	}
	routes := map[string]*config.Route{}
	for _, e := range box {
		route := c.RouteByName(e.Route)
		if route == nil {
			d.unknownRoute(e)
			continue
		}
		routes[e.Route] = route
	}
	var (
		mu  sync.Mutex
		out Delivery
		wg  sync.WaitGroup
	)
	for name, route := range routes {
		if !d.claim(name, c) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sent, err := d.deliverRoute(ctx, c, route)
			mu.Lock()
			defer mu.Unlock()
			out.Sent += sent
			if err != nil {
				out.Failed = append(out.Failed, fmt.Errorf("route %s: %w", route.Name, err))
			}
		}()
	}
	wg.Wait()
	if d.Metrics != nil {
		d.Metrics.Outbox.Set(float64(d.State.OutboxLen()))
	}
	return out
}

// Start delivers the outbox in the background (see Deliver), with ctx
// for cancellation. After Close it does nothing: the alerts wait in the
// outbox.
func (d *Deliverer) Start(ctx context.Context, c *config.Config) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		if res := d.Deliver(ctx, c); res.Err() != nil {
			d.log().Warn("alerts kept in the outbox", "error", res.Err())
		}
	}()
}

// Close stops Start from starting deliveries and waits for those it
// started.
func (d *Deliverer) Close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.wg.Wait()
}

// claim marks route as being delivered by the caller; false means another
// delivery has it and is told to look again, with c, before it ends.
func (d *Deliverer) claim(route string, c *config.Config) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.busy == nil {
		d.busy, d.again = map[string]bool{}, map[string]*config.Config{}
	}
	if d.busy[route] {
		d.again[route] = c
		return false
	}
	d.busy[route] = true
	return true
}

// release ends a claim unless more arrived meanwhile: then the claimant
// goes on with the configuration it returns.
func (d *Deliverer) release(route string) (more *config.Config) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if c := d.again[route]; c != nil {
		delete(d.again, route)
		return c
	}
	delete(d.busy, route)
	return nil
}

// deliverRoute sends route's waiting alerts, oldest first, within the
// delivery timeout. The first failure ends it: the rest wait for the next
// delivery.
func (d *Deliverer) deliverRoute(ctx context.Context, c *config.Config, route *config.Route) (sent int, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.DeliveryTimeout())
	defer cancel()
	defer func() {
		for next := d.release(route.Name); next != nil; next = d.release(route.Name) {
			rt := next.RouteByName(route.Name)
			if err != nil || rt == nil {
				continue // failed in this delivery, or gone: the next one tries
			}
			var n int
			n, err = d.sendRoute(ctx, next, rt)
			sent += n
		}
	}()
	return d.sendRoute(ctx, c, route)
}

func (d *Deliverer) sendRoute(ctx context.Context, c *config.Config, route *config.Route) (sent int, err error) {
	log := d.log()
	box, err := d.State.OutboxOf(route.Name)
	if err != nil {
		return 0, err
	}
	attempts, initial, max := c.RetryPolicy()
	for _, e := range box {
		if err := ctx.Err(); err != nil {
			return sent, fmt.Errorf("delivery stopped after %d of %d alerts: %w", sent, len(box), err)
		}
		var sum alert.Summary
		if err := json.Unmarshal(e.Summary, &sum); err != nil {
			log.Error("unreadable alert in the outbox: dropped", "route", e.Route, "error", err)
			d.State.Delivered(e.ID)
			continue
		}
		start := d.now()
		sink, err := d.sink(route)
		if err == nil {
			err = alert.Deliver(ctx, sink, sum, alert.Retry{Attempts: attempts, Initial: initial, Max: max})
		}
		if err != nil {
			if d.Metrics != nil {
				d.Metrics.AlertFailures.WithLabelValues(route.Name, route.Kind).Inc()
			}
			log.Warn("alert not delivered: kept in the outbox", "route", route.Name, "sink", route.Kind,
				"attempts", e.Attempts+1, "waiting", len(box)-sent, "error", err)
			if ferr := d.State.Failed(e, err); ferr != nil {
				err = errors.Join(err, ferr)
			}
			return sent, err
		}
		if d.Metrics != nil {
			d.Metrics.AlertsSent.WithLabelValues(route.Name, route.Kind).Inc()
		}
		log.Info("alert sent", "route", route.Name, "sink", route.Kind, "violations", sum.Total,
			"alert_id", sum.ID, "took", d.now().Sub(start).Round(time.Millisecond).String())
		sent++
		if err := d.State.Delivered(e.ID); err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// unknownRoute handles an alert for a route the configuration does not
// know: another configuration (a renamed route, another rules.yaml on the
// same state) may still send it; it is dropped after a month.
func (d *Deliverer) unknownRoute(e state.OutboxEntry) {
	log := d.log()
	if d.now().Sub(e.Created) > outboxMaxAge {
		log.Error("alert for an unknown route dropped after a month in the outbox", "route", e.Route, "created", e.Created)
		d.State.Delivered(e.ID)
		return
	}
	log.Warn("alert for a route not in this configuration: kept in the outbox", "route", e.Route, "created", e.Created)
}

// sink returns (and caches) the sink of a route; a reloaded route with
// other settings gets a new one.
func (d *Deliverer) sink(route *config.Route) (alert.Sink, error) {
	d.sinkMu.Lock()
	defer d.sinkMu.Unlock()
	if s, ok := d.sinks[route.Name]; ok && s.route == route {
		return s.sink, nil
	}
	mk := d.Sink
	if mk == nil {
		mk = func(rt *config.Route) (alert.Sink, error) { return alert.New(rt, alert.Options{}) } // Hostname: os.Hostname
	}
	s, err := mk(route)
	if err != nil {
		return nil, err
	}
	if d.sinks == nil {
		d.sinks = map[string]sinkOf{}
	}
	d.sinks[route.Name] = sinkOf{route, s}
	return s, nil
}
