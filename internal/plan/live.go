package plan

import (
	"sync"
	"sync/atomic"
)

// Live holds the Book in force: the config's plans and assignments (the
// base, replaced on reload) plus those added through the admin API (kept
// across reloads). Readers Load it with one atomic read; writers rebuild
// and swap the whole Book.
type Live struct {
	book atomic.Pointer[Book]

	mu          sync.Mutex
	basePlans   []Plan
	baseAssign  []Assignment
	addedPlans  []Plan
	addedAssign []Assignment
}

// NewLive returns a Live holding an empty Book: everyone is pass-through.
func NewLive() *Live {
	l := &Live{}
	b, _ := NewBook(nil, nil)
	l.book.Store(b)
	return l
}

// Load returns the Book in force.
func (l *Live) Load() *Book { return l.book.Load() }

// SetBase replaces the config's plans and assignments. On error the Book in
// force is kept.
func (l *Live) SetBase(plans []Plan, assignments []Assignment) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.swap(plans, assignments, l.addedPlans, l.addedAssign); err != nil {
		return err
	}
	l.basePlans, l.baseAssign = plans, assignments
	return nil
}

// AddPlan adds a plan, or replaces an added plan of the same name (the admin
// API appends versions by posting the plan again). A plan of the config's
// cannot be replaced: edit the config.
func (l *Live) AddPlan(p Plan) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	added := make([]Plan, 0, len(l.addedPlans)+1)
	for _, q := range l.addedPlans {
		if q.Name != p.Name {
			added = append(added, q)
		}
	}
	added = append(added, p)
	if err := l.swap(l.basePlans, l.baseAssign, added, l.addedAssign); err != nil {
		return err
	}
	l.addedPlans = added
	return nil
}

// Assign adds an assignment.
func (l *Live) Assign(a Assignment) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	added := append(l.addedAssign[:len(l.addedAssign):len(l.addedAssign)], a)
	if err := l.swap(l.basePlans, l.baseAssign, l.addedPlans, added); err != nil {
		return err
	}
	l.addedAssign = added
	return nil
}

// IsBase reports whether the plan named name comes from the config.
func (l *Live) IsBase(name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range l.basePlans {
		if p.Name == name {
			return true
		}
	}
	return false
}

func (l *Live) swap(plans []Plan, assign []Assignment, addedPlans []Plan, addedAssign []Assignment) error {
	b, err := NewBook(append(plans[:len(plans):len(plans)], addedPlans...), append(assign[:len(assign):len(assign)], addedAssign...))
	if err != nil {
		return err
	}
	l.book.Store(b)
	return nil
}
