package emulate

import (
	"reflect"
	"sync"
	"time"
)

// Prompt caching, as Anthropic does it closely enough for usage fields to be
// predictable: a block with cache_control makes a breakpoint, and the prompt
// up to and including it (tools, then system, then messages) is a prefix the
// cache keeps for its ttl. A request reads from the cache the longest prefix
// it has seen before, looking at each breakpoint and at the 20 block
// boundaries before it, and writes the rest up to its last breakpoint.

// anthropicCacheLookback is how many block boundaries before a breakpoint are checked
// for a hit, as Anthropic's documentation describes.
const anthropicCacheLookback = 20

// anthropicCacheMaxEntries bounds the cache; past it, expired entries are swept, and
// if that is not enough the cache starts again empty.
const anthropicCacheMaxEntries = 1 << 16

const (
	anthropicCacheTTL5m = 5 * time.Minute
	anthropicCacheTTL1h = time.Hour
)

// anthropicCachePlan is what a request offers the cache: every block boundary of its
// prompt, in order, and which of them are breakpoints.
type anthropicCachePlan struct {
	bounds []anthropicCacheBound
	breaks []anthropicCacheBreak
}

// anthropicCacheBound is the prompt up to a block boundary: its hash and its tokens.
type anthropicCacheBound struct {
	hash   uint64
	tokens int
}

// anthropicCacheBreak is a breakpoint: the index of its boundary, and its ttl.
type anthropicCacheBreak struct {
	at    int
	ttl1h bool
}

func (b anthropicCacheBreak) ttl() time.Duration {
	if b.ttl1h {
		return anthropicCacheTTL1h
	}
	return anthropicCacheTTL5m
}

// anthropicCacheUsage is how a request's prompt splits between the cache and fresh input.
type anthropicCacheUsage struct {
	read             int // cache_read_input_tokens
	write5m, write1h int // cache_creation_input_tokens, by ttl
}

func (u anthropicCacheUsage) written() int { return u.write5m + u.write1h }

type anthropicCacheEntry struct {
	expires time.Time
	ttl     time.Duration
}

// anthropicCache is one emulator's prompt cache. It forgets everything when the
// emulator is Reset, so that a run after Reset starts as cold as a new
// emulator; see books.anthropicEpoch.
type anthropicCache struct {
	mu      sync.Mutex
	entries map[uint64]anthropicCacheEntry
	epoch   map[string]ModelBilled
}

// anthropicEpoch returns a value that changes whenever the books are reset: their
// ByModel map, which reset drops and the next bill replaces. The cache holds
// on to the map it last saw, so its address cannot be reused by a new one.
func (bk *books) anthropicEpoch() map[string]ModelBilled {
	bk.mu.Lock()
	defer bk.mu.Unlock()
	return bk.b.ByModel
}

// sync empties the cache if the emulator was reset since it was last used.
// The caller holds c.mu.
func (c *anthropicCache) sync(epoch map[string]ModelBilled) {
	if reflect.ValueOf(epoch).UnsafePointer() != reflect.ValueOf(c.epoch).UnsafePointer() {
		clear(c.entries)
		c.epoch = epoch
	}
}

// lookup splits the prompt of plan between what the cache holds and what it
// would write, refreshing the ttl of the entry it reads. It writes nothing:
// only an answered request does, through store.
func (c *anthropicCache) lookup(plan *anthropicCachePlan, now time.Time, epoch map[string]ModelBilled) anthropicCacheUsage {
	var u anthropicCacheUsage
	if len(plan.breaks) == 0 {
		return u
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sync(epoch)
	hit := -1
	for _, b := range plan.breaks {
		for j := b.at; j >= 0 && j >= b.at-anthropicCacheLookback; j-- {
			e, ok := c.entries[plan.bounds[j].hash]
			if !ok || !now.Before(e.expires) {
				continue
			}
			if hit < 0 || plan.bounds[j].tokens > plan.bounds[hit].tokens {
				hit = j
			}
			break // the nearest hit to a breakpoint is its longest
		}
	}
	prev := 0
	if hit >= 0 {
		h := plan.bounds[hit].hash
		e := c.entries[h]
		e.expires = now.Add(e.ttl)
		c.entries[h] = e
		u.read = plan.bounds[hit].tokens
		prev = u.read
	}
	for _, b := range plan.breaks {
		seg := plan.bounds[b.at].tokens - prev
		if seg <= 0 {
			continue
		}
		if b.ttl1h {
			u.write1h += seg
		} else {
			u.write5m += seg
		}
		prev += seg
	}
	return u
}

// store keeps every breakpoint's prefix of plan for its ttl.
func (c *anthropicCache) store(plan *anthropicCachePlan, now time.Time, epoch map[string]ModelBilled) {
	if len(plan.breaks) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sync(epoch)
	if c.entries == nil {
		c.entries = make(map[uint64]anthropicCacheEntry)
	}
	if len(c.entries)+len(plan.breaks) > anthropicCacheMaxEntries {
		for h, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, h)
			}
		}
		if len(c.entries)+len(plan.breaks) > anthropicCacheMaxEntries {
			clear(c.entries)
		}
	}
	for _, b := range plan.breaks {
		h := plan.bounds[b.at].hash
		ttl := b.ttl()
		if old, ok := c.entries[h]; ok && old.ttl > ttl {
			ttl = old.ttl // a prefix cached for an hour keeps its hour
		}
		c.entries[h] = anthropicCacheEntry{expires: now.Add(ttl), ttl: ttl}
	}
}

// anthropicMaxBreakpoints is how many cache_control blocks a request may have.
const anthropicMaxBreakpoints = 4

// check refuses what the real API refuses about cache breakpoints: more than
// four, or an hour-long one after a five-minute one.
func (c *anthropicCachePlan) check() *anthropicError {
	if len(c.breaks) > anthropicMaxBreakpoints {
		return anthropicInvalid("A maximum of %d blocks with cache_control may be provided. Found %d.",
			anthropicMaxBreakpoints, len(c.breaks))
	}
	short := false
	for _, b := range c.breaks {
		if b.ttl1h && short {
			return anthropicInvalid("a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block. " +
				"Note that blocks are processed in the following order: `tools`, `system`, `messages`.")
		}
		short = short || !b.ttl1h
	}
	return nil
}
