package anthropic

import (
	"github.com/switchyard/switchyard/internal/wire"
)

// blockKind is the type of an open Anthropic content block.
type blockKind uint8

const (
	noBlock blockKind = iota
	textBlock
	thinkingBlock
	toolBlock
)

// toolRef remembers where a tool call went, for arguments that arrive after
// another block has started.
type toolRef struct{ canon, index int }

// StreamEncoder turns canonical events into the SSE stream an Anthropic
// client expects, and implements wire.StreamEncoder:
//
//	message_start, then for each block content_block_start, its deltas and
//	content_block_stop, then message_delta (stop_reason and usage), then
//	message_stop.
//
// One block is open at a time: the open block is closed when another starts.
// Text and thinking blocks start lazily, at their first non-empty delta, so
// no empty text block reaches a client (who would send it back on the next
// turn, which Anthropic rejects). The finish and the usage are held until End,
// so that usage arriving after the finish still reaches message_delta, whose
// usage carries the input and cache counts too: a stream translated from
// another format learns them only at the end. No ping is sent: clients skip
// pings, and the gateway's own keep-alive, if any, is its business.
type StreamEncoder struct {
	id, model string

	started, ended bool
	open           blockKind
	openCanon      int // canonical index of the open block
	openIndex      int // Anthropic index of the open block
	nextIndex      int // next Anthropic block index
	tools          []toolRef

	finish     wire.Finish
	stopSeq    string
	haveFinish bool
	usage      wire.Usage
}

// NewStreamEncoder returns an encoder for one answer. id is the message id to
// show (a "msg_…" one is made up when it is empty and the EventStart brings
// none); model is the model name to show the client.
func NewStreamEncoder(id, model string) *StreamEncoder {
	return &StreamEncoder{id: id, model: model}
}

// Append implements wire.StreamEncoder.
func (e *StreamEncoder) Append(dst []byte, ev *wire.Event) []byte {
	if e.ended {
		return dst
	}
	switch ev.Kind {
	case wire.EventStart:
		if e.id == "" {
			e.id = ev.ID
		}
		if e.model == "" {
			e.model = ev.Model
		}
		e.usage = ev.Usage
		return e.start(dst)
	case wire.EventText:
		if ev.Text == "" {
			return dst
		}
		dst = e.start(dst)
		if e.open != textBlock || e.openCanon != ev.Index {
			dst = e.openBlock(dst, textBlock, ev.Index)
			dst = append(dst, `{"type":"text","text":""}}`...)
			dst = append(dst, "\n\n"...)
		}
		dst = e.deltaHead(dst, e.openIndex)
		dst = append(dst, `{"type":"text_delta","text":`...)
		dst = appendString(dst, ev.Text)
		return append(dst, "}}\n\n"...)
	case wire.EventThinking:
		if ev.Text == "" && ev.Signature == "" {
			return dst
		}
		dst = e.start(dst)
		if data, ok := isRedacted(ev.Signature); ok {
			// Redacted reasoning comes whole, in its start event.
			dst = e.openBlock(dst, thinkingBlock, ev.Index)
			dst = append(dst, `{"type":"redacted_thinking","data":`...)
			dst = appendString(dst, data)
			dst = append(dst, "}}\n\n"...)
			return e.closeOpen(dst)
		}
		if e.open != thinkingBlock || e.openCanon != ev.Index {
			dst = e.openBlock(dst, thinkingBlock, ev.Index)
			dst = append(dst, `{"type":"thinking","thinking":"","signature":""}}`...)
			dst = append(dst, "\n\n"...)
		}
		if ev.Text != "" {
			dst = e.deltaHead(dst, e.openIndex)
			dst = append(dst, `{"type":"thinking_delta","thinking":`...)
			dst = appendString(dst, ev.Text)
			dst = append(dst, "}}\n\n"...)
		}
		if ev.Signature != "" {
			dst = e.deltaHead(dst, e.openIndex)
			dst = append(dst, `{"type":"signature_delta","signature":`...)
			dst = appendString(dst, ev.Signature)
			dst = append(dst, "}}\n\n"...)
		}
		return dst
	case wire.EventToolStart:
		dst = e.start(dst)
		return e.toolStart(dst, ev.Index, ev.ID, ev.Name)
	case wire.EventToolArgs:
		if ev.Text == "" {
			return dst
		}
		dst = e.start(dst)
		index := -1
		if e.open == toolBlock && e.openCanon == ev.Index {
			index = e.openIndex
		} else {
			// Arguments for a call whose block another block has closed:
			// send them to its index anyway; the SDKs accumulate deltas by
			// index, and dropping them would lose the call's arguments.
			for i := len(e.tools) - 1; i >= 0; i-- {
				if e.tools[i].canon == ev.Index {
					index = e.tools[i].index
					break
				}
			}
			if index < 0 { // arguments without a start: a call with no name known
				dst = e.toolStart(dst, ev.Index, "", "")
				index = e.openIndex
			}
		}
		dst = e.deltaHead(dst, index)
		dst = append(dst, `{"type":"input_json_delta","partial_json":`...)
		dst = appendString(dst, ev.Text)
		return append(dst, "}}\n\n"...)
	case wire.EventBlockEnd:
		if e.open != noBlock && e.openCanon == ev.Index {
			return e.closeOpen(dst)
		}
	case wire.EventFinish:
		e.finish, e.stopSeq, e.haveFinish = ev.Finish, ev.StopSequence, true
	case wire.EventUsage:
		e.usage = ev.Usage
	}
	return dst
}

