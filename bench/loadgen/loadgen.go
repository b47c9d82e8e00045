// Package loadgen is an open-loop, constant-rate HTTP load generator for
// chat-completion endpoints.
//
// Request i is due at t0 + i/rate and is sent at that time whatever the number
// of requests still outstanding, each on its own goroutine, so a slow target
// cannot slow the offered load down (no coordinated omission). Latency is
// measured from the due time, not from the moment the request left: if the
// generator itself falls behind, the delay counts against the target, and the
// requests sent more than Config.LateAfter behind schedule are counted as late
// so that a reader can tell.
//
// A run has a warm-up phase, whose requests are sent at the same rate but not
// measured, followed without a gap by the measurement phase. Every response is
// read to the end and verified: status 200; for streams, a body that ends with
// "data: [DONE]" and carries no error event; for non-stream answers, a body
// with "choices". Percentiles are exact: every sample is kept and sorted.
package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Phase marks a boundary of the measurement phase.
type Phase int

// The boundaries Config.OnPhase is called at.
const (
	MeasureStart Phase = iota // the first measured request is due
	MeasureEnd                // the measurement phase's last interval is over
)

func (p Phase) String() string {
	switch p {
	case MeasureStart:
		return "measure-start"
	case MeasureEnd:
		return "measure-end"
	}
	return "phase(" + strconv.Itoa(int(p)) + ")"
}

// Config describes one run.
type Config struct {
	URL    string      // the endpoint, e.g. http://127.0.0.1:8080/v1/chat/completions
	Body   []byte      // POSTed with every request
	Header http.Header // sent with every request (shared, never modified); Content-Type defaults to application/json
	Stream bool        // verify and time the answers as SSE streams

	Rate     float64       // requests per second
	Warmup   time.Duration // sent at Rate, not measured
	Duration time.Duration // the measurement phase

	// Drain bounds the wait for outstanding requests after the last one was
	// sent; those still running then are cancelled and count as "timeout"
	// errors. Default 10s.
	Drain time.Duration
	// LateAfter is how far behind schedule a send may be before it counts as
	// late. Default 1ms.
	LateAfter time.Duration
	// Transport sends the requests. Default NewTransport().
	Transport http.RoundTripper
	// OnPhase, if set, is called on the scheduling goroutine at the start and
	// at the end of the measurement phase, e.g. to sample the target's CPU
	// time. It should return quickly: sends wait for it.
	OnPhase func(Phase)
}

// Summary is a latency distribution. Percentiles use the nearest-rank method
// on all samples.
type Summary struct {
	N    int           `json:"n"`
	Min  time.Duration `json:"min"`
	Mean time.Duration `json:"mean"`
	P50  time.Duration `json:"p50"`
	P90  time.Duration `json:"p90"`
	P99  time.Duration `json:"p99"`
	P999 time.Duration `json:"p999"`
	Max  time.Duration `json:"max"`
}

// Result is what a run measured. Counts and latencies cover the measurement
// phase only, except those named Warmup*.
type Result struct {
	Rate     float64       `json:"rate"` // the offered rate
	Warmup   time.Duration `json:"warmup"`
	Duration time.Duration `json:"duration"`

	Sent     int            `json:"sent"`   // measured requests sent
	OK       int            `json:"ok"`     // measured requests that passed verification
	Errors   map[string]int `json:"errors"` // measured failures by kind
	Late     int            `json:"late"`   // measured requests sent more than LateAfter behind schedule
	MaxLate  time.Duration  `json:"max_late"`
	Achieved float64        `json:"achieved"` // Sent per second of wall time in the window

	// Window is the wall time between the two OnPhase calls, and
	// WindowCompleted the number of requests (of either phase, passed or
	// failed) that completed inside it: the divisor for resources sampled at
	// the phase marks.
	Window          time.Duration `json:"window"`
	WindowCompleted int           `json:"window_completed"`

	WarmupSent   int `json:"warmup_sent"`
	WarmupErrors int `json:"warmup_errors"`

	// TTFB is the time from the due time to the first byte of the body (for
	// streams, the first SSE event); Total to the end of the answer (for
	// streams, the arrival of "data: [DONE]"). Passed requests only.
	TTFB  Summary `json:"ttfb"`
	Total Summary `json:"total"`

	// Timeline is Total per TimelineStep of due time over the whole run,
	// warm-up included (its first Warmup/TimelineStep entries): where a
	// percentile comes from a transient, it shows when.
	Timeline     []Summary     `json:"timeline"`
	TimelineStep time.Duration `json:"timeline_step"`

	// ErrorSamples holds the first message seen for each error kind.
	ErrorSamples map[string]string `json:"error_samples,omitempty"`
}

