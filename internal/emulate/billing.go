package emulate

import "sync"

// Billed is what an emulator has billed and refused since it started or was
// last reset.
type Billed struct {
	Requests     int64 `json:"requests"`      // billable answers (complete, or streams cut mid-way)
	InputTokens  int64 `json:"input_tokens"`  // prompt tokens of billed answers
	OutputTokens int64 `json:"output_tokens"` // for cut streams: tokens actually sent
	Received     int64 `json:"received"`      // every request that reached a model endpoint
	Errors       int64 `json:"errors"`        // injected 5xx
	Throttled    int64 `json:"throttled"`     // 429s (injected or quota)
	Disconnects  int64 `json:"disconnects"`   // streams cut on purpose
	Hung         int64 `json:"hung"`          // requests left unanswered on purpose (HangRate)

	ByModel map[string]ModelBilled `json:"by_model"` // keyed by model id (Azure: deployment name)
}

// ModelBilled is the billed part of Billed for one model.
type ModelBilled struct {
	Requests     int64 `json:"requests"`
	InputTokens  int64 `json:"input_tokens"`
	OutputTokens int64 `json:"output_tokens"`
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

// bill records one billable answer.
func (bk *books) bill(model string, in, out int) {
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
