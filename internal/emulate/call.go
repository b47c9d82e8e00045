package emulate

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// maxBody bounds a request body. Base64 images make chat requests large, so
// the bound is generous; it exists so that a runaway client cannot exhaust
// the memory of a benchmark host.
const maxBody = 32 << 20

// dialect is how one OpenAI-compatible cloud differs from the others on the
// wire: its headers, how it carries keys, the envelopes of its auth and rate
// limit errors, and Azure's content-filter annotations. Request decoding,
// generation, timing and billing are shared.
type dialect interface {
	// header sets the headers the cloud sends with every response.
	header(h http.Header, id uint64)
	// credential returns the API key the request carries, if any.
	credential(r *http.Request) (key string, present bool)
	unauthorized(key string, present bool) *apiError
	throttled(c *call, v verdict) *apiError
	// filters reports whether answers carry Azure content-filter results.
	filters() bool
}

// operation names a model endpoint as Azure's rate-limit messages do.
type operation string

const (
	opChat  operation = "ChatCompletions_Create"
	opEmbed operation = "Embeddings_Create"
)

// call is one request to a model endpoint, from its arrival to its billing.
type call struct {
	e       *Emulator
	d       dialect
	k       *Knobs
	w       http.ResponseWriter
	r       *http.Request
	start   time.Time
	id      uint64
	op      operation
	model   string // what is billed, and echoed in the response
	version string // Azure api-version, quoted in its 429s
}

func (e *Emulator) newCall(w http.ResponseWriter, r *http.Request, d dialect, op operation) *call {
	return &call{e: e, d: d, k: e.knobs.Load(), w: w, r: r, start: time.Now(), id: e.nextID(), op: op}
}

// bodyPool recycles request body buffers. Decoding copies everything it
// keeps, so a buffer goes back as soon as the request is decoded.
var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// begin counts the request, checks its key and reads its body. On failure it
// has answered the client and returns nil; otherwise the caller must release
// the buffer.
func (c *call) begin() *bytes.Buffer {
	c.e.books.received()
	if !c.authorize() {
		return nil
	}
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	if _, err := buf.ReadFrom(http.MaxBytesReader(c.w, c.r.Body, maxBody)); err != nil {
		release(buf)
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			c.fail(&apiError{status: http.StatusRequestEntityTooLarge, typ: "invalid_request_error",
				message: "Request body too large: the limit is " + strconv.Itoa(maxBody) + " bytes."})
		} else {
			c.fail(&apiError{status: http.StatusBadRequest, typ: "invalid_request_error",
				message: "Could not read the request body: " + err.Error()})
		}
		return nil
	}
	return buf
}

// authorize sets the cloud's headers and checks the request's key when the
// knobs require one, answering 401 itself. It reports whether to go on.
func (c *call) authorize() bool {
	c.d.header(c.w.Header(), c.id)
	want := c.k.APIKey
	if want == "" {
		return true
	}
	got, present := c.d.credential(c.r)
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		c.fail(c.d.unauthorized(got, present))
		return false
	}
	return true
}

func release(buf *bytes.Buffer) {
	if buf.Cap() <= 1<<20 { // keep the pool from pinning huge bodies
		bodyPool.Put(buf)
	}
}

// admit applies the quota and the injected faults, answering refusals itself.
// It reports whether the request goes on to be answered.
func (c *call) admit(stream bool) (verdict, bool) {
	v := c.e.admit(c.k, stream, time.Now())
	h := c.w.Header()
	if v.limit.limit > 0 {
		h.Set("X-Ratelimit-Limit-Requests", strconv.Itoa(v.limit.limit))
		h.Set("X-Ratelimit-Remaining-Requests", strconv.Itoa(v.limit.remaining))
		h.Set("X-Ratelimit-Reset-Requests", v.limit.reset.Round(time.Millisecond).String())
	}
	switch v.fault {
	case faultQuota, faultThrottle:
		c.e.books.throttled()
		secs, ms := retryAfter(v.retryAfter)
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
		h.Set("Retry-After-Ms", strconv.FormatInt(ms, 10))
		c.fail(c.d.throttled(c, v))
		return v, false
	case faultServer:
		c.e.books.errored()
		c.fail(serverError())
		return v, false
	}
	return v, true
}

// retryAfter renders a wait for the retry-after (whole seconds, rounded up,
// at least 1) and retry-after-ms headers. A negative wait means "at once".
func retryAfter(d time.Duration) (secs, ms int64) {
	if d < 0 {
		return 0, 0
	}
	secs = int64((d + time.Second - 1) / time.Second)
	ms = int64((d + time.Millisecond - 1) / time.Millisecond)
	return max(secs, 1), max(ms, 1)
}

// fail answers with err.
func (c *call) fail(err *apiError) {
	c.processed()
	writeError(c.w, err)
}

// processed sets openai-processing-ms just before the headers go out.
func (c *call) processed() {
	c.w.Header().Set("Openai-Processing-Ms", strconv.FormatInt(time.Since(c.start).Milliseconds(), 10))
}

// bill records an answer and what it cost.
func (c *call) bill(in, out int) { c.e.books.bill(c.model, in, out) }
