package openai

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/jsoncheck"
	"github.com/switchyard/switchyard/internal/wire/sse"
	"github.com/tidwall/gjson"
)

// maxChunkLine caps one SSE line of an upstream stream (one chunk's JSON), so
// a misbehaving server cannot make the decoder buffer without bound.
const maxChunkLine = 8 << 20

var doneMarker = []byte("[DONE]")

var _ wire.StreamDecoder = (*StreamDecoder)(nil)

// StreamDecoder reads a Chat Completions stream (SSE chunks ending in
// "data: [DONE]") from an OpenAI-format cloud and turns it into canonical
// events; it implements wire.StreamDecoder.
//
// Block indexes: a text or reasoning block starts when its first delta
// arrives after a block of another kind (so text, then a tool call, then more
// text is three blocks), and each tool call is a block of its own, started by
// the delta that brings its id. Argument fragments go to their call's block
// however the calls interleave. Only choice 0 is read: translated requests
// never ask for more.
//
// Dialects: Azure's first chunk without choices (prompt_filter_results) and
// its content-filter annotations yield nothing; Ollama's complete tool calls
// in one delta yield a start and one argument fragment; vLLM's and Ollama's
// reasoning / reasoning_content deltas yield EventThinking; vLLM's running
// usage (continuous_usage_stats) yields an EventUsage per chunk, each
// replacing the last. An {"error":…} chunk ends the stream with a *wire.Error.
type StreamDecoder struct {
	rd      *sse.Reader
	err     error // sticky: returned again by every later call
	started bool
	done    bool // [DONE] seen
	finish  bool // a finish_reason seen

	next     int // the next block index
	last     int // the block that started last, -1 before any
	lastKind wire.PartKind
	calls    []callBlock
}

// callBlock ties an OpenAI tool_calls[].index to its canonical block.
type callBlock struct {
	index int // OpenAI's tool call index
	id    string
	block int
}

// NewStreamDecoder returns a decoder reading the stream body r.
func NewStreamDecoder(r io.Reader) *StreamDecoder {
	return &StreamDecoder{rd: sse.NewReader(r, maxChunkLine), last: -1}
}

// Reset makes d read a new stream from r, keeping its buffers.
func (d *StreamDecoder) Reset(r io.Reader) {
	d.rd.Reset(r)
	*d = StreamDecoder{rd: d.rd, last: -1, calls: d.calls[:0]}
}

// Next appends the events of the next chunk to evs. It returns io.EOF after
// [DONE]; a stream that ends without [DONE] ends cleanly only if the answer
// had finished (some servers omit the marker), else with
// io.ErrUnexpectedEOF.
func (d *StreamDecoder) Next(evs []wire.Event) ([]wire.Event, error) {
	if d.err != nil {
		return evs, d.err
	}
	if d.done {
		return evs, io.EOF
	}
	ev, err := d.rd.Next()
	if err != nil {
		switch {
		case err == io.EOF && d.finish:
			d.err = io.EOF
		case err == io.EOF:
			d.err = io.ErrUnexpectedEOF
		default:
			d.err = fmt.Errorf("openai stream: %w", err)
		}
		return evs, d.err
	}
	data := bytes.TrimSpace(ev.Data)
	if len(data) == 0 {
		return evs, nil
	}
	if bytes.HasPrefix(data, doneMarker) {
		d.done = true
		return evs, io.EOF
	}
	if err := jsoncheck.Check(data); err != nil {
		d.err = fmt.Errorf("openai stream: a chunk is not valid JSON: %w", err)
		return evs, d.err
	}
	// The data is a view into the reader's buffer, valid until the next read:
	// every string that leaves in an event is cloned.
	root := gjson.Parse(bytesToString(data))
	if !root.IsObject() {
		d.err = errors.New("openai stream: a chunk is not a JSON object")
		return evs, d.err
	}
	var id, model, choices, usage, errv gjson.Result
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "id":
			id = v
		case "model":
			model = v
		case "choices":
			choices = v
		case "usage":
			usage = v
		case "error":
			errv = v
		}
		return true
	})
	if errv.IsObject() || (errv.Type == gjson.String && errv.Str != "") {
		d.err = DecodeError(0, nil, data)
		return evs, d.err
	}
	hasChoices := choices.IsArray() && !isEmptyArray(choices.Raw)
	if !hasChoices && !usage.IsObject() {
		return evs, nil // Azure's prompt-filter chunk, or a chunk with nothing in it
	}
	if !d.started {
		d.started = true
		evs = append(evs, wire.Event{Kind: wire.EventStart, ID: strings.Clone(id.String()), Model: strings.Clone(model.String())})
	}
	if hasChoices {
		choices.ForEach(func(_, c gjson.Result) bool {
			if c.Get("index").Int() == 0 {
				evs = d.choice(evs, c)
				return false
			}
			return true
		})
	}
	if usage.IsObject() {
		evs = append(evs, wire.Event{Kind: wire.EventUsage, Usage: parseUsage(usage)})
	}
	return evs, nil
}