// ErrorCount is the number of measured requests that failed.
func (r *Result) ErrorCount() int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// Error kinds.
const (
	KindTransport = "transport"  // no response: dial, reset, protocol error
	KindRead      = "read"       // the body broke off
	KindNoDone    = "no_done"    // a stream that did not end with data: [DONE]
	KindStreamErr = "stream_err" // a stream that carried an error event
	KindBadBody   = "bad_body"   // a non-stream answer without "choices"
	KindTimeout   = "timeout"    // still running at the end of the drain
	// Non-200 answers count as "http_NNN".
)

// NewTransport returns a client transport that will not be the bottleneck:
// a deep idle pool so that every connection is reused, no compression, no
// proxy.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        0, // no global cap
		MaxIdleConnsPerHost: 8192,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ReadBufferSize:      16 << 10,
		WriteBufferSize:     8 << 10,
	}
}

// Run sends cfg.Rate requests a second for cfg.Warmup plus cfg.Duration,
// waits for the answers, and summarizes the measurement phase. It returns an
// error for a bad config or when ctx ends the run early.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	g, err := newGen(cfg)
	if err != nil {
		return nil, err
	}
	return g.run(ctx)
}

// slot is one request's outcome, written only by that request's goroutine.
type slot struct {
	ttfb, total time.Duration
	kind        uint8 // kindPending, kindOK or a failure
	status      uint16
}

const (
	kindPending uint8 = iota
	kindOK
	kindHTTP
	kindTransport
	kindRead
	kindNoDone
	kindStreamErr
	kindBadBody
	kindTimeout
)

var kindNames = [...]string{
	kindPending:   "pending",
	kindOK:        "ok",
	kindTransport: KindTransport,
	kindRead:      KindRead,
	kindNoDone:    KindNoDone,
	kindStreamErr: KindStreamErr,
	kindBadBody:   KindBadBody,
	kindTimeout:   KindTimeout,
}

func (s *slot) kindName() string {
	if s.kind == kindHTTP {
		return "http_" + strconv.Itoa(int(s.status))
	}
	return kindNames[s.kind]
}

type gen struct {
	cfg     Config
	u       *url.URL
	header  http.Header
	rt      http.RoundTripper
	nWarm   int
	nMeas   int
	slots   []slot
	wg      sync.WaitGroup
	getBody func() (io.ReadCloser, error) // shared by every request: no allocation per request
	done    atomic.Int64                  // completed requests, of any outcome
	samples sync.Map                      // kind name → first error message
}

func newGen(cfg Config) (*gen, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("loadgen: url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("loadgen: url %q is not an http(s) URL", cfg.URL)
	}
	if !(cfg.Rate > 0) || math.IsInf(cfg.Rate, 0) {
		return nil, fmt.Errorf("loadgen: rate %v is not a positive number", cfg.Rate)
	}
	if cfg.Warmup < 0 || cfg.Duration <= 0 {
		return nil, errors.New("loadgen: warm-up must be ≥ 0 and duration > 0")
	}
	nWarm := int(math.Round(cfg.Warmup.Seconds() * cfg.Rate))
	nMeas := int(math.Round(cfg.Duration.Seconds() * cfg.Rate))
	if nMeas < 1 {
		return nil, fmt.Errorf("loadgen: %v at %v req/s sends no request", cfg.Duration, cfg.Rate)
	}
	if cfg.Drain <= 0 {
		cfg.Drain = 10 * time.Second
	}
	if cfg.LateAfter <= 0 {
		cfg.LateAfter = time.Millisecond
	}
	h := cfg.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	rt := cfg.Transport
	if rt == nil {
		rt = NewTransport()
	}
	g := &gen{cfg: cfg, u: u, header: h, rt: rt, nWarm: nWarm, nMeas: nMeas, slots: make([]slot, nWarm+nMeas)}
	// With GetBody the transport can replay a request whose reused
	// connection turned out to be closed, rather than fail it.
	g.getBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(g.cfg.Body)), nil }
	return g, nil
}

