package target

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Webhook signs and posts alerts the way budget alerts are posted:
//
//	X-Switchyard-Timestamp: <Unix seconds>
//	X-Switchyard-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">
//
// so one receiver verifies both. The scheme is restated here rather than
// imported to keep the two alerting packages independent; a test checks
// they agree.
type Webhook struct {
	Secret  []byte
	Client  *http.Client  // nil: 10 s timeout
	Retries int           // attempts after the first; 0: 3
	Backoff time.Duration // first retry delay, doubled each time; 0: 1 s
}

// Sign is the X-Switchyard-Signature value for body sent at ts.
func Sign(secret []byte, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Send posts body to url, retrying failures with backoff until ctx ends.
func (w *Webhook) Send(ctx context.Context, url string, body []byte) error {
	client := w.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	retries, delay := w.Retries, w.Backoff
	if retries <= 0 {
		retries = 3
	}
	if delay <= 0 {
		delay = time.Second
	}
	for attempt := 0; ; attempt++ {
		err := w.post(ctx, client, url, body)
		if err == nil {
			return nil
		}
		if attempt >= retries {
			return fmt.Errorf("target: webhook after %d attempts: %w", attempt+1, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay *= 2
	}
}

func (w *Webhook) post(ctx context.Context, client *http.Client, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Switchyard-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Switchyard-Signature", Sign(w.Secret, ts, body))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}
