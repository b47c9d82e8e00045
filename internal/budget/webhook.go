package budget

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Webhook signing. Each POST carries
//
//	X-Switchyard-Timestamp: <Unix seconds when the attempt was sent>
//	X-Switchyard-Signature: sha256=<hex HMAC-SHA256 under the shared secret of "<timestamp>.<body>">
//
// A receiver recomputes the HMAC over the timestamp header, a dot and the raw
// body, compares it in constant time, and rejects timestamps older than a few
// minutes so a captured request cannot be replayed later. Verify does exactly
// that. Alerts are delivered at least once: a retried POST carries the same
// "id", which a receiver uses to drop duplicates.
const (
	HeaderSignature = "X-Switchyard-Signature"
	HeaderTimestamp = "X-Switchyard-Timestamp"
)

// Sign is the X-Switchyard-Signature value for body sent at ts.
func Sign(secret []byte, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a webhook's signature and that its timestamp is within
// tolerance of now.
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("budget: webhook timestamp %q: %w", timestamp, err)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("budget: webhook timestamp %s is %v away from now", timestamp, d)
	}
	if !hmac.Equal([]byte(signature), []byte(Sign(secret, ts, body))) {
		return errors.New("budget: webhook signature does not match")
	}
	return nil
}

// AlertBody is the JSON a webhook receives.
type AlertBody struct {
	// ID is the same on every retry of one alert: scope, window and threshold.
	ID        string `json:"id"`
	Type      string `json:"type"` // "budget.threshold"
	Scope     string `json:"scope"`
	Threshold int    `json:"threshold_percent"`
	LimitUSD  string `json:"limit_usd"`
	SpentUSD  string `json:"spent_usd"`
	Period    string `json:"period"`
	Hard      bool   `json:"hard"`
	// WindowStart and ResetsAt are RFC 3339, empty for a lifetime budget.
	WindowStart string `json:"window_start,omitempty"`
	ResetsAt    string `json:"resets_at,omitempty"`
}

func body(a Alert) AlertBody {
	b := AlertBody{Type: "budget.threshold", Scope: a.Scope, Threshold: a.Threshold, LimitUSD: a.Limit.String(),
		SpentUSD: a.Spent.String(), Period: a.Period, Hard: a.Hard}
	var w int64
	if !a.WindowStart.IsZero() {
		b.WindowStart = a.WindowStart.UTC().Format(time.RFC3339)
		w = a.WindowStart.Unix()
	}
	if !a.ResetsAt.IsZero() {
		b.ResetsAt = a.ResetsAt.UTC().Format(time.RFC3339)
	}
	b.ID = a.Scope + "/" + strconv.FormatInt(w, 10) + "/" + strconv.Itoa(a.Threshold)
	return b
}

// Webhooks POSTs alerts from a bounded queue in the background, so a slow
// receiver never delays a request. When the queue is full an alert is dropped
// and logged rather than blocking.
type Webhooks struct {
	secret  []byte
	client  *http.Client
	log     *slog.Logger
	retries int
	backoff time.Duration
	queue   chan Alert
	wg      sync.WaitGroup
	stop    context.CancelFunc
	ctx     context.Context
}

// WebhookOptions tune Webhooks; zero fields take the defaults.
type WebhookOptions struct {
	Client  *http.Client  // default: 10 s timeout
	Log     *slog.Logger  // default: slog.Default()
	Queue   int           // default 256 alerts
	Retries int           // attempts after the first; default 4
	Backoff time.Duration // first retry delay, doubled each time; default 1 s
}

// NewWebhooks starts a sender that signs with secret. Close stops it.
func NewWebhooks(secret []byte, o WebhookOptions) *Webhooks {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Queue <= 0 {
		o.Queue = 256
	}
	if o.Retries <= 0 {
		o.Retries = 4
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Webhooks{secret: secret, client: o.Client, log: o.Log, retries: o.Retries, backoff: o.Backoff,
		queue: make(chan Alert, o.Queue), stop: cancel, ctx: ctx}
	w.wg.Add(1)
	go w.run()
	return w
}

// Send queues a for delivery to a.Webhook without blocking.
func (w *Webhooks) Send(a Alert) {
	select {
	case w.queue <- a:
	default:
		w.log.Error("budget: webhook queue full, alert dropped", "scope", a.Scope, "threshold_percent", a.Threshold)
	}
}

// Close stops sending, abandoning queued alerts and retries in progress.
func (w *Webhooks) Close() {
	w.stop()
	w.wg.Wait()
}

func (w *Webhooks) run() {
	defer w.wg.Done()
	for {
		select {
		case <-w.ctx.Done():
			return
		case a := <-w.queue:
			w.deliver(a)
		}
	}
}

func (w *Webhooks) deliver(a Alert) {
	b, err := json.Marshal(body(a))
	if err != nil {
		w.log.Error("budget: webhook body", "err", err)
		return
	}
	delay := w.backoff
	for attempt := 0; ; attempt++ {
		err = w.post(a.Webhook, b)
		if err == nil {
			return
		}
		if attempt >= w.retries {
			w.log.Error("budget: webhook failed, alert dropped", "scope", a.Scope, "threshold_percent", a.Threshold,
				"attempts", attempt+1, "err", err)
			return
		}
		select {
		case <-w.ctx.Done():
			return
		case <-time.After(delay):
		}
		delay *= 2
	}
}

func (w *Webhooks) post(url string, b []byte) error {
	req, err := http.NewRequestWithContext(w.ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(w.secret, ts, b))
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return fmt.Errorf("budget: webhook %s answered %s", url, resp.Status)
}
