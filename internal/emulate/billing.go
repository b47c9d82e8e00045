package emulate

import "sync"

// Billed is what an emulator has billed and refused since it started or was
// last reset.
//
// Every billable answer is billed once, in Requests, InputTokens and
// OutputTokens. Unreported is the part of that billed for answers whose
// usage report never went out to the client, so that a client (a gateway)
// can be checked exactly on what it was told and within a tolerance on what
// it had to estimate. The rule:
//
//   - an answer's usage report is the one that carries its final output
//     count: a whole answer's body; an OpenAI stream's usage chunk (sent only
//     with stream_options.include_usage); Anthropic's message_delta;
//     Bedrock's metadata event; Gemini's last chunk (earlier chunks carry
//     running counts, which are not the answer's);
//   - an answer is billed as reported when that report was written to the
//     connection without error, and as unreported otherwise: streams cut on
//     purpose (DisconnectRate), streams the client left before the report,
//     and OpenAI streams that did not ask for usage;
//   - Reported() is the difference, what the client was told.
//
// "Written without error" is what a server can know: a client that cancels
// at the very moment the report is written may never read it. A test that
// compares exactly should cancel well before a stream's end.
type Billed struct {
	Requests     int64 `json:"requests"`      // billable answers (complete, or streams cut mid-way)
	InputTokens  int64 `json:"input_tokens"`  // prompt tokens of billed answers
	OutputTokens int64 `json:"output_tokens"` // for cut streams: tokens actually sent
	Unreported   Tally `json:"unreported"`    // the part billed for answers whose usage report never went out
	Received     int64 `json:"received"`      // every request that reached a model endpoint
	Errors       int64 `json:"errors"`        // injected 5xx
	Throttled    int64 `json:"throttled"`     // 429s (injected or quota)
	Disconnects  int64 `json:"disconnects"`   // streams cut on purpose
	Hung         int64 `json:"hung"`          // requests left unanswered on purpose (HangRate)

	ByModel map[string]ModelBilled `json:"by_model"` // keyed by model id (Azure: deployment name)
}

// Tally is a count of billed answers and their tokens.
type Tally struct {
	Requests     int64 `json:"requests"`
	InputTokens  int64 `json:"input_tokens"`
	OutputTokens int64 `json:"output_tokens"`
}

// ModelBilled is the billed part of Billed for one model.
type ModelBilled struct {
	Requests     int64 `json:"requests"`
	InputTokens  int64 `json:"input_tokens"`
	OutputTokens int64 `json:"output_tokens"`
	Unreported   Tally `json:"unreported"` // as in Billed
}

// Reported is what was billed for answers whose usage report went out.
func (b Billed) Reported() Tally {
	return Tally{b.Requests, b.InputTokens, b.OutputTokens}.minus(b.Unreported)
}

// Reported is what was billed for the model's answers whose usage report
// went out.
func (m ModelBilled) Reported() Tally {
	return Tally{m.Requests, m.InputTokens, m.OutputTokens}.minus(m.Unreported)
}

func (t Tally) minus(u Tally) Tally {
	return Tally{t.Requests - u.Requests, t.InputTokens - u.InputTokens, t.OutputTokens - u.OutputTokens}
}

func (t *Tally) add(in, out int, n int64) {
	t.Requests += n
	t.InputTokens += n * int64(in)
	t.OutputTokens += n * int64(out)
}

// books keeps an emulator's Billed. One mutex guards it all, so that a
// snapshot is consistent: Requests always equals the sum over ByModel.
type books struct {
	mu sync.Mutex
	b  Billed
}

// count applies f to the counters under the lock.
func (bk *books) count(f func(*Billed)) {
	bk.mu.Lock()
	f(&bk.b)
	bk.mu.Unlock()
}

func (bk *books) received() { bk.count(func(b *Billed) { b.Received++ }) }
func (bk *books) errored()  { bk.count(func(b *Billed) { b.Errors++ }) }

// overloadedError counts an injected server error and reports whether it is
// the overload kind: the Anthropic and Gemini emulators alternate a plain 500
// with their cloud's overload answer (529, 503), starting with the 500.
func (bk *books) overloadedError() bool {
	var n int64
	bk.count(func(b *Billed) { b.Errors++; n = b.Errors })
	return n%2 == 0
}
func (bk *books) throttled()  { bk.count(func(b *Billed) { b.Throttled++ }) }
func (bk *books) disconnect() { bk.count(func(b *Billed) { b.Disconnects++ }) }
func (bk *books) hung()       { bk.count(func(b *Billed) { b.Hung++ }) }

// bill records one billable answer whose usage report is about to go out
// (see Billed); unreport moves it to Unreported when the report could not be
// written.
func (bk *books) bill(model string, in, out int) { bk.record(model, in, out, false) }

// billUnreported records one billable answer whose usage report will never
// go out: a cut stream, or one the client left.
func (bk *books) billUnreported(model string, in, out int) { bk.record(model, in, out, true) }

// unreport moves an answer billed with bill to Unreported: its usage report
// failed to go out.
func (bk *books) unreport(model string, in, out int) {
	bk.mu.Lock()
	defer bk.mu.Unlock()
	bk.b.Unreported.add(in, out, 1)
	m := bk.b.ByModel[model]
	m.Unreported.add(in, out, 1)
	bk.b.ByModel[model] = m
}

func (bk *books) record(model string, in, out int, unreported bool) {
	bk.mu.Lock()
	defer bk.mu.Unlock()
	b := &bk.b
	b.Requests++
	b.InputTokens += int64(in)
	b.OutputTokens += int64(out)
	if b.ByModel == nil {
		b.ByModel = make(map[string]ModelBilled)
	}
	m := b.ByModel[model]
	m.Requests++
	m.InputTokens += int64(in)
	m.OutputTokens += int64(out)
	if unreported {
		b.Unreported.add(in, out, 1)
		m.Unreported.add(in, out, 1)
	}
	b.ByModel[model] = m
}

// snapshot returns a copy that later requests do not change. ByModel is never
// nil, so that its JSON is {} rather than null.
func (bk *books) snapshot() Billed {
	bk.mu.Lock()
	defer bk.mu.Unlock()
	s := bk.b
	s.ByModel = make(map[string]ModelBilled, len(bk.b.ByModel))
	for k, v := range bk.b.ByModel {
		s.ByModel[k] = v
	}
	return s
}

func (bk *books) reset() {
	bk.mu.Lock()
	bk.b = Billed{}
	bk.mu.Unlock()
}
