package emulate

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Kind names a cloud an Emulator speaks for.
type Kind string

// The kinds of cloud this build can emulate.
const (
	OpenAI    Kind = "openai"
	Azure     Kind = "azure"
	Bedrock   Kind = "bedrock"
	Anthropic Kind = "anthropic"
	Gemini    Kind = "gemini"
)

// clouds lists the kinds this build supports, each with the constructor of
// the handler for its API. Everything else an emulator does is shared.
var clouds = []struct {
	kind Kind
	api  func(*Emulator) http.Handler
}{
	{OpenAI, newOpenAIAPI},
	{Azure, newAzureAPI},
	{Bedrock, newBedrockAPI},
	{Anthropic, newAnthropicAPI},
	{Gemini, newGeminiAPI},
}

// Kinds returns the kinds this build supports.
func Kinds() []Kind {
	ks := make([]Kind, len(clouds))
	for i, c := range clouds {
		ks[i] = c.kind
	}
	return ks
}

// An Emulator answers one cloud's API with deterministic models, shaped by
// its Knobs, and keeps the books of what it billed. It is an http.Handler and
// is safe for concurrent use.
type Emulator struct {
	kind   Kind
	api    http.Handler
	knobs  atomic.Pointer[Knobs]
	faults faults
	hangs  faults // its own dice, so that HangRate leaves the other faults' sequence alone
	quota  quota
	books  books
	ids    atomic.Uint64 // numbers responses, for their ids
	idBase uint64        // keeps ids apart across emulators and runs
}

// New returns an emulator of the given kind.
func New(kind Kind, k Knobs) (*Emulator, error) {
	if err := k.validate(); err != nil {
		return nil, fmt.Errorf("emulate: %s knobs: %w", kind, err)
	}
	for _, c := range clouds {
		if c.kind != kind {
			continue
		}
		e := &Emulator{kind: kind, idBase: uint64(time.Now().UnixNano())}
		k.normalize()
		e.knobs.Store(&k)
		e.faults.reseed(k.Seed)
		e.hangs.reseed(^k.Seed)
		e.api = c.api(e)
		return e, nil
	}
	return nil, fmt.Errorf("emulate: unknown kind %q (this build supports %v)", kind, Kinds())
}

// Kind returns the kind of cloud e emulates.
func (e *Emulator) Kind() Kind { return e.kind }

// Knobs returns the current knobs, with defaults filled in.
func (e *Emulator) Knobs() Knobs { return *e.knobs.Load() }

// SetKnobs replaces the knobs; they take effect for the next request. Zero
// values take their defaults and out-of-range values are clamped. A new Seed
// restarts the fault sequence.
func (e *Emulator) SetKnobs(k Knobs) {
	k.normalize()
	old := e.knobs.Swap(&k)
	if old.Seed != k.Seed {
		e.faults.reseed(k.Seed)
		e.hangs.reseed(^k.Seed)
	}
}

// Billed returns a snapshot of what e has billed and refused.
func (e *Emulator) Billed() Billed { return e.books.snapshot() }

// Reset zeroes the counters. It also restarts the fault sequence from the
// seed and closes the quota window, so that a run after Reset meets the same
// faults as a run on a new emulator.
func (e *Emulator) Reset() {
	e.books.reset()
	e.quota.reset()
	e.faults.reseed(e.knobs.Load().Seed)
	e.hangs.reseed(^e.knobs.Load().Seed)
}

// ServeHTTP answers the cloud's API, and the control endpoints under
// /emulator/.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, controlPrefix) {
		e.serveControl(w, r)
		return
	}
	if k := e.knobs.Load(); k.HangRate > 0 && e.hangs.drawOne() < k.HangRate {
		e.books.hung()
		<-r.Context().Done() // silent until the client gives up
		return
	}
	e.api.ServeHTTP(w, r)
}

// nextID returns a fresh 64-bit number for a response id.
func (e *Emulator) nextID() uint64 {
	return mix64(e.idBase + e.ids.Add(1))
}

// mix64 is splitmix64's finalizer: distinct inputs give unrelated outputs.
func mix64(z uint64) uint64 {
	r := rng{z - 0x9E3779B97F4A7C15}
	return r.next()
}

// Server is an emulator listening on a loopback address.
type Server struct {
	*Emulator
	URL string // e.g. http://127.0.0.1:PORT

	srv *http.Server
}

// Listen starts an emulator of the given kind on addr, which must be a
// loopback address: "127.0.0.1:0" picks a free port. Emulators accept any
// prompt and answer without limit, so they are kept off the network.
func Listen(kind Kind, addr string, k Knobs) (*Server, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("emulate: listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("emulate: listen address %q is not loopback; emulators serve 127.0.0.1, ::1 or localhost only", addr)
	}
	e, err := New(kind, k)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("emulate: %s: %w", kind, err)
	}
	s := &Server{
		Emulator: e,
		URL:      "http://" + ln.Addr().String(),
		srv:      &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second},
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			// Serve fails only when the listener does; Close reports nothing
			// more useful, and the clients see their connections refused.
			_ = ln.Close()
		}
	}()
	return s, nil
}

// Close stops the server at once, dropping open connections and streams.
func (s *Server) Close() error {
	if err := s.srv.Close(); err != nil {
		return fmt.Errorf("emulate: close %s: %w", s.URL, err)
	}
	return nil
}
