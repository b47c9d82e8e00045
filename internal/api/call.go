package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/books"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/openai"
)

// call is one client request on its way through the deployments of a model.
type call struct {
	s     *Server
	w     http.ResponseWriter
	r     *http.Request
	id    string
	op    provider.Op
	who   *access.Principal
	body  []byte
	req   openai.Request
	model *route.Model
	start time.Time

	attempts int
	status   int    // what the client got
	served   string // the deployment that answered
}

func newCall(s *Server, w http.ResponseWriter, r *http.Request, op provider.Op) *call {
	return &call{s: s, w: w, r: r, op: op, id: newRequestID(), start: time.Now()}
}

// newRequestID returns an id that is unique enough to find one request in logs
// and books. math/rand/v2's generator is per-CPU and lock-free; a request id
// needs no cryptographic strength.
func newRequestID() string {
	var b [20]byte
	copy(b[:], "req_")
	const hex = "0123456789abcdef"
	v := rand.Uint64()
	for i := 19; i >= 4; i-- {
		b[i] = hex[v&15]
		v >>= 4
	}
	return string(b[:])
}

// failure is why an attempt did not produce an answer.
type failure struct {
	deployment string
	status     int    // upstream status, or 0 when none arrived
	reason     string // for the client and the logs; never holds secrets
	throttled  bool   // a 429: the client may be told to retry later
	timeout    bool
	upstream   []byte // the upstream's normalized error body, if any
}

// Timeouts applied when a deployment's config leaves them zero.
const (
	defaultFirstByte = 60 * time.Second
	// defaultRetryAfter cools a deployment that sent a 429 without saying for
	// how long: long enough to spread the retry, short enough to forgive.
	defaultRetryAfter = time.Second
)

var errFirstByteTimeout = errors.New("no first byte before the timeout")

// run tries the model's deployments in the order its policy ranks them, and
// fails over until one answers or all have failed. Failover happens only before
// the first byte reaches the client.
func (c *call) run() {
	var buf [16]*route.Deployment
	now := time.Now()
	plan, soonest := c.model.Plan(now, buf[:0])
	var last *failure
	for _, d := range plan {
		if ok, _ := d.Available(time.Now()); !ok {
			continue // cooled down by a concurrent request since the plan was made
		}
		f, done := c.try(d)
		if done {
			return
		}
		last = f
		if c.r.Context().Err() != nil {
			return // the client left; nobody to answer
		}
	}
	c.giveUp(last, soonest)
}

// try makes one attempt on d. done reports that the call is over (answered,
// rejected, or the client left); otherwise f says why d failed.
func (c *call) try(d *route.Deployment) (f *failure, done bool) {
	c.attempts++
	ev := &books.Event{
		RequestID: c.id, Attempt: c.attempts, Key: c.who.KeyName, Model: c.model.Name,
		Deployment: d.Name, Provider: d.Provider.Name(), Op: c.op.String(), Stream: c.req.Stream,
		Start: time.Now(),
	}
	if d.Provider.Format() != wire.OpenAI {
		// Translation to other clouds' formats arrives with their adapters.
		return c.failed(ev, d, &failure{deployment: d.Name, reason: "provider format " + d.Provider.Format().String() + " is not reachable from OpenAI ingress"}), false
	}
	// Ask for usage even when the client did not: the books need it. The relay
	// hides the extra usage chunk from such clients.
	forceUsage := c.req.Stream && !c.req.IncludeUsage && c.op == provider.Chat
	body := openai.Rewrite(c.body, &c.req, d.Native, forceUsage)

	ctx, cancel := context.WithCancelCause(c.r.Context())
	defer cancel(nil)
	fb := d.Timeouts.FirstByte.D()
	if !c.req.Stream {
		fb = d.Timeouts.Response.D()
	}
	if fb <= 0 {
		fb = defaultFirstByte
	}
	timer := time.AfterFunc(fb, func() { cancel(errFirstByteTimeout) })

	resp, err := d.Provider.Send(ctx, &provider.Request{Op: c.op, Model: d.Native, Body: body, Stream: c.req.Stream})
	if err != nil {
		timer.Stop()
		return c.transportFailure(ctx, ev, d, err)
	}
	if resp.StatusCode >= 300 {
		timer.Stop()
		return c.upstreamError(ev, d, resp)
	}
	if c.req.Stream {
		return c.relayStream(ctx, ev, d, resp, forceUsage, timer)
	}
	return c.relayBody(ctx, ev, d, resp, timer)
}

// transportFailure classifies an attempt that got no response at all.
func (c *call) transportFailure(ctx context.Context, ev *books.Event, d *route.Deployment, err error) (*failure, bool) {
	if c.r.Context().Err() != nil {
		ev.Outcome = books.ClientAborted
		c.record(ev, d)
		return nil, true
	}
	f := &failure{deployment: d.Name}
	if context.Cause(ctx) == errFirstByteTimeout {
		f.timeout = true
		f.reason = "no answer within the deployment's timeout"
	} else {
		f.reason = "could not reach the provider: " + scrub(err)
	}
	return c.failed(ev, d, f), false
}

