package api

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/switchyard/switchyard/internal/books"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/wire"
)

// translate builds d's request body from the canonical form. A request the
// deployment's format cannot express is a failure of that deployment only
// (another may speak the client's format); a request that is malformed in a
// way only decoding noticed is the client's, answered at once.
func (c *call) translate(d *route.Deployment) (body []byte, f *failure, done bool) {
	pf := d.Provider.Format()
	cd := codecFor(pf)
	if cd == nil || c.op != provider.Chat {
		return nil, &failure{deployment: d.Name, reason: pf.String() + " deployments serve chat only",
			unsupported: &wire.Unsupported{Format: pf, Field: "model", Reason: c.op.String() + " is served only by OpenAI-format deployments"}}, false
	}
	req, err := c.canonical()
	if err != nil {
		c.fail(badRequest(err))
		return nil, nil, true
	}
	req.Model = d.Native
	body, err = cd.encodeRequest(req)
	if err != nil {
		var u *wire.Unsupported
		if errors.As(err, &u) {
			return nil, &failure{deployment: d.Name, reason: u.Error(), unsupported: u}, false
		}
		return nil, &failure{deployment: d.Name, reason: "could not translate the request: " + err.Error()}, false
	}
	return body, nil, false
}

// relayTranslatedBody relays a whole answer from another format: decoded to
// the canonical form, encoded in the client's.
func (c *call) relayTranslatedBody(ctx context.Context, ev *books.Event, d *route.Deployment, resp *http.Response, timer *time.Timer) (*failure, bool) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := readAnswer(buf, ev, resp, timer); err != nil {
		return c.transportFailure(ctx, ev, d, err)
	}
	answer, err := codecFor(d.Provider.Format()).decodeResponse(buf.Bytes())
	if err != nil {
		return c.failed(ev, d, &failure{deployment: d.Name, status: resp.StatusCode, reason: "could not read the provider's answer: " + err.Error()}), false
	}
	if answer.Estimated || answer.Usage == (wire.Usage{}) {
		ev.Usage, ev.Estimated = estimate(len(c.body), buf.Len()), true
	} else {
		ev.Usage = answer.Usage
	}
	answer.Model = d.Model // the public name (see model.go)
	out, err := codecFor(c.in).encodeResponse(answer)
	if err != nil {
		return c.failed(ev, d, &failure{deployment: d.Name, status: resp.StatusCode, reason: "could not express the provider's answer: " + err.Error()}), false
	}
	ev.Outcome = books.Completed
	c.record(ev, d)
	c.served, c.status = d.Name, http.StatusOK
	c.headers(d.Name)
	writeJSON(c.w, http.StatusOK, out)
	return nil, true
}
