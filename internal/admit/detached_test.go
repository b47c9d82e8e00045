package admit

import (
	"context"
	"errors"
	"testing"
)

type ctxKey struct{}

// TestDetachedIsWithoutCancel: the context Finish settles under keeps the
// request's values and drops its cancellation, as context.WithoutCancel.
func TestDetachedIsWithoutCancel(t *testing.T) {
	parent, cancel := context.WithCancelCause(context.WithValue(context.Background(), ctxKey{}, "v"))
	cancel(errors.New("client hung up"))
	d := &detached{parent: parent}
	if d.Done() != nil || d.Err() != nil {
		t.Fatalf("done %v, err %v: want a context never cancelled", d.Done(), d.Err())
	}
	if _, ok := d.Deadline(); ok {
		t.Fatal("a deadline, want none")
	}
	if got := d.Value(ctxKey{}); got != "v" {
		t.Fatalf("value %v, want the parent's", got)
	}
	if c := context.Cause(d); c != nil {
		t.Fatalf("cause %v, want nil as for context.WithoutCancel", c)
	}
}
