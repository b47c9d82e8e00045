package budget

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestWebhookSignedAndRetried(t *testing.T) {
	secret := []byte("whsec-test")
	var calls atomic.Int32
	got := make(chan AlertBody, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		if err := Verify(secret, r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), raw, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("signature: %v", err)
		}
		// A body signed under another secret, or a changed body, does not verify.
		if Verify([]byte("other"), r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), raw, time.Now(), 5*time.Minute) == nil {
			t.Error("verified under the wrong secret")
		}
		if Verify(secret, r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), append(raw, ' '), time.Now(), 5*time.Minute) == nil {
			t.Error("verified a changed body")
		}
		if Verify(secret, r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), raw, time.Now().Add(time.Hour), 5*time.Minute) == nil {
			t.Error("verified an hour-old timestamp")
		}
		// The first attempt fails; the retry must arrive.
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var b AlertBody
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Errorf("body %s: %v", raw, err)
		}
		got <- b
	}))
	defer srv.Close()

	wh := NewWebhooks(secret, WebhookOptions{Backoff: time.Millisecond})
	defer wh.Close()
	var rec alertRecorder
	n := rec.notifier()
	n.Webhooks = wh
	m := NewMemory(n)
	b := Budget{Scope: "tenant:hook", Limit: 10 * cent, Period: mustPeriod(t, "month", ""), Hard: true, Webhook: srv.URL}
	r, _, _ := m.Reserve(t.Context(), []Budget{b}, 5*cent, time.Minute, t0)
	if err := m.Settle(t.Context(), r, 5*cent); err != nil {
		t.Fatal(err)
	}
	select {
	case a := <-got:
		want := AlertBody{ID: "tenant:hook/1772323200/50", Type: "budget.threshold", Scope: "tenant:hook", Threshold: 50,
			LimitUSD: "0.10", SpentUSD: "0.05", Period: "month", Hard: true, WindowStart: "2026-03-01T00:00:00Z", ResetsAt: "2026-04-01T00:00:00Z"}
		if a != want {
			t.Errorf("alert body %+v, want %+v", a, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook after a retry")
	}
	if calls.Load() != 2 {
		t.Errorf("%d POSTs, want 2 (one failure, one retry)", calls.Load())
	}
}

func TestSignIsHMACOfTimestampDotBody(t *testing.T) {
	// Known answer: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
	got := Sign([]byte("secret"), 1700000000, []byte(`{"a":1}`))
	const want = "sha256=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}
