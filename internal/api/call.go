package api

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/admit"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/anthropic"
	"github.com/switchyard/switchyard/internal/wire/openai"
)

// call is one client request on its way through the deployments of a model.
type call struct {
	s     *Server
	rt    *routes // the routes the request started with, kept to its end
	w     http.ResponseWriter
	r     *http.Request
	id    string
	op    provider.Op
	who   *access.Principal
	in    wire.Format // the client's format
	body  []byte
	req   openai.Request // what routing needs; filled from canon for Anthropic clients
	model *route.Model
	start time.Time

	// canon is the request in canonical form, decoded once, when the client
	// spoke Anthropic or a deployment needs translation.
	canon    *wire.Request
	canonErr error

	attempts int
	status   int    // what the client got
	served   string // the deployment that answered

	// What every attempt used and cost, summed, for the access log.
	used      wire.Usage
	cost      money.Nanos
	estimated bool

	ticket *admit.Ticket // the request's rate-limit and budget claims

	attempt *route.Attempt // the attempt in progress
	res     route.Result   // how it ended, for the routing engine's health and quotas
	// sent is the body of the attempt in progress, in the deployment's
	// format sentFormat: a prompt estimate counts its tools as sent.
	sent       []byte
	sentFormat wire.Format

	obs observation // metrics and trace spans (observe.go)
}

func newCall(s *Server, w http.ResponseWriter, r *http.Request, in wire.Format, op provider.Op) *call {
	return &call{s: s, rt: s.cur.Load(), w: w, r: r, in: in, op: op, id: requestID(w), start: time.Now()}
}

// fail writes a gateway error in the client's format.
func (c *call) fail(e *openai.Error) {
	c.status = e.Status
	writeErrorIn(c.w, c.in, e)
}

// newRequestID returns a request id: 96 bits, the first 44 the Unix
// millisecond and the other 52 random. Random bits keep ids from colliding
// across replicas and restarts (usage events and ledger transactions are
// keyed by them) with no coordination; the time in front makes them sort in
// the order they were made, so each index keyed by them in the store (events,
// transactions, postings) takes a batch's inserts on its last pages instead
// of one page each all over the tree: with fully random ids the writer
// dirtied, and wrote to the WAL, a page per row per index. An id needs
// uniqueness, not secrecy; math/rand/v2's generator is per-CPU and lock-free.
func newRequestID() string {
	var b [4 + 24]byte
	copy(b[:], "req_")
	const hex = "0123456789abcdef"
	ms, r := uint64(time.Now().UnixMilli()), rand.Uint64()
	for i := len(b) - 1; i >= 4; i-- {
		if i >= len(b)-13 {
			b[i] = hex[r&15]
			r >>= 4
		} else {
			b[i] = hex[ms&15]
			ms >>= 4
		}
	}
	return string(b[:])
}

// Timeouts applied when a deployment's config leaves them zero.
const (
	defaultFirstByte = 60 * time.Second
	// defaultRetryAfter cools a deployment that sent a 429 without saying for
	// how long: long enough to spread the retry, short enough to forgive.
	defaultRetryAfter = time.Second
)

var errFirstByteTimeout = errors.New("no first byte before the timeout")

