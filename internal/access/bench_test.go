package access

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkCheckStored is the request path's key check against 10,000
// stored keys: one HMAC, one map lookup, one constant-time compare.
func BenchmarkCheckStored(b *testing.B) {
	k := NewKeyringPepper([]byte("a-pepper-for-the-benchmark"))
	s := NewStored()
	k.Attach(s)
	var keys []StoredKey
	var secret string
	for i := range 10000 {
		sec := NewKey()
		if i == 5000 {
			secret = sec
		}
		keys = append(keys, StoredKey{Digest: k.Digest(sec), Principal: &Principal{KeyID: fmt.Sprint("k_", i)}})
	}
	s.Replace(keys)
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := k.Check(secret, now); err != nil {
			b.Fatal(err)
		}
	}
}
