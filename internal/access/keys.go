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
	"time"
)

// Principal is who a request comes from. It holds no secret: everything in
// it is safe to log and to show its own key.
type Principal struct {
	KeyID    string // stable id of the key, kept across rotations; config keys: "cfg_" + name
	TenantID string // "t_…"; config keys: BootstrapTenant
	// KeyName names the key in logs and usage: a config key's name, or
	// "tenant/key" for a stored key, so that it can never collide with a
	// config key's (config names hold no "/").
	KeyName string
	Prefix  string // the key's first characters, safe to show

	Name       string    // the key's own name
	TenantName string    // its tenant's name
	ExpiresAt  time.Time // zero: never; config keys never expire
	// Models is the key's model allowlist, TenantModels its tenant's; a
	// request's model must be on both (an empty list allows every model).
	Models, TenantModels []string
	// Providers and Regions are the tenant's deployment constraints.
	Providers, Regions []string
	// Limits and Budget are the key's own settings, TenantLimits and
	// TenantBudget its tenant's; all apply (internal/limit, internal/budget).
	Limits, TenantLimits Limits
	Budget, TenantBudget Budget
}

// AllowsModel reports whether the key and its tenant may use model.
func (p *Principal) AllowsModel(model string) bool {
	in := func(list []string) bool {
		if len(list) == 0 {
			return true
		}
		for _, m := range list {
			if m == model {
				return true
			}
		}
		return false
	}
	return in(p.Models) && in(p.TenantModels)
}

// digestSize is the size of an HMAC-SHA256 digest.
const digestSize = sha256.Size

// Keyring holds client keys as HMAC-SHA256 digests under a secret pepper. The
// keys themselves are dropped once digested: a memory dump or a leaked store
// reveals no usable key, and the pepper makes digests useless for offline
// guessing without it. Keys are random and long, so a fast keyed hash is the
// right tool (a password hash would only cost CPU on every request).
//
// Config keys are added once (Add); keys from the store live in a Stored
// set that Attach shares between the keyrings of successive config reloads.
type Keyring struct {
	pepper []byte
	byHash map[[digestSize]byte]entry
	stored *Stored
	macs   sync.Pool // of hash.Hash, keyed with pepper: HMAC setup is most of the cost
}

// NewKeyring returns an empty keyring with a fresh random pepper.
func NewKeyring() *Keyring {
	pepper := make([]byte, 32)
	if _, err := rand.Read(pepper); err != nil {
		panic("access: no randomness: " + err.Error()) // crypto/rand never fails on supported platforms
	}
	return NewKeyringPepper(pepper)
}

// NewKeyringPepper returns an empty keyring digesting under pepper (see
// LoadPepper): stored digests only match under the pepper they were made with.
func NewKeyringPepper(pepper []byte) *Keyring {
	k := &Keyring{pepper: pepper, byHash: make(map[[digestSize]byte]entry)}
	k.macs.New = func() any { return hmac.New(sha256.New, k.pepper) }
	return k
}

// Attach makes the keys of s valid in k too. It must be called before the
// keyring is shared; s must digest under the same pepper.
func (k *Keyring) Attach(s *Stored) { k.stored = s }

// Digest is the HMAC-SHA256 of key under the keyring's pepper: what the
// store keeps in place of the key.
func (k *Keyring) Digest(key string) [sha256.Size]byte { return k.digest(key) }

// BootstrapTenant is the tenant id (and name) of config keys: a tenant that
// is not stored and has no limits or budget of its own.
const BootstrapTenant = "bootstrap"

// ErrDuplicate reports a key added twice.
var ErrDuplicate = errors.New("access: duplicate key")

// Add registers key under name. It must be called before the keyring is shared.
func (k *Keyring) Add(name, key string) error {
	d := k.digest(key)
	if _, ok := k.byHash[d]; ok {
		return ErrDuplicate
	}
	k.byHash[d] = entry{digest: d, p: &Principal{KeyID: "cfg_" + name, TenantID: BootstrapTenant, TenantName: BootstrapTenant,
		KeyName: name, Name: name, Prefix: Prefix(key)}}
	return nil
}

// Lookup returns the principal holding key, if the key may be used now.
func (k *Keyring) Lookup(key string) (*Principal, bool) {
	p, err := k.Check(key, time.Now())
	return p, err == nil
}

// Errors Check returns for a key that is refused.
var (
	ErrUnknownKey     = errors.New("access: unknown key")
	ErrRevoked        = errors.New("access: key revoked")
	ErrExpired        = errors.New("access: key expired")
	ErrTenantDisabled = errors.New("access: tenant disabled")
)

// Check returns the principal holding key, or why it may not be used at now:
// ErrUnknownKey, ErrRevoked, ErrExpired (a rotated-out secret past its grace
// period included) or ErrTenantDisabled. It compares digests, never keys,
// and confirms the hit in constant time.
func (k *Keyring) Check(key string, now time.Time) (*Principal, error) {
	if key == "" {
		return nil, ErrUnknownKey
	}
	d := k.digest(key)
	e, ok := k.byHash[d]
	// A map's key comparison may exit at the first differing byte; confirming
	// the hit in constant time keeps every comparison of secret-derived bytes
	// free of timing signal.
	if ok && subtle.ConstantTimeCompare(e.digest[:], d[:]) == 1 {
		return e.p, nil
	}
	if k.stored != nil {
		return k.stored.check(d, now)
	}
	return nil, ErrUnknownKey
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