// End implements wire.StreamEncoder: it closes the open block and sends
// message_delta and message_stop.
func (e *StreamEncoder) End(dst []byte) []byte {
	if e.ended {
		return dst
	}
	dst = e.start(dst)
	dst = e.closeOpen(dst)
	e.ended = true
	finish := e.finish
	if !e.haveFinish && len(e.tools) > 0 {
		finish = wire.FinishToolCalls
	}
	dst = append(dst, "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"...)
	dst = appendString(dst, stopReason(finish, e.stopSeq))
	dst = append(dst, `,"stop_sequence":`...)
	dst = appendStringOrNull(dst, e.stopSeq)
	dst = append(dst, `},"usage":{`...)
	dst = appendUsage(dst, fromCanonical(e.usage))
	dst = append(dst, "}}\n\n"...)
	return append(dst, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"...)
}

// Fail implements wire.StreamEncoder: an error event, which Anthropic's SDKs
// raise as an API error of its type.
func (e *StreamEncoder) Fail(dst []byte, err *wire.Error) []byte {
	if e.ended {
		return dst
	}
	e.ended = true
	dst = append(dst, "event: error\ndata: "...)
	dst = append(dst, EncodeError(err)...)
	return append(dst, "\n\n"...)
}

// start sends message_start once, with the usage known so far.
func (e *StreamEncoder) start(dst []byte) []byte {
	if e.started {
		return dst
	}
	e.started = true
	if e.id == "" {
		e.id = newID("msg_")
	}
	dst = append(dst, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":"...)
	dst = appendString(dst, e.id)
	dst = append(dst, `,"type":"message","role":"assistant","model":`...)
	dst = appendString(dst, e.model)
	dst = append(dst, `,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{`...)
	dst = appendUsage(dst, fromCanonical(e.usage))
	return append(dst, "}}}\n\n"...)
}

// openBlock closes the open block and appends the head of a
// content_block_start for a new one, up to "content_block":.
func (e *StreamEncoder) openBlock(dst []byte, kind blockKind, canon int) []byte {
	dst = e.closeOpen(dst)
	e.open, e.openCanon, e.openIndex = kind, canon, e.nextIndex
	e.nextIndex++
	dst = append(dst, "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":"...)
	dst = appendInt(dst, int64(e.openIndex))
	return append(dst, `,"content_block":`...)
}

func (e *StreamEncoder) closeOpen(dst []byte) []byte {
	if e.open == noBlock {
		return dst
	}
	e.open = noBlock
	dst = append(dst, "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":"...)
	dst = appendInt(dst, int64(e.openIndex))
	return append(dst, "}\n\n"...)
}

func (e *StreamEncoder) toolStart(dst []byte, canon int, id, name string) []byte {
	if id == "" {
		id = newID("toolu_")
	}
	dst = e.openBlock(dst, toolBlock, canon)
	e.tools = append(e.tools, toolRef{canon: canon, index: e.openIndex})
	dst = append(dst, `{"type":"tool_use","id":`...)
	dst = appendString(dst, id)
	dst = append(dst, `,"name":`...)
	dst = appendString(dst, name)
	return append(dst, `,"input":{}}}`+"\n\n"...)
}

// deltaHead appends a content_block_delta up to "delta":.
func (e *StreamEncoder) deltaHead(dst []byte, index int) []byte {
	dst = append(dst, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":"...)
	dst = appendInt(dst, int64(index))
	return append(dst, `,"delta":`...)
}
