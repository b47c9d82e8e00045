package anthropic

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unsafe"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/sse"

	"github.com/switchyard/switchyard/internal/wire/jsoncheck"
	"github.com/tidwall/gjson"
)

// maxLine bounds one SSE line of an Anthropic stream. Deltas are small; the
// largest lines are content_block_start events of redacted thinking.
const maxLine = 16 << 20

// maxBlocks bounds the content block indexes a stream may use, so that a
// broken upstream cannot make the decoder allocate without limit.
const maxBlocks = 1 << 16

// StreamDecoder reads an Anthropic Messages SSE stream and implements
// wire.StreamDecoder.
//
// Each SSE event yields its canonical events: message_start gives EventStart
// with the prompt tokens; content_block_start gives EventText (possibly
// empty), EventThinking or EventToolStart (plus EventToolArgs when the start
// already holds input); text, thinking, signature and input_json deltas give
// EventText, EventThinking and EventToolArgs; content_block_stop gives
// EventBlockEnd; message_delta gives EventFinish and EventUsage (message_delta
// usage is cumulative and may resend the input and cache counts, so the
// counts are merged with message_start's); message_stop ends the stream with
// io.EOF; an error event comes back as a *wire.Error. Blocks the canonical
// form has no place for (server tools and their results) are skipped, and the
// others renumbered from 0 without gaps.
type StreamDecoder struct {
	rd     *sse.Reader
	blocks []int // Anthropic block index -> canonical index, -1 for a skipped block
	next   int   // the next canonical index
	u      usage
	done   bool
	err    error // sticky: once the stream failed, it stays failed
}

var errEnd = errors.New("anthropic stream: ended before message_stop")

// NewStreamDecoder returns a decoder reading an Anthropic stream from r.
func NewStreamDecoder(r io.Reader) *StreamDecoder {
	return &StreamDecoder{rd: sse.NewReader(r, maxLine)}
}

// Reset makes d read a new stream from r, keeping its buffers.
func (d *StreamDecoder) Reset(r io.Reader) {
	d.rd.Reset(r)
	*d = StreamDecoder{rd: d.rd, blocks: d.blocks[:0]}
}

// Next implements wire.StreamDecoder.
func (d *StreamDecoder) Next(evs []wire.Event) ([]wire.Event, error) {
	if d.done {
		return evs, io.EOF
	}
	if d.err != nil {
		return evs, d.err
	}
	ev, err := d.rd.Next()
	if err != nil {
		if err == io.EOF {
			d.err = fmt.Errorf("%w: %w", errEnd, io.ErrUnexpectedEOF)
		} else {
			d.err = fmt.Errorf("anthropic stream: %w", err)
		}
		return evs, d.err
	}
	name := ev.Name
	if name == nil && len(ev.Data) > 0 {
		// Anthropic always names its events; a relay that dropped the names
		// still leaves the type in the data.
		name = []byte(gjson.GetBytes(ev.Data, "type").Str)
	}
	switch string(name) {
	case "ping", "":
		return evs, nil
	case "message_stop":
		d.done = true
		return evs, io.EOF
	case "error":
		e := DecodeError(0, nil, ev.Data)
		d.err = e
		return evs, e
	}
	if err := jsoncheck.Check(ev.Data); err != nil {
		d.err = fmt.Errorf("anthropic stream: %s event: data is not valid JSON: %w", name, err)
		return evs, d.err
	}
	// Parse the reader's buffer in place; the strings handed out in events
	// are copied by str and raw, so a text delta costs one allocation.
	data := gjson.Parse(unsafe.String(unsafe.SliceData(ev.Data), len(ev.Data)))
	switch string(name) {
	case "message_start":
		m := data.Get("message")
		readUsage(m.Get("usage"), &d.u)
		u := d.u.canonical()
		evs = append(evs, wire.Event{
			Kind: wire.EventStart, ID: str(m.Get("id")), Model: str(m.Get("model")),
			Usage: wire.Usage{Prompt: u.Prompt, Cached: u.Cached, CacheWrite: u.CacheWrite},
		})
	case "content_block_start":
		evs, err = d.blockStart(evs, data)
	case "content_block_delta":
		evs, err = d.blockDelta(evs, data)
	case "content_block_stop":
		var idx int
		if idx, err = d.index(data.Get("index")); err == nil && idx >= 0 {
			evs = append(evs, wire.Event{Kind: wire.EventBlockEnd, Index: idx})
		}
	case "message_delta":
		delta := data.Get("delta")
		if sr := delta.Get("stop_reason"); sr.Type == gjson.String {
			evs = append(evs, wire.Event{Kind: wire.EventFinish, Finish: finishOf(sr.Str), StopSequence: str(delta.Get("stop_sequence"))})
		}
		if u := data.Get("usage"); u.IsObject() {
			readUsage(u, &d.u)
			evs = append(evs, wire.Event{Kind: wire.EventUsage, Usage: d.u.canonical()})
		}
	default:
		// An event type added after this code was written: skip it, as
		// Anthropic's versioning policy asks of clients.
	}
	if err != nil {
		d.err = err
	}
	return evs, err
}

