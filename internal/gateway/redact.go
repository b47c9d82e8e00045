package gateway

import (
	"context"
	"log/slog"
	"strings"
	"time"
)

// redacting wraps the gateway's log handler so that no secret reaches a log
// line, whoever wrote the call: attributes named like a secret are
// replaced, and so is any string that carries a Switchyard client key
// (sk-sy-…) or a bearer credential. It also gives every bare duration its
// unit: an attribute "grace" holding a time.Duration is written as
// grace_ms, so log readers never parse Go's "1m30s".
type redacting struct{ next slog.Handler }

// Redacted is what a secret is written as.
const Redacted = "[redacted]"

func redact(h slog.Handler) slog.Handler {
	if r, ok := h.(redacting); ok {
		return r
	}
	return redacting{next: h}
}

func (h redacting) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h redacting) Handle(ctx context.Context, r slog.Record) error {
	// Most lines (the access log's) need nothing changed: pass them on
	// without copying the record.
	dirty := scrubText(r.Message) != r.Message
	if !dirty {
		r.Attrs(func(a slog.Attr) bool {
			dirty = !scrubAttr(a).Equal(a)
			return !dirty
		})
	}
	if !dirty {
		return h.next.Handle(ctx, r)
	}
	clean := slog.NewRecord(r.Time, r.Level, scrubText(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		clean.AddAttrs(scrubAttr(a))
		return true
	})
	return h.next.Handle(ctx, clean)
}

func (h redacting) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = scrubAttr(a)
	}
	return redacting{next: h.next.WithAttrs(out)}
}

func (h redacting) WithGroup(name string) slog.Handler {
	return redacting{next: h.next.WithGroup(name)}
}

// secretKey reports whether an attribute's key names a secret. Names and
// ids of keys ("key", "key_id", "key_name") and token counts
// ("prompt_tokens") are not secrets.
func secretKey(k string) bool {
	k = strings.ToLower(k)
	switch {
	case k == "authorization", k == "api_key", k == "apikey", k == "token", k == "secret", k == "password",
		k == "pepper", k == "bearer", k == "cookie", k == "x-api-key":
		return true
	case strings.HasSuffix(k, "_token"), strings.HasSuffix(k, "_secret"), strings.HasSuffix(k, "_api_key"),
		strings.HasSuffix(k, "_password"), strings.HasSuffix(k, "access_key"), strings.HasSuffix(k, "_pepper"):
		return true
	}
	return false
}

// clientKeyPrefix starts every Switchyard client key.
const clientKeyPrefix = "sk-sy-"

// scrubText replaces every client key and bearer credential in s.
func scrubText(s string) string {
	if !strings.Contains(s, clientKeyPrefix) && !strings.Contains(s, "Bearer ") {
		return s
	}
	for _, p := range []string{clientKeyPrefix, "Bearer "} {
		var b strings.Builder
		for {
			i := strings.Index(s, p)
			if i < 0 {
				b.WriteString(s)
				break
			}
			b.WriteString(s[:i])
			b.WriteString(Redacted)
			rest := s[i+len(p):]
			j := strings.IndexAny(rest, " \t\n\"',;")
			if j < 0 {
				j = len(rest)
			}
			s = rest[j:]
		}
		s = b.String()
	}
	return s
}

func scrubAttr(a slog.Attr) slog.Attr {
	if secretKey(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		if s := v.String(); strings.Contains(s, clientKeyPrefix) || strings.Contains(s, "Bearer ") {
			return slog.String(a.Key, scrubText(s))
		}
	case slog.KindDuration:
		return slog.Float64(a.Key+"_ms", float64(v.Duration())/float64(time.Millisecond))
	case slog.KindGroup:
		as := v.Group()
		out := make([]slog.Attr, len(as))
		for i, g := range as {
			out[i] = scrubAttr(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	case slog.KindAny:
		// Errors and Stringers are rendered with their text: scrub that.
		var s string
		switch x := v.Any().(type) {
		case error:
			s = x.Error()
		case interface{ String() string }:
			s = x.String()
		default:
			return slog.Attr{Key: a.Key, Value: v}
		}
		if strings.Contains(s, clientKeyPrefix) || strings.Contains(s, "Bearer ") {
			return slog.String(a.Key, scrubText(s))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