// due is when request i is to be sent, as an offset from the start.
func (g *gen) due(i int) time.Duration {
	return time.Duration(float64(i) * float64(time.Second) / g.cfg.Rate)
}

func (g *gen) phase(p Phase) {
	if g.cfg.OnPhase != nil {
		g.cfg.OnPhase(p)
	}
}

func (g *gen) run(parent context.Context) (*Result, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	res := &Result{Rate: g.cfg.Rate, Warmup: g.cfg.Warmup, Duration: g.cfg.Duration, Errors: map[string]int{}}
	// The schedule runs on a thread of its own that sleeps in the kernel
	// (see sleepFor): with GOMAXPROCS ≥ 2 the request goroutines keep a P
	// while it sleeps.
	sched := make(chan struct{})
	go func() {
		defer close(sched)
		lockSchedulerThread()
		g.schedule(ctx, res)
	}()
	<-sched

	// Drain: wait for the outstanding requests, then cancel the stragglers.
	finished := make(chan struct{})
	go func() { g.wg.Wait(); close(finished) }()
	drain := time.NewTimer(g.cfg.Drain)
	defer drain.Stop()
	select {
	case <-finished:
	case <-drain.C:
		cancel()
		<-finished
	case <-parent.Done():
		cancel()
		<-finished
	}
	if err := parent.Err(); err != nil {
		return nil, fmt.Errorf("loadgen: run interrupted: %w", err)
	}
	g.summarize(res)
	return res, nil
}

// schedule sends the requests on time and marks the measurement phase.
func (g *gen) schedule(ctx context.Context, res *Result) {
	n := g.nWarm + g.nMeas
	var (
		winStart  time.Time
		doneStart int64
	)
	t0 := time.Now().Add(time.Millisecond)
	for i := 0; i < n; i++ {
		due := t0.Add(g.due(i))
		if !sleepUntil(ctx, due) {
			return
		}
		if i == g.nWarm {
			g.phase(MeasureStart)
			winStart, doneStart = time.Now(), g.done.Load()
		}
		if i >= g.nWarm {
			if late := time.Since(due); late > g.cfg.LateAfter {
				res.Late++
				res.MaxLate = max(res.MaxLate, late)
			}
		}
		g.wg.Add(1)
		go g.one(ctx, i, due)
	}
	if sleepUntil(ctx, t0.Add(g.due(n))) {
		g.phase(MeasureEnd)
		res.Window = time.Since(winStart)
		res.WindowCompleted = int(g.done.Load() - doneStart)
	}
}

// sleepUntil sleeps until t, in steps short enough to notice ctx ending.
func sleepUntil(ctx context.Context, t time.Time) bool {
	for {
		if ctx.Err() != nil {
			return false
		}
		d := time.Until(t)
		if d <= 0 {
			return true
		}
		sleepFor(min(d, 10*time.Millisecond))
	}
}

const timelineStep = 500 * time.Millisecond

// summarize fills in the counts and latency summaries from the slots.
func (g *gen) summarize(res *Result) {
	res.WarmupSent = g.nWarm
	for i := range g.nWarm {
		if g.slots[i].kind != kindOK {
			res.WarmupErrors++
		}
	}
	meas := g.slots[g.nWarm:]
	res.Sent = len(meas)
	ttfb := make([]time.Duration, 0, len(meas))
	total := make([]time.Duration, 0, len(meas))
	for i := range meas {
		s := &meas[i]
		if s.kind != kindOK {
			res.Errors[s.kindName()]++
			continue
		}
		ttfb = append(ttfb, s.ttfb)
		total = append(total, s.total)
	}
	res.OK = len(total)
	res.TTFB = Summarize(ttfb)
	res.Total = Summarize(total)

	res.TimelineStep = timelineStep
	var bucket []time.Duration
	for i := range g.slots {
		if s := &g.slots[i]; s.kind == kindOK {
			bucket = append(bucket, s.total)
		}
		if i == len(g.slots)-1 || g.due(i+1)/timelineStep != g.due(i)/timelineStep {
			res.Timeline = append(res.Timeline, Summarize(bucket))
			bucket = bucket[:0]
		}
	}
	if res.Window > 0 {
		res.Achieved = float64(res.Sent) / res.Window.Seconds()
	}
	g.samples.Range(func(k, v any) bool {
		if res.ErrorSamples == nil {
			res.ErrorSamples = map[string]string{}
		}
		res.ErrorSamples[k.(string)] = v.(string)
		return true
	})
}

