// Package access decides who may call the gateway: client keys and the identities behind them.
package access

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"hash"
	"net/http"
	"strings"
	"sync"
)

// Principal is who a request comes from.
type Principal struct {
	KeyID    string // stable id of the key, kept across rotations; config keys: "cfg_" + name
	TenantID string // "" for config (bootstrap) keys
	KeyName  string // the key's name, safe to log
	Prefix   string // the key's first characters, safe to show
}

// digestSize is the size of an HMAC-SHA256 digest.
const digestSize = sha256.Size

// Keyring holds client keys as HMAC-SHA256 digests under a secret pepper. The
// keys themselves are dropped once digested: a memory dump or a leaked store
// reveals no usable key, and the pepper makes digests useless for offline
// guessing without it. Keys are random and long, so a fast keyed hash is the
// right tool (a password hash would only cost CPU on every request).
type Keyring struct {
	pepper []byte
	byHash map[[digestSize]byte]entry
	macs   sync.Pool // of hash.Hash, keyed with pepper: HMAC setup is most of the cost
}

// NewKeyring returns an empty keyring with a fresh random pepper.
func NewKeyring() *Keyring {
	pepper := make([]byte, 32)
	if _, err := rand.Read(pepper); err != nil {
		panic("access: no randomness: " + err.Error()) // crypto/rand never fails on supported platforms
	}
	k := &Keyring{pepper: pepper, byHash: make(map[[digestSize]byte]entry)}
	k.macs.New = func() any { return hmac.New(sha256.New, k.pepper) }
	return k
}

// ErrDuplicate reports a key added twice.
var ErrDuplicate = errors.New("access: duplicate key")

// Add registers key under name. It must be called before the keyring is shared.
func (k *Keyring) Add(name, key string) error {
	d := k.digest(key)
	if _, ok := k.byHash[d]; ok {
		return ErrDuplicate
	}
	k.byHash[d] = entry{digest: d, p: &Principal{KeyID: "cfg_" + name, KeyName: name, Prefix: Prefix(key)}}
	return nil
}

// Lookup returns the principal holding key. It compares digests, never keys,
// and confirms the hit in constant time.
func (k *Keyring) Lookup(key string) (*Principal, bool) {
	if key == "" {
		return nil, false
	}
	d := k.digest(key)
	e, ok := k.byHash[d]
	// A map's key comparison may exit at the first differing byte; confirming
	// the hit in constant time keeps every comparison of secret-derived bytes
	// free of timing signal.
	if !ok || subtle.ConstantTimeCompare(e.digest[:], d[:]) != 1 {
		return nil, false
	}
	return e.p, true
}

type entry struct {
	digest [digestSize]byte
	p      *Principal
}

func (k *Keyring) digest(key string) [digestSize]byte {
	m := k.macs.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(key))
	var d [digestSize]byte
	m.Sum(d[:0])
	k.macs.Put(m)
	return d
}

// Prefix is the visible part of a key: enough to tell keys apart in logs and
// listings, too little to use.
func Prefix(key string) string {
	n := 8
	if strings.HasPrefix(key, "sk-") {
		n = 12
	}
	if len(key) <= n+4 {
		n = len(key) / 3
	}
	return key[:n]
}

// FromRequest extracts a client key: "Authorization: Bearer KEY" (OpenAI
// clients) or "x-api-key: KEY" (Anthropic clients). An Authorization header
// of another scheme (Basic, an SDK's placeholder) is not a key and does not
// hide an x-api-key beside it.
func FromRequest(r *http.Request) string {
	if v := r.Header.Get("Authorization"); len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		if k := strings.TrimSpace(v[7:]); k != "" {
			return k
		}
	}
	return r.Header.Get("X-Api-Key")
}

// NewKey returns a fresh random client key with Switchyard's "sk-sy-" prefix.
func NewKey() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic("access: no randomness: " + err.Error())
	}
	return "sk-sy-" + base64.RawURLEncoding.EncodeToString(b)
}
