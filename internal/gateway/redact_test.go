package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestRedactingHandler(t *testing.T) {
	cases := []struct {
		name string
		log  func(l *slog.Logger)
		want map[string]any // attributes expected in the JSON line
		not  []string       // substrings that must not appear
	}{
		{"secret-named attributes", func(l *slog.Logger) {
			l.Info("x", "api_key", "abc123", "admin_token", "tok-1", "authorization", "Bearer zz", "webhook_secret", "s3cr3t", "access_key", "AKIA1")
		}, map[string]any{"api_key": Redacted, "admin_token": Redacted, "authorization": Redacted}, []string{"abc123", "tok-1", "zz", "s3cr3t", "AKIA1"}},
		{"names, ids and token counts stay", func(l *slog.Logger) {
			l.Info("x", "key", "prod", "key_id", "k_1", "prompt_tokens", 12)
		}, map[string]any{"key": "prod", "key_id": "k_1", "prompt_tokens": 12.0}, nil},
		{"client keys in any string", func(l *slog.Logger) {
			l.Warn("refused sk-sy-live-0123456789abcdef here", "err", errors.New("bad key sk-sy-live-0123456789abcdef"), "note", "sent Bearer sk-proj-9")
		}, map[string]any{"err": "bad key " + Redacted, "note": "sent " + Redacted}, []string{"0123456789abcdef", "sk-proj-9"}},
		{"groups and WithAttrs", func(l *slog.Logger) {
			l.With("token", "t-9").Info("x", slog.Group("provider", "api_key", "pk-7", "name", "east"))
		}, map[string]any{"token": Redacted}, []string{"t-9", "pk-7"}},
		{"durations get their unit", func(l *slog.Logger) {
			l.Info("x", "grace", 1500*time.Millisecond)
		}, map[string]any{"grace_ms": 1500.0}, []string{`"grace":`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			tc.log(slog.New(redact(slog.NewJSONHandler(&buf, nil))))
			out := buf.String()
			var got map[string]any
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v (line %s)", k, got[k], v, out)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(out, s) {
					t.Errorf("line carries %q: %s", s, out)
				}
			}
		})
	}
}

// BenchmarkAccessLine is the redacting handler's cost on an access-log line
// with nothing to redact, over the JSON handler's own.
func BenchmarkAccessLine(b *testing.B) {
	for _, tc := range []struct {
		name string
		h    slog.Handler
	}{{"json", slog.NewJSONHandler(io.Discard, nil)}, {"redacting", redact(slog.NewJSONHandler(io.Discard, nil))}} {
		b.Run(tc.name, func(b *testing.B) {
			l := slog.New(tc.h)
			b.ReportAllocs()
			for b.Loop() {
				l.Info("request", "request_id", "req_0123456789abcdef01234567", "key", "prod", "op", "chat", "model", "gpt",
					"stream", true, "status", 200, "deployment", "east/gpt", "attempts", 1, "prompt_tokens", 1200,
					"completion_tokens", 300, "cost_usd", "0.0042", "duration_ms", 812.5)
			}
		})
	}
}