var (
	doneEvent  = []byte("data: [DONE]\n\n")
	errorEvent = []byte(`data: {"error"`)
	choicesKey = []byte(`"choices"`)
)

// bufPool holds the buffers bodies are read into.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// one sends request i, due at due, and records its outcome in its slot.
func (g *gen) one(ctx context.Context, i int, due time.Time) {
	defer g.wg.Done()
	defer g.done.Add(1)
	s := &g.slots[i]
	body := bytes.NewReader(g.cfg.Body)
	req := (&http.Request{
		Method:        http.MethodPost,
		URL:           g.u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        g.header,
		Body:          io.NopCloser(body),
		GetBody:       g.getBody,
		ContentLength: int64(len(g.cfg.Body)),
		Host:          g.u.Host,
	}).WithContext(ctx)
	resp, err := g.rt.RoundTrip(req)
	if err != nil {
		g.fail(ctx, s, kindTransport, err)
		return
	}
	defer resp.Body.Close()

	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	b := (*bp)[:0]
	var first, doneAt time.Time
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := resp.Body.Read(b[len(b):cap(b)])
		if n > 0 {
			if first.IsZero() {
				first = time.Now()
			}
			b = b[:len(b)+n]
			if g.cfg.Stream && doneAt.IsZero() && bytes.HasSuffix(b, doneEvent) {
				doneAt = time.Now()
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			*bp = b
			g.fail(ctx, s, kindRead, err)
			return
		}
	}
	end := time.Now()
	*bp = b
	if first.IsZero() {
		first = end
	}
	if resp.StatusCode != http.StatusOK {
		s.status = uint16(resp.StatusCode)
		g.fail(ctx, s, kindHTTP, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, b))
		return
	}
	if g.cfg.Stream {
		switch {
		case bytes.Contains(b, errorEvent):
			g.fail(ctx, s, kindStreamErr, fmt.Errorf("error event in stream: %.300s", b[bytes.Index(b, errorEvent):]))
			return
		case doneAt.IsZero() || !bytes.HasSuffix(b, doneEvent):
			g.fail(ctx, s, kindNoDone, fmt.Errorf("stream of %d bytes did not end with data: [DONE]: ...%s", len(b), tail(b, 120)))
			return
		}
		end = doneAt
	} else if !bytes.Contains(b, choicesKey) {
		g.fail(ctx, s, kindBadBody, fmt.Errorf("answer without \"choices\": %.200s", b))
		return
	}
	s.ttfb = first.Sub(due)
	s.total = end.Sub(due)
	s.kind = kindOK
}

func (g *gen) fail(ctx context.Context, s *slot, kind uint8, err error) {
	if ctx.Err() != nil {
		kind = kindTimeout // cancelled at the end of the drain
	}
	s.kind = kind
	name := s.kindName()
	if _, ok := g.samples.Load(name); !ok {
		g.samples.LoadOrStore(name, err.Error())
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// Summarize sorts samples in place and returns their distribution.
func Summarize(samples []time.Duration) Summary {
	if len(samples) == 0 {
		return Summary{}
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	var sum float64
	for _, v := range samples {
		sum += float64(v)
	}
	return Summary{
		N:    len(samples),
		Min:  samples[0],
		Mean: time.Duration(sum / float64(len(samples))),
		P50:  Quantile(samples, 0.50),
		P90:  Quantile(samples, 0.90),
		P99:  Quantile(samples, 0.99),
		P999: Quantile(samples, 0.999),
		Max:  samples[len(samples)-1],
	}
}

// Quantile returns the q-quantile (0 < q ≤ 1) of sorted samples by the
// nearest-rank method: the smallest sample with at least q of all samples at
// or below it. q is taken to a millionth, and the rank computed in integers,
// so that 0.999 of 1000 samples is the 999th and not, through rounding, the
// 1000th.
func Quantile(sorted []time.Duration, q float64) time.Duration {
	n := int64(len(sorted))
	if n == 0 {
		return 0
	}
	ppm := int64(math.Round(q * 1e6))
	rank := (ppm*n + 1e6 - 1) / 1e6 // ceil(q·n)
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}
