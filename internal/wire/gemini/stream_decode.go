package gemini

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/jsoncheck"
	"github.com/switchyard/switchyard/internal/wire/sse"
	"github.com/tidwall/gjson"
)

// maxChunkLine caps one SSE line, that is one chunk's JSON.
const maxChunkLine = 8 << 20

// StreamDecoder reads a streamGenerateContent?alt=sse body: "data:" events,
// CRLF-framed, each a GenerateContentResponse holding the next delta, with
// no terminator. It implements wire.StreamDecoder.
//
// Mapping: the first chunk gives EventStart (responseId, modelVersion, and
// the prompt tokens counted so far); consecutive text parts form one text
// block and consecutive thought parts one reasoning block; a functionCall,
// which Gemini sends whole, is a block of its own: EventToolStart (with an
// id made up when Gemini gives none), one EventToolArgs with all the
// arguments, and EventBlockEnd. A block is ended (EventBlockEnd) when the
// next one starts. finishReason gives EventFinish, then EventUsage with the
// counts of the chunk that carried it (every chunk carries running counts;
// the last are the answer's). A stream that ends before any finishReason
// was cut short: Next returns io.ErrUnexpectedEOF rather than io.EOF.
type StreamDecoder struct {
	rd *sse.Reader

	started, finished bool
	id                string // responseId, for made-up call ids
	open              int    // index of the open text or reasoning block, -1 when none
	openKind          wire.EventKind
	next              int // index of the next block
	calls             int
	usage             wire.Usage
	haveUsage         bool
	err               error // sticky: the stream is over
}

// NewStreamDecoder returns a decoder reading the stream body r.
func NewStreamDecoder(r io.Reader) *StreamDecoder {
	return &StreamDecoder{rd: sse.NewReader(r, maxChunkLine), open: -1}
}

// Reset makes d read a new stream from r, keeping its buffers.
func (d *StreamDecoder) Reset(r io.Reader) {
	d.rd.Reset(r)
	*d = StreamDecoder{rd: d.rd, open: -1}
}

// Next appends the events of the next chunk to evs.
func (d *StreamDecoder) Next(evs []wire.Event) ([]wire.Event, error) {
	if d.err != nil {
		return evs, d.err
	}
	for {
		ev, err := d.rd.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				if !d.finished {
					d.err = fmt.Errorf("gemini stream ended before a finishReason: %w", io.ErrUnexpectedEOF)
				} else {
					d.err = io.EOF
				}
			} else {
				d.err = fmt.Errorf("gemini stream: %w", err)
			}
			return evs, d.err
		}
		if len(ev.Data) == 0 {
			continue
		}
		n := len(evs)
		evs, err = d.chunk(evs, ev.Data)
		if err != nil {
			d.err = err
			return evs, err
		}
		if len(evs) > n {
			return evs, nil
		}
	}
}