// run routes the request and tries the deployments the routing engine ranks,
// failing over until one answers, all have failed or the retry budget says
// stop. Failover happens only before the first byte reaches the client.
func (c *call) run() {
	h := c.r.Header
	cons := c.rt.constraints[c.who.KeyName]
	debug := len(h["X-Switchyard-Debug"]) > 0 && h.Get("X-Switchyard-Debug") == "1" && cons.MayOverride()
	logDebug := c.s.log.Enabled(c.r.Context(), slog.LevelDebug)
	var dec route.Decision // on the stack: routing allocates nothing
	req := route.Request{
		Model:        c.model.Name,
		PromptTokens: estimate(len(c.body), 0).Prompt,
		MaxTokens:    c.req.MaxTokens,
		Constraints:  cons,
		Debug:        debug || logDebug,
	}
	if v := h["X-Switchyard-Route"]; len(v) > 0 {
		req.Policy = v[0]
	}
	c.beginObserve()
	defer c.endObserve()
	// The key's and its tenant's model allowlists: a model outside them
	// is answered as OpenAI answers one the caller cannot see.
	if !c.who.AllowsModel(c.model.Name) {
		c.fail(modelNotFound(c.model.Name))
		return
	}
	if !c.admit(req.PromptTokens) {
		return
	}
	defer c.finishAdmission()
	if err := c.rt.table.Route(&req, &dec); err != nil {
		c.fail(routeError(err, c.model.Name, req.Policy))
		return
	}
	defer dec.Finish(time.Time{})
	if debug {
		c.w.Header()["X-Switchyard-Route-Reason"] = []string{dec.Reason}
	}
	if logDebug {
		c.s.log.Debug("route", "request_id", c.id, "model", c.model.Name, "reason", dec.Reason)
	}

	var fails []*failure
	for a := dec.Next(time.Time{}); a != nil; a = dec.Next(time.Time{}) {
		c.attempt = a
		c.res = route.Result{}
		f, done := c.try(a.Deployment)
		a.Done(c.res)
		if done {
			return
		}
		fails = append(fails, f)
		if c.r.Context().Err() != nil {
			return // the client left; nobody to answer
		}
	}
	c.giveUp(&dec, fails)
}

// routeError is the client's answer when a request cannot be routed at all.
func routeError(err error, model, policy string) *openai.Error {
	switch {
	case errors.Is(err, route.ErrUnknownModel):
		return modelNotFound(model)
	case errors.Is(err, route.ErrUnknownPolicy):
		return &openai.Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Param: "x-switchyard-route", Code: "unknown_route_policy",
			Message: "Unknown routing policy '" + policy + "' in x-switchyard-route; use priority, weighted, cheapest, fastest or commitment."}
	case errors.Is(err, route.ErrPolicyNotAllowed):
		return &openai.Error{Status: http.StatusForbidden, Type: "permission_error", Param: "x-switchyard-route", Code: "route_override_not_allowed",
			Message: "This API key may not choose the routing policy '" + policy + "'."}
	case errors.Is(err, route.ErrNoAllowedDeployment):
		return &openai.Error{Status: http.StatusForbidden, Type: "permission_error", Param: "model", Code: "no_allowed_deployment",
			Message: "No deployment of model '" + model + "' is in a provider or region this API key may use."}
	}
	return &openai.Error{Status: http.StatusInternalServerError, Type: "server_error", Message: "routing failed: " + err.Error()}
}

// canonical returns the request in canonical form, decoding it on first use.
func (c *call) canonical() (*wire.Request, error) {
	if c.canon == nil && c.canonErr == nil {
		c.canon, c.canonErr = openai.DecodeRequest(c.body)
	}
	return c.canon, c.canonErr
}

// try makes one attempt on d. done reports that the call is over (answered,
// rejected, or the client left); otherwise f says why d failed.
func (c *call) try(d *route.Deployment) (f *failure, done bool) {
	pf := d.Provider.Format()
	// The fast path: same format both ways, the body forwarded as bytes with
	// only the model rewritten.
	passthrough := pf == c.in && (pf == wire.OpenAI || pf == wire.Anthropic)
	var body []byte
	switch {
	case passthrough && pf == wire.OpenAI:
		// Ask for usage even when the client did not: the books need it. The
		// relay hides the extra usage chunk from such clients.
		forceUsage := c.req.Stream && !c.req.IncludeUsage && c.op == provider.Chat
		body = openai.Rewrite(c.body, &c.req, d.Native, forceUsage)
	case passthrough:
		var err error
		if body, err = anthropic.RewriteModel(c.body, d.Native); err != nil {
			return &failure{deployment: d.Name, reason: err.Error()}, false
		}
	default:
		var f *failure
		if body, f, done = c.translate(d); f != nil || done {
			return f, done
		}
	}

	c.attempts++
	ev := &usage.Event{
		RequestID: c.id, Attempt: c.attempts, KeyID: c.who.KeyID, KeyName: c.who.KeyName, TenantID: c.who.TenantID,
		Model: c.model.Name, Deployment: d.Name, Provider: d.Provider.Name(), Op: c.op.String(), Stream: c.req.Stream,
		Time: time.Now(),
	}
	c.beginAttempt(d)
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

	c.sent, c.sentFormat = body, pf
	resp, err := d.Provider.Send(ctx, &provider.Request{Op: c.op, Model: d.Native, Body: body, Stream: c.req.Stream})
	if err != nil {
		timer.Stop()
		return c.transportFailure(ctx, ev, d, err)
	}
	if resp.StatusCode >= 300 {
		timer.Stop()
		return c.upstreamError(ev, d, resp)
	}
	return c.relayAttempt(ctx, ev, d, resp, timer, pf, passthrough)
}

