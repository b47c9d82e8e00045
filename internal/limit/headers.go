package limit

import (
	"net/http"
	"strconv"
	"time"
)

// Headers are the x-ratelimit-* values OpenAI's clients read. A zero limit
// means no scope limits that dimension, and its headers are omitted.
type Headers struct {
	LimitRequests, RemainingRequests int64
	ResetRequests                    time.Duration // until the requests window is empty again
	LimitTokens, RemainingTokens     int64
	ResetTokens                      time.Duration // until the tokens window is empty again
}

// Write sets x-ratelimit-{limit,remaining,reset}-{requests,tokens} on hdr.
func (h Headers) Write(hdr http.Header) {
	if h.LimitRequests > 0 {
		hdr["X-Ratelimit-Limit-Requests"] = []string{strconv.FormatInt(h.LimitRequests, 10)}
		hdr["X-Ratelimit-Remaining-Requests"] = []string{strconv.FormatInt(h.RemainingRequests, 10)}
		hdr["X-Ratelimit-Reset-Requests"] = []string{FormatReset(h.ResetRequests)}
	}
	if h.LimitTokens > 0 {
		hdr["X-Ratelimit-Limit-Tokens"] = []string{strconv.FormatInt(h.LimitTokens, 10)}
		hdr["X-Ratelimit-Remaining-Tokens"] = []string{strconv.FormatInt(h.RemainingTokens, 10)}
		hdr["X-Ratelimit-Reset-Tokens"] = []string{FormatReset(h.ResetTokens)}
	}
}

// Write sets the rate-limit headers and, when refused, Retry-After (whole
// seconds, rounded up, as RFC 9110 wants) and retry-after-ms (OpenAI's SDKs
// prefer it).
func (d Decision) Write(hdr http.Header) {
	d.Headers.Write(hdr)
	if d.Allowed || d.TooLarge {
		return
	}
	ms := (d.RetryAfter + time.Millisecond - 1) / time.Millisecond
	if ms < 1 {
		ms = 1
	}
	hdr["Retry-After"] = []string{strconv.FormatInt(int64((ms+999)/1000), 10)}
	hdr["Retry-After-Ms"] = []string{strconv.FormatInt(int64(ms), 10)}
}

// FormatReset formats a reset duration the way OpenAI does ("20ms", "1s",
// "6m0s"): rounded up to the millisecond so a client never retries early.
func FormatReset(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	d = (d + time.Millisecond - 1).Truncate(time.Millisecond)
	return d.String()
}
