package price

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/wire"
)

// Errors of Book.Price. Both mean the usage could not be priced; the caller
// records it unpriced and says so, never at a silent $0.
var (
	ErrUnknownDeployment = errors.New("price: no price for deployment")
	// ErrBeforeFirstVersion is returned for a time before a deployment's
	// first version: billing it at rates that were not yet in force would
	// be a wrong number that looks right. A price list whose first entry
	// omits its start is in force since ever and never returns it.
	ErrBeforeFirstVersion = errors.New("price: before the deployment's first price version")
)

// Book maps deployment names to their price schedules. It is built once (from
// config) and read without locks: a new config builds a new Book.
type Book struct {
	schedules map[string]*Schedule
}

// NewBook returns an empty book.
func NewBook() *Book { return &Book{schedules: map[string]*Schedule{}} }

// Set gives deployment its schedule, replacing any earlier one. Call it while
// building the book, before it is shared.
func (b *Book) Set(deployment string, s Schedule) {
	b.schedules[deployment] = &s
}

// Schedule returns deployment's schedule.
func (b *Book) Schedule(deployment string) (*Schedule, bool) {
	s, ok := b.schedules[deployment]
	return s, ok
}

// Deployments lists the deployments the book prices (or knows to be
// unpriced), sorted: the store records each of their versions.
func (b *Book) Deployments() []string {
	return slices.Sorted(maps.Keys(b.schedules))
}

// Price prices u, used by deployment at time at, and names the version it
// applied. An unpriced deployment answers unpriced with a zero cost and no
// version, never an error. An unknown deployment, or a time before its first
// version, is an error. Price does not allocate unless it fails.
func (b *Book) Price(deployment string, at time.Time, u wire.Usage) (cost money.Nanos, version string, unpriced bool, err error) {
	s, ok := b.schedules[deployment]
	if !ok {
		return 0, "", false, fmt.Errorf("%w %q", ErrUnknownDeployment, deployment)
	}
	if s.Unpriced {
		return 0, "", true, nil
	}
	v, ok := s.At(at)
	if !ok {
		return 0, "", false, fmt.Errorf("%w: %s at %s", ErrBeforeFirstVersion, deployment, at.UTC().Format(time.RFC3339))
	}
	return v.Rates.Cost(u), v.ID, false, nil
}
