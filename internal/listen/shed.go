package listen

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/anthropic"
	"github.com/switchyard/switchyard/internal/wire/openai"
)

// Shedder caps the requests in flight in the handler it wraps. Past the
// cap, and on any connection past the connection cap, it answers 503 with
// Retry-After: 1 at once instead of queueing: a queue only moves the wait
// to where the client cannot see it. /healthz and /readyz always pass and
// are not counted: a node that sheds load is alive, and its readiness is
// for the node itself to say.
type Shedder struct {
	next     http.Handler
	max      int64
	inFlight atomic.Int64
	shed     atomic.Int64
}

// Shed wraps next with an in-flight cap; max <= 0 means no cap.
func Shed(next http.Handler, max int) *Shedder {
	return &Shedder{next: next, max: int64(max)}
}

// InFlight is the number of counted requests in the handler; Shed the
// number answered 503 so far.
func (s *Shedder) InFlight() int64 { return s.inFlight.Load() }
func (s *Shedder) Shed() int64     { return s.shed.Load() }

func (s *Shedder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	probation := onProbation(r.Context())
	if probation {
		// One request per connection past the cap, so the spare slot frees.
		w.Header().Set("Connection", "close")
	}
	if isProbe(r.URL.Path) {
		s.next.ServeHTTP(w, r)
		return
	}
	if probation {
		s.refuse(w, r, "The gateway has too many open connections; retry shortly.")
		return
	}
	if s.max > 0 {
		if s.inFlight.Add(1) > s.max {
			s.inFlight.Add(-1)
			s.refuse(w, r, "The gateway has too many requests in flight; retry shortly.")
			return
		}
		defer s.inFlight.Add(-1)
	}
	s.next.ServeHTTP(w, r)
}

func isProbe(path string) bool { return path == "/healthz" || path == "/readyz" }

// refuse answers 503 in the envelope of the API the path belongs to. An
// unread body closes the connection rather than being drained.
func (s *Shedder) refuse(w http.ResponseWriter, r *http.Request, msg string) {
	s.shed.Add(1)
	e := &openai.Error{Status: http.StatusServiceUnavailable, Type: openai.TypeForStatus(http.StatusServiceUnavailable),
		Code: "overloaded", Message: msg}
	body := e.Body()
	if strings.HasPrefix(r.URL.Path, "/v1/messages") {
		body = anthropic.EncodeError(&wire.Error{Status: e.Status, Kind: wire.ErrOverloaded, Code: e.Code, Message: msg})
	}
	h := w.Header()
	if h.Get("X-Switchyard-Request-Id") == "" {
		// Shed before the API handler gave it one: a user quoting a 503
		// still has an id to quote.
		h.Set("X-Switchyard-Request-Id", fmt.Sprintf("req_%016x%08x", rand.Uint64(), rand.Uint32()))
	}
	h.Set("Retry-After", "1")
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.ContentLength != 0 {
		h.Set("Connection", "close")
	}
	w.WriteHeader(e.Status)
	w.Write(body)
}
