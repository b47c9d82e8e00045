package admit

import (
	"hash/maphash"
	"sync/atomic"
)

// nameCache remembers scope names ("key:" + id, "tenant:" + id): building
// them was two of a one-node admission's three allocations. It is a fixed
// table of slots, each holding the last id hashed to it, so it is bounded
// and lock-free; a miss (a new id, or two hot ids sharing a slot) builds the
// name as before and takes the slot.
type nameCache struct {
	prefix string
	slots  [1024]atomic.Pointer[scopeName]
}

type scopeName struct{ id, name string }

var (
	nameSeed    = maphash.MakeSeed()
	keyNames    = &nameCache{prefix: "key:"}
	tenantNames = &nameCache{prefix: "tenant:"}
)

// name is c.prefix + id.
func (c *nameCache) name(id string) string {
	s := &c.slots[maphash.String(nameSeed, id)%uint64(len(c.slots))]
	if e := s.Load(); e != nil && e.id == id {
		return e.name
	}
	e := &scopeName{id: id, name: c.prefix + id}
	s.Store(e)
	return e.name
}
