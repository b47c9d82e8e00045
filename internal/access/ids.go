package access

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

// idEncoding is lower-case Crockford-like base32 without padding: ids sort
// as their bytes do, and read well in URLs and logs.
var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns prefix + a 26-character id: 48 bits of milliseconds since
// the epoch, then 80 random bits. Ids sort in the order they were made (in
// one process; across processes, to the millisecond), so listings paged by
// id come in creation order: within one millisecond, the random part of the
// previous id is incremented instead of drawn anew, as ULIDs do.
func NewID(prefix string, now time.Time) string {
	var b [16]byte
	ms := uint64(now.UnixMilli())
	idMu.Lock()
	if ms <= idLast.ms {
		// Same millisecond (or a clock step back): keep order.
		ms = idLast.ms
		b = idLast.b
		for i := 15; i >= 6; i-- {
			b[i]++
			if b[i] != 0 {
				break
			}
		}
	} else {
		binary.BigEndian.PutUint64(b[:8], ms<<16)
		if _, err := rand.Read(b[6:]); err != nil {
			panic("access: no randomness: " + err.Error())
		}
		b[6] &= 0x7f // headroom for increments within the millisecond
	}
	idLast.ms, idLast.b = ms, b
	idMu.Unlock()
	return prefix + strings.ToLower(idEncoding.EncodeToString(b[:]))
}

var (
	idMu   sync.Mutex
	idLast struct {
		ms uint64
		b  [16]byte
	}
)

// NewTenantID returns a fresh tenant id, "t_…".
func NewTenantID() string { return NewID("t_", time.Now()) }

// NewKeyID returns a fresh key id, "k_…". A key keeps its id across
// rotations: budgets and usage history hang on it, not on the secret.
func NewKeyID() string { return NewID("k_", time.Now()) }
