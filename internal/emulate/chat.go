package emulate

import (
	"net/http"
	"strconv"
	"sync"
)

// chatJob holds the answers to one request and the buffer they are rendered
// into. Jobs are pooled so that a busy emulator reuses their memory.
type chatJob struct {
	answers []answer
	out     []byte
}

var jobPool = sync.Pool{New: func() any { return new(chatJob) }}

// maxPooled bounds the buffers a pooled job keeps, so that one huge answer
// does not pin its memory for the life of the process.
const maxPooled = 64 << 10

func getJob(n int) *chatJob {
	j := jobPool.Get().(*chatJob)
	if cap(j.answers) < n {
		j.answers = make([]answer, n)
	}
	j.answers = j.answers[:n]
	return j
}

func putJob(j *chatJob) {
	if cap(j.out) > maxPooled {
		j.out = nil
	}
	for i := range j.answers {
		a := &j.answers[i]
		if cap(a.body) > maxPooled {
			a.body, a.ends, a.started = nil, nil, nil
		}
	}
	jobPool.Put(j)
}

// serveChat answers a chat completion for an OpenAI-compatible cloud.
// deployment names the model when the URL does (Azure's classic surface);
// version is Azure's api-version.
func (e *Emulator) serveChat(w http.ResponseWriter, r *http.Request, d dialect, deployment, version string) {
	c := e.newCall(w, r, d, opChat)
	c.version = version
	buf := c.begin()
	if buf == nil {
		return
	}
	p, err := decodeChat(buf.Bytes(), deployment)
	release(buf)
	if err != nil {
		c.fail(err)
		return
	}
	c.model = p.model
	v, ok := c.admit(p.stream)
	if !ok {
		return
	}
	job := getJob(p.n)
	defer putJob(job)
	for i := range job.answers {
		p.generate(&job.answers[i], i, c.k.OutputTokens)
	}
	if p.stream {
		c.streamChat(p, job, v.disconnect)
	} else {
		c.completeChat(p, job)
	}
}

// completeChat answers in one piece, once the whole answer would have been
// generated. A client that leaves before then gets, and is billed, nothing.
func (c *call) completeChat(p *prompt, job *chatJob) {
	out, longest := 0, 0
	for i := range job.answers {
		out += job.answers[i].tokens
		longest = max(longest, job.answers[i].tokens)
	}
	pace := newPacer(c.r.Context(), c.start, c.k)
	defer pace.stop()
	if !pace.wait(longest) {
		return
	}
	job.out = c.appendCompletion(job.out[:0], p, job.answers)
	h := c.w.Header()
	h["Content-Type"] = jsonContent
	h.Set("Content-Length", strconv.Itoa(len(job.out)))
	c.processed()
	c.bill(p.tokens, out) // before the answer goes out: see embed
	c.w.WriteHeader(http.StatusOK)
	if _, err := c.w.Write(job.out); err != nil {
		c.e.books.unreport(c.model, p.tokens, out) // the usage never went out
	}
}

// streamChat answers as a stream of chunks, paced by the knobs. When cut is
// set it drops the connection after about half of the answer, the way a
// cloud's connection dies mid-stream, and bills what was sent.
func (c *call) streamChat(p *prompt, job *chatJob, cut bool) {
	pace := newPacer(c.r.Context(), c.start, c.k)
	defer pace.stop()
	if !pace.wait(0) {
		return // gone before the first token: nothing sent, nothing billed
	}
	answers := job.answers
	steps := 0
	for i := range answers {
		steps = max(steps, answers[i].steps())
	}
	cutAt := -1
	if cut {
		cutAt = steps / 2
	}

	s := c.newChunker(p, job)
	defer func() { job.out = s.buf }() // hand the grown buffer back to the pool
	ok := s.preamble() && s.roles(answers)
	sent := 0 // steps every choice has sent
	for step := 0; ok && step < steps && step != cutAt; step++ {
		if step > 0 && !pace.wait(longestSent(answers, step)) {
			ok = false
			break
		}
		for i := range answers {
			if step < answers[i].steps() && !s.piece(i, &answers[i], step) {
				ok = false
				break
			}
		}
		if ok {
			sent = step + 1
		}
	}
	if cut && ok {
		c.e.books.billUnreported(c.model, p.tokens, totalSent(answers, sent))
		c.e.books.disconnect()
		// net/http drops the connection without ending the chunked body,
		// so the client sees the stream break with no [DONE].
		panic(http.ErrAbortHandler)
	}
	if !ok {
		c.e.books.billUnreported(c.model, p.tokens, totalSent(answers, sent)) // the client left mid-way
		return
	}
	out := totalSent(answers, steps)
	// Every token is generated; bill before [DONE] goes out. A stream that
	// did not ask for usage never reports it.
	if !p.usage {
		c.e.books.billUnreported(c.model, p.tokens, out)
		_ = s.filterResults(answers) && s.finishes(answers) && s.done()
		return
	}
	c.bill(p.tokens, out)
	if !(s.filterResults(answers) && s.finishes(answers) && s.usage(p.tokens, out)) {
		c.e.books.unreport(c.model, p.tokens, out)
		return
	}
	_ = s.done()
}

// longestSent returns the most tokens any choice has sent after steps steps:
// choices are generated side by side, so pacing follows the longest.
func longestSent(answers []answer, steps int) int {
	n := 0
	for i := range answers {
		n = max(n, answers[i].tokensSent(steps))
	}
	return n
}

// totalSent returns the tokens all choices have sent after steps steps.
func totalSent(answers []answer, steps int) int {
	n := 0
	for i := range answers {
		n += answers[i].tokensSent(steps)
	}
	return n
}
