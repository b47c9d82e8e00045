package emulate

import (
	"sync"
	"time"
)

// window is the length of a quota window.
const window = time.Minute

// quota counts requests against a requests-per-minute limit in fixed windows.
// A window opens with the first request after the previous one closed, rather
// than on the wall clock's minute, so that "the third request within a minute
// is refused" holds whenever a test happens to run.
type quota struct {
	mu    sync.Mutex
	start time.Time // when the current window opened; zero before the first request
	used  int
}

// rateLimit is the quota's state as the x-ratelimit-* headers report it.
type rateLimit struct {
	limit, remaining int
	reset            time.Duration // until the window closes
}

// take counts one request at now against limit and reports whether it fits.
func (q *quota) take(limit int, now time.Time) (bool, rateLimit) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.start.IsZero() || now.Sub(q.start) >= window || now.Before(q.start) {
		q.start, q.used = now, 0
	}
	rl := rateLimit{limit: limit, reset: q.start.Add(window).Sub(now)}
	if q.used >= limit {
		return false, rl
	}
	q.used++
	rl.remaining = limit - q.used
	return true, rl
}

func (q *quota) reset() {
	q.mu.Lock()
	q.start, q.used = time.Time{}, 0
	q.mu.Unlock()
}
