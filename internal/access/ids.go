package access

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"strings"
	"time"
)

// idEncoding is lower-case Crockford-like base32 without padding: ids sort
// as their bytes do, and read well in URLs and logs.
var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns prefix + a 26-character id: 48 bits of milliseconds since
// the epoch, then 80 random bits. Ids made later sort later (to the
// millisecond), so listings paged by id come in creation order.
func NewID(prefix string, now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic("access: no randomness: " + err.Error())
	}
	return prefix + strings.ToLower(idEncoding.EncodeToString(b[:]))
}

// NewTenantID returns a fresh tenant id, "t_…".
func NewTenantID() string { return NewID("t_", time.Now()) }

// NewKeyID returns a fresh key id, "k_…". A key keeps its id across
// rotations: budgets and usage history hang on it, not on the secret.
func NewKeyID() string { return NewID("k_", time.Now()) }