// blockIndex reads a content block index.
func blockIndex(v gjson.Result) (int, error) {
	if v.Type != gjson.Number || v.Num < 0 || v.Num >= maxBlocks || v.Num != float64(int(v.Num)) {
		return 0, fmt.Errorf("anthropic stream: bad content block index %s", v.Raw)
	}
	return int(v.Num), nil
}

// startBlock registers the block a content_block_start names and returns its
// canonical index: the next one, or -1 when the block is skipped (!keep).
func (d *StreamDecoder) startBlock(v gjson.Result, keep bool) (int, error) {
	i, err := blockIndex(v)
	if err != nil {
		return 0, err
	}
	for len(d.blocks) <= i {
		d.blocks = append(d.blocks, -1)
	}
	if !keep {
		d.blocks[i] = -1
		return -1, nil
	}
	d.blocks[i] = d.next
	d.next++
	return d.blocks[i], nil
}

// index returns the canonical index of a started block, -1 for a skipped one.
func (d *StreamDecoder) index(v gjson.Result) (int, error) {
	i, err := blockIndex(v)
	if err != nil {
		return 0, err
	}
	if i >= len(d.blocks) {
		return 0, fmt.Errorf("anthropic stream: content block %d was never started", i)
	}
	return d.blocks[i], nil
}

func (d *StreamDecoder) blockStart(evs []wire.Event, data gjson.Result) ([]wire.Event, error) {
	cb := data.Get("content_block")
	switch t := cb.Get("type").Str; t {
	case "text", "thinking", "redacted_thinking", "tool_use":
		idx, err := d.startBlock(data.Get("index"), true)
		if err != nil {
			return evs, err
		}
		switch t {
		case "text":
			evs = append(evs, wire.Event{Kind: wire.EventText, Index: idx, Text: str(cb.Get("text"))})
		case "thinking":
			evs = append(evs, wire.Event{Kind: wire.EventThinking, Index: idx, Text: str(cb.Get("thinking")), Signature: str(cb.Get("signature"))})
		case "redacted_thinking":
			evs = append(evs, wire.Event{Kind: wire.EventThinking, Index: idx, Signature: RedactedPrefix + cb.Get("data").Str})
		case "tool_use":
			evs = append(evs, wire.Event{Kind: wire.EventToolStart, Index: idx, ID: str(cb.Get("id")), Name: str(cb.Get("name"))})
			// Anthropic starts with "input":{} and streams the arguments;
			// input given whole at the start is a first fragment that the
			// deltas continue, as the SDKs read it.
			if in := cb.Get("input"); in.IsObject() && !emptyObject(in.Raw) {
				evs = append(evs, wire.Event{Kind: wire.EventToolArgs, Index: idx, Text: strings.Clone(in.Raw)})
			}
		}
	default:
		// Server tool calls and their results: no canonical equivalent.
		if _, err := d.startBlock(data.Get("index"), false); err != nil {
			return evs, err
		}
	}
	return evs, nil
}

func (d *StreamDecoder) blockDelta(evs []wire.Event, data gjson.Result) ([]wire.Event, error) {
	idx, err := d.index(data.Get("index"))
	if err != nil || idx < 0 {
		return evs, err
	}
	delta := data.Get("delta")
	switch delta.Get("type").Str {
	case "text_delta":
		evs = append(evs, wire.Event{Kind: wire.EventText, Index: idx, Text: str(delta.Get("text"))})
	case "input_json_delta":
		// The first fragment is often empty: it says nothing.
		if s := str(delta.Get("partial_json")); s != "" {
			evs = append(evs, wire.Event{Kind: wire.EventToolArgs, Index: idx, Text: s})
		}
	case "thinking_delta":
		evs = append(evs, wire.Event{Kind: wire.EventThinking, Index: idx, Text: str(delta.Get("thinking"))})
	case "signature_delta":
		evs = append(evs, wire.Event{Kind: wire.EventThinking, Index: idx, Signature: str(delta.Get("signature"))})
	default:
		// citations_delta and later kinds: nothing canonical to say.
	}
	return evs, nil
}

// str returns a string value parsed from the reader's buffer as a string of
// its own. gjson returns escaped strings unescaped into new memory, and the
// others as a view of the buffer, which the next event overwrites.
func str(v gjson.Result) string {
	if v.Type != gjson.String || v.Str == "" {
		return ""
	}
	if strings.IndexByte(v.Raw, '\\') >= 0 {
		return v.Str
	}
	return strings.Clone(v.Str)
}
