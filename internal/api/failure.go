package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/openai"
)

// failure is why an attempt did not produce an answer. It is the neutral
// error of the call loop: the client's envelope is chosen only at the edge
// (giveUp), and the client sees the deployment's name and a brief cause,
// never reason, which may hold an upstream's internal address.
type failure struct {
	deployment string
	status     int    // upstream status, or 0 when none arrived
	reason     string // for the logs; never holds secrets
	throttled  bool   // a 429: the client may be told to retry later
	timeout    bool
	refused    bool   // the cloud refused the deployment's credentials or model id
	upstream   []byte // the upstream's normalized error body, if any
	// unsupported: the deployment's format cannot express the request; no
	// attempt was made.
	unsupported *wire.Unsupported
	retryAfter  time.Duration // throttled: how long the provider asked to wait
}

// brief is what the client is told about f: a cause, no addresses, no
// upstream text.
func (f *failure) brief() string {
	switch {
	case f.unsupported != nil:
		return "cannot express '" + f.unsupported.Field + "'"
	case f.throttled:
		return "rate limited"
	case f.timeout:
		return "timed out"
	case f.status == http.StatusServiceUnavailable || f.status == 529:
		return "overloaded (HTTP " + strconv.Itoa(f.status) + ")"
	case f.refused:
		return "the cloud refused it (HTTP " + strconv.Itoa(f.status) + "): check its credentials and model id"
	case f.status >= 300 && f.status < 400:
		return "redirected (HTTP " + strconv.Itoa(f.status) + ")"
	case f.status != 0:
		return "failed (HTTP " + strconv.Itoa(f.status) + ")"
	}
	return "unreachable"
}

// passedOver is a deployment the request could have used but did not try:
// cooling down, ejected, at its quota or concurrency cap, or left untried
// when the retry budget ran out.
type passedOver struct {
	name  string
	why   string
	until time.Time // when it may be back; zero when unknown
	// busy: it is rate limited or at capacity, so the client's retry after
	// until will likely succeed (429); otherwise it is ejected (503).
	busy bool
}

// giveUp answers the client when no deployment could. The most retryable
// cause wins: a deployment that is rate limited (now or by a 429 during this
// request) makes the answer a 429 with Retry-After, even when another
// deployment could not express the request, because the client's retry will
// be served; only when every deployment that may serve the model cannot
// express the request is it the client's 400. Every deployment considered is
// named, with why it was passed over.
func (c *call) giveUp(dec *route.Decision, fails []*failure) {
	now := time.Now()
	over := c.passedOver(now, fails, dec.Stopped() == route.BudgetSpent)

	var throttled, overloaded, timedOut, broken bool
	var unsupported *wire.Unsupported
	var retryAt time.Time
	soonest := func(t time.Time) {
		if !t.IsZero() && (retryAt.IsZero() || t.Before(retryAt)) {
			retryAt = t
		}
	}
	for _, f := range fails {
		switch {
		case f.unsupported != nil:
			if unsupported == nil {
				unsupported = f.unsupported
			}
		case f.throttled:
			throttled = true
			soonest(now.Add(f.retryAfter))
		case f.timeout:
			timedOut = true
		case f.status == http.StatusServiceUnavailable || f.status == 529:
			overloaded = true
		default:
			broken = true
		}
	}
	ejected := false
	for _, p := range over {
		if p.busy {
			throttled = true
			soonest(p.until)
		} else if p.why != whyUntried {
			ejected = true
		}
	}
	if len(fails) == 0 && dec.Busy {
		// Route found every deployment rate limited or at capacity; one
		// may have come back since (a quota lease renewed), which makes
		// the client's retry all the likelier to be served.
		throttled = true
	}
	if !throttled {
		for _, p := range over {
			soonest(p.until)
		}
	}
	soonest(dec.RetryAt)

	names := c.considered(fails, over)
	var e *openai.Error
	switch {
	case throttled:
		secs := retryAfterSeconds(now, retryAt)
		c.w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		e = &openai.Error{Status: http.StatusTooManyRequests, Type: "rate_limit_error", Code: "rate_limit_exceeded",
			Message: fmt.Sprintf("Every deployment of model '%s' that can serve this request is rate limited or busy; retry after %d s. %s.", c.model.Name, secs, names)}
	case dec.Stopped() == route.BudgetSpent:
		// Many requests are failing over at once: an outage. Extra attempts
		// would only multiply the load on the clouds that still answer.
		c.w.Header().Set("Retry-After", "1")
		e = &openai.Error{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "retry_budget_exhausted",
			Message: fmt.Sprintf("Model '%s' is failing over too often to retry now. %s.", c.model.Name, names)}
	case overloaded || ejected || (len(fails) == 0 && !retryAt.IsZero()):
		c.w.Header().Set("Retry-After", strconv.FormatInt(retryAfterSeconds(now, retryAt), 10))
		e = &openai.Error{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "upstream_overloaded",
			Message: fmt.Sprintf("No deployment of model '%s' is available now. %s.", c.model.Name, names)}
	case timedOut:
		e = &openai.Error{Status: http.StatusGatewayTimeout, Type: "server_error", Code: "upstream_timeout",
			Message: fmt.Sprintf("No deployment of model '%s' answered in time. %s.", c.model.Name, names)}
	case broken || unsupported == nil:
		e = &openai.Error{Status: http.StatusBadGateway, Type: "server_error", Code: "upstream_error",
			Message: fmt.Sprintf("No deployment of model '%s' could answer after %d attempt(s). %s.", c.model.Name, c.attempts, names)}
	default:
		// Every deployment that may serve the model was asked to express the
		// request and none can: the request itself is the problem.
		e = &openai.Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Param: unsupported.Field, Code: "unsupported_parameter",
			Message: fmt.Sprintf("Model '%s' cannot serve this request: %s. %s.", c.model.Name, unsupported.Error(), names)}
	}
	c.logGiveUp(e.Status, fails, over)
	c.headers("")
	c.fail(e)
}

