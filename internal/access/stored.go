package access

import (
	"crypto/sha256"
	"crypto/subtle"
	"sync"
	"sync/atomic"
	"time"
)

// StoredKey is one digest of a key from the store, with what decides
// whether it may be used. A key in its rotation grace period has two: its
// current digest and its previous one, whose GraceUntil is set.
type StoredKey struct {
	Digest    [sha256.Size]byte
	Principal *Principal
	ExpiresAt time.Time // zero: never
	// GraceUntil, when set, marks a rotated-out secret: it works until
	// then and is ErrExpired after.
	GraceUntil     time.Time
	Revoked        bool
	TenantDisabled bool
}

// Stored is the in-memory set of stored keys, replaced whole on every change
// so that the request path reads it with one atomic load and never touches
// the database. It also counts when each key was last used, for a
// background writer to flush in batches.
type Stored struct {
	set atomic.Pointer[map[[sha256.Size]byte]*storedEntry]

	mu   sync.Mutex
	used map[string]*lastUse // by key id, kept across Replace
}

type storedEntry struct {
	StoredKey
	used *lastUse
}

// lastUse is a key's last use in Unix seconds, and the last value flushed.
type lastUse struct {
	at, flushed atomic.Int64
}

// NewStored returns an empty set.
func NewStored() *Stored {
	s := &Stored{used: map[string]*lastUse{}}
	m := map[[sha256.Size]byte]*storedEntry{}
	s.set.Store(&m)
	return s
}

// Replace swaps in keys as the whole set.
func (s *Stored) Replace(keys []StoredKey) {
	m := make(map[[sha256.Size]byte]*storedEntry, len(keys))
	s.mu.Lock()
	live := make(map[string]*lastUse, len(keys))
	for _, k := range keys {
		id := k.Principal.KeyID
		u := s.used[id]
		if u == nil {
			u = &lastUse{}
		}
		live[id] = u
		m[k.Digest] = &storedEntry{StoredKey: k, used: u}
	}
	// Uses not yet flushed of keys that left the set are dropped: a
	// revoked or deleted key's last use matters little.
	s.used = live
	s.mu.Unlock()
	s.set.Store(&m)
}

// Len is the number of digests in the set.
func (s *Stored) Len() int { return len(*s.set.Load()) }

func (s *Stored) check(d [sha256.Size]byte, now time.Time) (*Principal, error) {
	e, ok := (*s.set.Load())[d]
	if !ok || subtle.ConstantTimeCompare(e.Digest[:], d[:]) != 1 {
		return nil, ErrUnknownKey
	}
	switch {
	case e.Revoked:
		return nil, ErrRevoked
	case e.TenantDisabled:
		return nil, ErrTenantDisabled
	case !e.ExpiresAt.IsZero() && !now.Before(e.ExpiresAt),
		!e.GraceUntil.IsZero() && !now.Before(e.GraceUntil):
		return nil, ErrExpired
	}
	// One atomic load per request, a store once a second per key: the
	// cache line is not bounced between cores by every request.
	if sec := now.Unix(); e.used.at.Load() != sec {
		e.used.at.Store(sec)
	}
	return e.Principal, nil
}

// TakeUsed returns the keys used since the last call, each with its last
// use, for writing to the store in one batch.
func (s *Stored) TakeUsed() map[string]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out map[string]time.Time
	for id, u := range s.used {
		at := u.at.Load()
		if at != 0 && at != u.flushed.Load() {
			if out == nil {
				out = map[string]time.Time{}
			}
			out[id] = time.Unix(at, 0).UTC()
			u.flushed.Store(at)
		}
	}
	return out
}
