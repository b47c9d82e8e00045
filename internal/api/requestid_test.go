package api

import (
	"strings"
	"testing"
	"time"
)

// TestRequestIDs: ids are req_ and 24 hex digits, unique, and sort in the
// order they were made from one millisecond to the next (the store's
// indexes rely on it to append rather than scatter).
func TestRequestIDs(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for i := range 100_000 {
		id := newRequestID()
		if len(id) != 28 || !strings.HasPrefix(id, "req_") || strings.Trim(id[4:], "0123456789abcdef") != "" {
			t.Fatalf("id %q: want req_ and 24 hex digits", id)
		}
		if seen[id] {
			t.Fatalf("id %q made twice", id)
		}
		seen[id] = true
		if i%10_000 == 0 {
			time.Sleep(2 * time.Millisecond)
			if prev != "" && id <= prev {
				t.Fatalf("id %q made after %q sorts before it", id, prev)
			}
			prev = id
		}
	}
	// The time part is the Unix millisecond.
	now := time.Now().UnixMilli()
	id := newRequestID()
	var ms int64
	for _, c := range id[4:15] {
		ms = ms<<4 | int64(strings.IndexRune("0123456789abcdef", c))
	}
	if d := ms - now; d < 0 || d > 1000 {
		t.Errorf("id %q carries millisecond %d, made at %d", id, ms, now)
	}
}