// chunk appends the events of one chunk. The chunk's bytes are valid only
// until the next read, so the strings kept in events are copied.
func (d *StreamDecoder) chunk(evs []wire.Event, data []byte) ([]wire.Event, error) {
	if err := jsoncheck.Check(data); err != nil {
		return evs, fmt.Errorf("gemini stream: a chunk is not valid JSON (%w): %.80q", err, data)
	}
	root := gjson.Parse(view(data))
	if !root.IsObject() {
		return evs, fmt.Errorf("gemini stream: a chunk is not a JSON object: %.80q", data)
	}
	var cands, usage, block, errObj gjson.Result
	var id, model string
	root.ForEach(func(k, v gjson.Result) bool {
		switch camel(k.Str) {
		case "candidates":
			cands = v
		case "usageMetadata":
			usage = v
		case "responseId":
			id = v.String()
		case "modelVersion":
			model = v.String()
		case "promptFeedback":
			block = get(v, "blockReason", "block_reason")
		case "error":
			errObj = v
		}
		return true
	})
	if errObj.IsObject() {
		return evs, errorFromObject(0, nil, errObj, data)
	}
	newUsage := usage.IsObject()
	if newUsage {
		d.usage, d.haveUsage = usageOf(usage), true
	}
	if !d.started {
		d.started = true
		d.id = strings.Clone(id)
		start := wire.Event{Kind: wire.EventStart, ID: d.id, Model: strings.Clone(model)}
		if d.haveUsage {
			start.Usage = wire.Usage{Prompt: d.usage.Prompt, Cached: d.usage.Cached}
		}
		evs = append(evs, start)
	}
	cand := cands.Get("0")
	reason := ""
	if cand.IsObject() {
		var parts gjson.Result
		cand.ForEach(func(k, v gjson.Result) bool {
			switch camel(k.Str) {
			case "content":
				parts = v.Get("parts")
			case "finishReason":
				reason = v.String()
			}
			return true
		})
		var err error
		parts.ForEach(func(_, p gjson.Result) bool {
			evs, err = d.part(evs, p)
			return err == nil
		})
		if err != nil {
			return evs, err
		}
	} else if cands.Exists() && cands.Type != gjson.Null && !cands.IsArray() {
		return evs, fmt.Errorf("gemini stream: candidates is not an array")
	}
	finish := finishOf(reason)
	if finish == 0 && !cand.Exists() && block.String() != "" {
		finish = wire.FinishContentFilter // the prompt was blocked
	}
	if finish != 0 && !d.finished {
		d.finished = true
		evs = d.closeBlock(evs)
		evs = append(evs, wire.Event{Kind: wire.EventFinish, Finish: finishWithCalls(finish, d.calls)})
		if d.haveUsage {
			evs = append(evs, wire.Event{Kind: wire.EventUsage, Usage: d.usage})
		}
	} else if d.finished && newUsage {
		evs = append(evs, wire.Event{Kind: wire.EventUsage, Usage: d.usage})
	}
	return evs, nil
}

func (d *StreamDecoder) closeBlock(evs []wire.Event) []wire.Event {
	if d.open >= 0 {
		evs = append(evs, wire.Event{Kind: wire.EventBlockEnd, Index: d.open})
		d.open = -1
	}
	return evs
}

// delta appends a text or reasoning delta, starting a block when the open
// one is of the other kind.
func (d *StreamDecoder) delta(evs []wire.Event, kind wire.EventKind, text, sig string) []wire.Event {
	if d.open < 0 || d.openKind != kind {
		evs = d.closeBlock(evs)
		d.open, d.openKind = d.next, kind
		d.next++
	}
	return append(evs, wire.Event{Kind: kind, Index: d.open, Text: strings.Clone(text), Signature: strings.Clone(sig)})
}

func (d *StreamDecoder) part(evs []wire.Event, p gjson.Result) ([]wire.Event, error) {
	if !p.IsObject() {
		return evs, fmt.Errorf("gemini stream: a part is not an object")
	}
	var text, call gjson.Result
	thought, sig := false, ""
	p.ForEach(func(k, v gjson.Result) bool {
		switch camel(k.Str) {
		case "text":
			text = v
		case "thought":
			thought = v.Type == gjson.True
		case "thoughtSignature":
			sig = v.String()
		case "functionCall":
			call = v
		}
		return true
	})
	if sig == skipSignature {
		sig = ""
	}
	switch {
	case call.IsObject():
		name := call.Get("name").String()
		if name == "" {
			return evs, fmt.Errorf("gemini stream: a functionCall has no name")
		}
		id := call.Get("id").String()
		if id == "" {
			id = callID(d.id, d.calls)
		} else {
			id = strings.Clone(id)
		}
		d.calls++
		args := "{}"
		if a := call.Get("args"); a.IsObject() {
			args = strings.Clone(a.Raw)
		}
		evs = d.closeBlock(evs)
		idx := d.next
		d.next++
		evs = append(evs,
			wire.Event{Kind: wire.EventToolStart, Index: idx, ID: id, Name: strings.Clone(name), Signature: strings.Clone(sig)},
			wire.Event{Kind: wire.EventToolArgs, Index: idx, Text: args},
			wire.Event{Kind: wire.EventBlockEnd, Index: idx})
	case text.Type == gjson.String && thought:
		if text.Str != "" || sig != "" {
			evs = d.delta(evs, wire.EventThinking, text.Str, sig)
		}
	case text.Type == gjson.String || sig != "":
		// Gemini may send a signature on an empty text part of its own.
		if text.Str != "" || sig != "" {
			evs = d.delta(evs, wire.EventText, text.Str, sig)
		}
	}
	// inlineData (generated images) and Google's own tool parts have no
	// stream event: they appear only when the request asked for them, which
	// the encoder never does.
	return evs, nil
}
