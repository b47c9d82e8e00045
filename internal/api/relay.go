package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/switchyard/switchyard/internal/books"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/wire/openai"
)

// maxUpstreamBody caps a non-stream answer the gateway will buffer: a
// misbehaving upstream must not exhaust memory.
const maxUpstreamBody = 64 << 20

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readAnswer reads a whole (non-stream) answer into buf, within the size
// cap and the attempt's response timeout, and fills in the event's status
// and time to answer. The whole answer is read before anything is written,
// so a failure while reading still fails over.
func readAnswer(buf *bytes.Buffer, ev *books.Event, resp *http.Response, timer *time.Timer) error {
	if resp.ContentLength > 0 && resp.ContentLength <= maxUpstreamBody {
		buf.Grow(int(resp.ContentLength))
	}
	_, err := buf.ReadFrom(io.LimitReader(resp.Body, maxUpstreamBody+1))
	resp.Body.Close()
	fired := !timer.Stop()
	ev.Status = resp.StatusCode
	ev.FirstByte = time.Since(ev.Start)
	switch {
	case err == nil && buf.Len() > maxUpstreamBody:
		err = errors.New("answer larger than " + strconv.Itoa(maxUpstreamBody) + " bytes")
	case err == nil && fired:
		err = errFirstByteTimeout
	}
	return err
}

// relayBody relays a complete (non-stream) answer in the client's own format.
func (c *call) relayBody(ctx context.Context, ev *books.Event, d *route.Deployment, resp *http.Response, timer *time.Timer) (*failure, bool) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := readAnswer(buf, ev, resp, timer); err != nil {
		return c.transportFailure(ctx, ev, d, err)
	}
	body := buf.Bytes()
	if u, ok := openai.UsageOf(body); ok {
		ev.Usage = u
	} else {
		ev.Usage, ev.Estimated = estimate(len(c.body), len(body)), true
	}
	if cl, ok := d.Provider.(provider.Cleaner); ok {
		body = cl.CleanBody(body)
	}
	if _, _, ok := splitModel(body, "model", d.Model); ok {
		body = withModel(make([]byte, 0, len(body)+len(d.Model)), body, "model", d.Model)
	}
	ev.Outcome = books.Completed
	c.record(ev, d)
	c.served, c.status = d.Name, http.StatusOK
	c.headers(d.Name)
	writeJSON(c.w, http.StatusOK, body)
	return nil, true
}

// readLimited reads at most n bytes of r.
func readLimited(r io.Reader, n int64) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r, n))
}