// whyUntried marks a candidate the retry budget left untried.
const whyUntried = "not tried: retry budget spent"

// passedOver lists the deployments of the model and its fallbacks that the
// key may use, that were not tried, and that could have expressed the
// request, with why each was passed over. It runs only on the error path.
func (c *call) passedOver(now time.Time, fails []*failure, budgetSpent bool) []passedOver {
	cons := c.rt.constraints[c.who.KeyName]
	var out []passedOver
	visit := func(m *route.Model) {
		for _, d := range m.Deployments {
			if !cons.Allows(d) || tried(fails, d.Name) || !c.expressible(d) {
				continue
			}
			why, until, busy := d.Status(now)
			switch {
			case why != "":
				out = append(out, passedOver{name: d.Name, why: why, until: until, busy: busy})
			case budgetSpent:
				out = append(out, passedOver{name: d.Name, why: whyUntried})
			}
		}
	}
	visit(c.model)
	for _, m := range c.model.Chain {
		visit(m)
	}
	return out
}

func tried(fails []*failure, name string) bool {
	for _, f := range fails {
		if f.deployment == name {
			return true
		}
	}
	return false
}

// expressible reports whether d's format can carry the request: the client's
// own format always can; another needs the translation to succeed.
func (c *call) expressible(d *route.Deployment) bool {
	pf := d.Provider.Format()
	if pf == c.in && (pf == wire.OpenAI || pf == wire.Anthropic) {
		return true
	}
	cd := codecFor(pf)
	if cd == nil || c.op != provider.Chat {
		return false
	}
	req, err := c.canonical()
	if err != nil {
		return false
	}
	native := req.Model
	req.Model = d.Native
	_, err = cd.encodeRequest(req)
	req.Model = native
	return err == nil
}

// considered names every deployment the request tried or passed over, with a
// brief cause each: "Considered: a (rate limited); b (cannot express 'top_k')".
func (c *call) considered(fails []*failure, over []passedOver) string {
	if len(fails) == 0 && len(over) == 0 {
		return "No deployment of it is available to this key now"
	}
	var b strings.Builder
	b.WriteString("Considered: ")
	n := 0
	sep := func() {
		if n > 0 {
			b.WriteString("; ")
		}
		n++
	}
	for _, f := range fails {
		sep()
		b.WriteString(f.deployment + " (" + f.brief() + ")")
	}
	for _, p := range over {
		sep()
		b.WriteString(p.name + " (" + p.why + ")")
	}
	return b.String()
}

// logGiveUp logs why each deployment was passed over, with the details the
// client is not shown.
func (c *call) logGiveUp(status int, fails []*failure, over []passedOver) {
	attrs := make([]any, 0, 6+2*(len(fails)+len(over)))
	attrs = append(attrs, "request_id", c.id, "model", c.model.Name, "status", status)
	for _, f := range fails {
		attrs = append(attrs, f.deployment, f.reason)
	}
	for _, p := range over {
		attrs = append(attrs, p.name, p.why)
	}
	c.s.log.Info("no deployment could answer", attrs...)
}

// retryAfterSeconds is the Retry-After for a comeback at t: whole seconds,
// at least one.
func retryAfterSeconds(now, t time.Time) int64 {
	if t.IsZero() {
		return int64(defaultRetryAfter / time.Second)
	}
	wait := t.Sub(now)
	return max(int64((wait+time.Second-1)/time.Second), 1)
}

// streamErrorBeforeAnswer handles an error event that arrived before any
// content: like an error status, it fails over, and a throttle cools d down.
func (c *call) streamErrorBeforeAnswer(ev *usage.Event, d *route.Deployment, we *wire.Error) (*failure, bool) {
	f := &failure{deployment: d.Name, status: we.HTTPStatus(), reason: "provider sent an error event before any answer: " + clip(we.Message, 200)}
	if we.Kind == wire.ErrRateLimit {
		wait := we.RetryAfter
		if wait <= 0 {
			wait = defaultRetryAfter
		}
		f.throttled, f.retryAfter = true, wait
	}
	return c.failed(ev, d, f), false
}