// relayAttempt relays d's answer through the codec for its format and the
// client's.
func (c *call) relayAttempt(ctx context.Context, ev *usage.Event, d *route.Deployment, resp *http.Response, timer *time.Timer,
	pf wire.Format, passthrough bool) (*failure, bool) {
	var fc frameCodec
	var fr *flushingReader
	cl, _ := d.Provider.(provider.Cleaner)
	switch {
	case c.req.Stream:
		fr = newFlushingReader(resp.Body, c.w)
		defer fr.release()
		switch {
		case passthrough && pf == wire.Anthropic:
			fc = newAnthropicStream(fr, d.Model)
		case passthrough:
			// The gateway asked for usage when the client did not (see try).
			forceUsage := !c.req.IncludeUsage && c.op == provider.Chat
			fc = newOpenAIStream(fr, cl, forceUsage, d.Model)
		default:
			fc = newTranslatedStream(codecFor(pf).newDecoder(fr), c.newStreamEncoder(d.Model))
		}
	case passthrough && pf == wire.Anthropic:
		fc = newAnthropicWhole(ev, resp, timer, d.Model)
	case passthrough:
		fc = newOpenAIWhole(ev, resp, timer, cl, d.Model)
	default:
		fc = newTranslatedWhole(ev, resp, timer, codecFor(pf), codecFor(c.in), d.Model)
	}
	defer fc.release()
	return c.relay(ctx, ev, d, resp, timer, fc, fr, c.req.Stream)
}