// choice turns one choice's delta and finish_reason into events.
func (d *StreamDecoder) choice(evs []wire.Event, c gjson.Result) []wire.Event {
	var delta, finish, stopReason gjson.Result
	c.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "delta":
			delta = v
		case "finish_reason":
			finish = v
		case "stop_reason":
			stopReason = v
		}
		return true
	})
	if delta.IsObject() {
		delta.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "reasoning_content", "reasoning":
				if v.Type == gjson.String && v.Str != "" {
					evs = append(evs, wire.Event{Kind: wire.EventThinking, Index: d.block(wire.Thinking), Text: strings.Clone(v.Str)})
				}
			case "content", "refusal":
				// The canonical form has no refusal: it is what the model said.
				if v.Type == gjson.String && v.Str != "" {
					evs = append(evs, wire.Event{Kind: wire.EventText, Index: d.block(wire.Text), Text: strings.Clone(v.Str)})
				}
			case "tool_calls":
				v.ForEach(func(_, tc gjson.Result) bool {
					evs = d.toolDelta(evs, tc)
					return true
				})
			}
			return true
		})
	}
	if f := finishOf(finish); f != 0 && !d.finish {
		d.finish = true
		ev := wire.Event{Kind: wire.EventFinish, Finish: f}
		if stopReason.Type == gjson.String {
			ev.StopSequence = strings.Clone(stopReason.Str) // vLLM names the stop string
		}
		evs = append(evs, ev)
	}
	return evs
}

// block returns the index of the open block of the given kind, starting a new
// one when the last block started was of another kind.
func (d *StreamDecoder) block(kind wire.PartKind) int {
	if d.last < 0 || d.lastKind != kind {
		d.last, d.lastKind = d.next, kind
		d.next++
	}
	return d.last
}

// toolDelta handles one entry of delta.tool_calls. The delta that brings a
// new id (or a new index) starts a call; later ones carry argument fragments.
// Servers that omit "index" (some OpenAI-compatible proxies) get their calls
// told apart by id.
func (d *StreamDecoder) toolDelta(evs []wire.Event, tc gjson.Result) []wire.Event {
	if !tc.IsObject() {
		return evs
	}
	var index, id, fn gjson.Result
	tc.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "index":
			index = v
		case "id":
			id = v
		case "function":
			fn = v
		}
		return true
	})
	var name, args gjson.Result
	if fn.IsObject() {
		name, args = fn.Get("name"), fn.Get("arguments")
	}
	var cb *callBlock
	if index.Type == gjson.Number {
		i := int(index.Int())
		for k := range d.calls {
			if d.calls[k].index == i {
				cb = &d.calls[k]
			}
		}
	} else if n := len(d.calls); n > 0 && (id.Str == "" || id.Str == d.calls[n-1].id) {
		cb = &d.calls[n-1]
	}
	if cb == nil || (id.Str != "" && cb.id != "" && id.Str != cb.id) {
		// A new call: a new index, or the same index reused with another id.
		ix := int(index.Int())
		if index.Type != gjson.Number {
			ix = len(d.calls)
		}
		d.calls = append(d.calls, callBlock{index: ix, id: strings.Clone(id.Str), block: d.next})
		cb = &d.calls[len(d.calls)-1]
		d.last, d.lastKind = d.next, wire.ToolCall
		d.next++
		evs = append(evs, wire.Event{Kind: wire.EventToolStart, Index: cb.block, ID: cb.id, Name: strings.Clone(name.Str)})
	}
	if args.Type == gjson.String && args.Str != "" {
		evs = append(evs, wire.Event{Kind: wire.EventToolArgs, Index: cb.block, Text: strings.Clone(args.Str)})
	}
	return evs
}