// upstreamError handles a non-2xx answer. Throttling, server errors and
// errors that mean the deployment itself is misconfigured (bad provider key,
// unknown deployment) fail over; errors about the client's request go back to
// the client, since another cloud would reject it too.
func (c *call) upstreamError(ev *books.Event, d *route.Deployment, resp *http.Response) (*failure, bool) {
	raw, _ := readLimited(resp.Body, 64<<10)
	resp.Body.Close()
	ev.Status = resp.StatusCode
	body := openai.NormalizeError(resp.StatusCode, raw)
	f := &failure{deployment: d.Name, status: resp.StatusCode, upstream: body}
	switch st := resp.StatusCode; {
	case st == http.StatusTooManyRequests:
		wait, ok := provider.RetryAfter(resp.Header, time.Now())
		if !ok {
			wait = defaultRetryAfter
		}
		d.CoolDown(time.Now().Add(wait))
		f.throttled = true
		f.reason = "rate limited by the provider; cooling down for " + wait.Round(time.Millisecond).String()
		c.s.log.Info("deployment cooling down", "deployment", d.Name, "for", wait, "request_id", c.id)
	case st >= 500 || st == http.StatusRequestTimeout || st == http.StatusConflict:
		f.reason = "provider error HTTP " + strconv.Itoa(st)
	case st == http.StatusUnauthorized || st == http.StatusForbidden || st == http.StatusNotFound:
		f.reason = "provider refused the deployment (HTTP " + strconv.Itoa(st) + "): check its credentials and model id"
		c.s.log.Warn("deployment misconfigured", "deployment", d.Name, "status", st, "request_id", c.id)
	case st < 400:
		f.reason = "provider redirected (HTTP " + strconv.Itoa(st) + "); redirects are not followed: check its base_url"
		c.s.log.Warn("deployment misconfigured", "deployment", d.Name, "status", st, "request_id", c.id)
	default:
		ev.Outcome = books.Rejected
		c.record(ev, d)
		c.served = d.Name
		c.headers(d.Name)
		writeJSON(c.w, st, body)
		c.status = st
		return nil, true
	}
	return c.failed(ev, d, f), false
}

// failed records a failed attempt on d and returns f.
func (c *call) failed(ev *books.Event, d *route.Deployment, f *failure) *failure {
	ev.Outcome = books.Failed
	c.record(ev, d)
	if c.s.log.Enabled(c.r.Context(), slog.LevelDebug) {
		c.s.log.Debug("attempt failed", "request_id", c.id, "attempt", ev.Attempt, "deployment", f.deployment, "reason", f.reason)
	}
	return f
}

// giveUp answers the client when no deployment could: 429 with Retry-After
// when throttling is why, else 502 (504 after a timeout) naming the last cause.
func (c *call) giveUp(last *failure, soonest time.Time) {
	var e *openai.Error
	switch {
	case last == nil || last.throttled:
		wait := time.Until(c.coolingEnd(soonest))
		secs := max(int64((wait+time.Second-1)/time.Second), 1)
		c.w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		e = &openai.Error{Status: http.StatusTooManyRequests, Type: "rate_limit_error", Code: "rate_limit_exceeded",
			Message: fmt.Sprintf("Every deployment of model '%s' is rate limited; retry after %d s.", c.model.Name, secs)}
	default:
		st, code := http.StatusBadGateway, "upstream_error"
		if last.timeout {
			st, code = http.StatusGatewayTimeout, "upstream_timeout"
		}
		e = &openai.Error{Status: st, Type: "server_error", Code: code,
			Message: fmt.Sprintf("No deployment of model '%s' could answer after %d attempt(s); last: %s: %s.", c.model.Name, c.attempts, last.deployment, last.reason)}
	}
	c.headers("")
	c.status = e.Status
	writeError(c.w, e)
}

// coolingEnd is when the first of the model's deployments comes back.
func (c *call) coolingEnd(soonest time.Time) time.Time {
	now := time.Now()
	for _, d := range c.model.Deployments {
		if ok, until := d.Available(now); !ok && (soonest.IsZero() || until.Before(soonest)) {
			soonest = until
		}
	}
	if soonest.IsZero() {
		return now.Add(defaultRetryAfter)
	}
	return soonest
}

// headers sets the x-switchyard-* response headers before the status is written.
func (c *call) headers(deployment string) {
	h := c.w.Header()
	if deployment != "" {
		h["X-Switchyard-Deployment"] = []string{deployment}
	}
	h["X-Switchyard-Attempts"] = []string{strconv.Itoa(c.attempts)}
}

// record prices ev at d's prices and hands it to the books.
func (c *call) record(ev *books.Event, d *route.Deployment) {
	ev.Duration = time.Since(ev.Start)
	if ev.Usage != (wire.Usage{}) {
		ev.Cost = books.Cost(d.Price, ev.Usage)
	}
	c.s.sink.Record(ev)
}

func (c *call) logAccess() {
	if !c.s.opts.AccessLog {
		return
	}
	c.s.log.Info("request", "request_id", c.id, "key", c.who.KeyName, "op", c.op.String(), "model", c.model.Name,
		"stream", c.req.Stream, "status", c.status, "deployment", c.served, "attempts", c.attempts,
		"duration", time.Since(c.start).Round(time.Microsecond))
}

// scrub renders a transport error without the request URL, which on some
// clouds carries credentials in its query string.
func scrub(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