// transportFailure classifies an attempt that got no response at all.
func (c *call) transportFailure(ctx context.Context, ev *usage.Event, d *route.Deployment, err error) (*failure, bool) {
	if c.r.Context().Err() != nil {
		ev.Outcome = usage.ClientAborted
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
func (c *call) upstreamError(ev *usage.Event, d *route.Deployment, resp *http.Response) (*failure, bool) {
	raw, _ := readLimited(resp.Body, 64<<10)
	resp.Body.Close()
	ev.Status = resp.StatusCode
	pf := d.Provider.Format()
	var we *wire.Error
	if cd := codecFor(pf); cd != nil && resp.StatusCode >= 400 {
		we = cd.decodeError(resp.StatusCode, resp.Header, raw)
	} else {
		we = &wire.Error{Status: resp.StatusCode, Kind: wire.KindOf(resp.StatusCode)}
	}
	f := &failure{deployment: d.Name, status: resp.StatusCode}
	if pf == wire.OpenAI {
		f.upstream = openai.NormalizeError(resp.StatusCode, raw)
	}
	switch st := resp.StatusCode; {
	case st < 400:
		f.reason = "provider redirected (HTTP " + strconv.Itoa(st) + "); redirects are not followed: check its base_url"
		c.s.log.Warn("deployment misconfigured", "deployment", d.Name, "status", st, "request_id", c.id)
	case we.Kind == wire.ErrRateLimit:
		wait := we.RetryAfter
		if w, ok := provider.RetryAfter(resp.Header, time.Now()); ok && wait <= 0 {
			wait = w
		}
		if wait <= 0 {
			wait = defaultRetryAfter
		}
		f.throttled, f.retryAfter = true, wait
		f.reason = "rate limited by the provider; cooling down for " + wait.Round(time.Millisecond).String()
		c.s.log.Info("deployment cooling down", "deployment", d.Name, "cooldown_ms", wait.Milliseconds(), "request_id", c.id)
	case st >= 500 || st == http.StatusRequestTimeout || st == http.StatusConflict ||
		we.Kind == wire.ErrServer || we.Kind == wire.ErrOverloaded || we.Kind == wire.ErrTimeout:
		f.reason = "provider error HTTP " + strconv.Itoa(st)
		if we.Message != "" {
			f.reason += ": " + clip(we.Message, 200)
		}
	case we.Kind == wire.ErrAuthentication || we.Kind == wire.ErrPermission || we.Kind == wire.ErrNotFound:
		f.reason = "provider refused the deployment (HTTP " + strconv.Itoa(st) + "): check its credentials and model id"
		f.refused = true
		c.s.log.Warn("deployment misconfigured", "deployment", d.Name, "status", st, "request_id", c.id)
	default:
		// The client's request is at fault; another cloud would refuse it too.
		ev.Outcome = usage.Rejected
		c.record(ev, d)
		c.served = d.Name
		c.headers(d.Name)
		switch {
		case pf == c.in && pf == wire.OpenAI:
			writeJSON(c.w, st, f.upstream)
		default:
			we.Status = we.HTTPStatus()
			writeJSON(c.w, we.Status, codecFor(c.in).encodeError(we))
		}
		c.status = st
		return nil, true
	}
	return c.failed(ev, d, f), false
}

// clip shortens s to at most n bytes for a log line or message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// failed records a failed attempt on d and returns f.
func (c *call) failed(ev *usage.Event, d *route.Deployment, f *failure) *failure {
	ev.Outcome, ev.Error = usage.Failed, clip(f.reason, 200)
	c.record(ev, d)
	switch {
	case f.throttled:
		c.res.Outcome, c.res.RetryAfter = route.Throttled, f.retryAfter
	case f.timeout:
		c.res.Outcome = route.TimedOut
	}
	if c.s.log.Enabled(c.r.Context(), slog.LevelDebug) {
		c.s.log.Debug("attempt failed", "request_id", c.id, "attempt", ev.Attempt, "deployment", f.deployment, "reason", f.reason)
	}
	return f
}

// headers sets the x-switchyard-* response headers before the status is written.
func (c *call) headers(deployment string) {
	h := c.w.Header()
	if deployment != "" {
		h["X-Switchyard-Deployment"] = []string{deployment}
	}
	h["X-Switchyard-Attempts"] = []string{strconv.Itoa(c.attempts)}
}

// record hands ev to the settlement point, which prices, journals and
// settles it, then tells the routing engine what the attempt used and cost.
// A journal failure is logged there and does not change the client's answer:
// the response is already on its way, and the event is in the log.
func (c *call) record(ev *usage.Event, d *route.Deployment) {
	ev.Duration = time.Since(ev.Time)
	c.s.settle.Settle(ev)
	c.endAttempt(ev, d)
	c.used = c.used.Add(ev.Usage)
	c.cost += ev.Cost
	c.estimated = c.estimated || ev.Source == usage.Estimated
	c.res.Usage, c.res.Cost, c.res.TTFT = ev.Usage, ev.Cost, ev.TTFT
	switch ev.Outcome {
	case usage.Completed:
		c.res.Outcome = route.Success
	case usage.Rejected:
		c.res.Outcome = route.Rejected
	case usage.ClientAborted:
		c.res.Outcome = route.Canceled
	default: // Failed, Interrupted: the deployment's fault
		c.res.Outcome = route.Failed
	}
}

// committed tells the routing engine the first byte is on its way to the
// client: from now on there is no failover.
func (c *call) committed() {
	if c.attempt != nil {
		c.attempt.FirstByte(time.Time{})
	}
}

func (c *call) logAccess() {
	if !c.s.opts.AccessLog {
		return
	}
	// Durations carry their unit in the key; money is exact decimal dollars.
	c.s.log.Info("request", "request_id", c.id, "key", c.who.KeyName, "op", c.op.String(), "model", c.model.Name,
		"stream", c.req.Stream, "status", c.status, "deployment", c.served, "attempts", c.attempts,
		"prompt_tokens", c.used.Prompt, "completion_tokens", c.used.Completion, "cached_tokens", c.used.Cached,
		"estimated", c.estimated, "cost_usd", c.cost.String(),
		"duration_ms", float64(time.Since(c.start).Microseconds())/1000)
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
