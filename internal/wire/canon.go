package wire

import (
	"encoding/json"
	"fmt"
	"time"
)

// The canonical form. Every translation goes through it, never pairwise:
// a format's package decodes its requests, responses and stream events into
// these types and encodes them back out. The form carries what all four
// formats can say (protocols.md §8); what one format says and another cannot
// is rejected by the encoder with an *Unsupported naming the field.

// Role is who speaks a message.
type Role uint8

// Roles. System prompts are not messages: they live in Request.System.
const (
	User Role = iota + 1
	Assistant
)

func (r Role) String() string {
	switch r {
	case User:
		return "user"
	case Assistant:
		return "assistant"
	}
	return "unknown"
}

// PartKind says what a Part holds.
type PartKind uint8

// Part kinds.
const (
	Text       PartKind = iota + 1
	Image               // an image, inline (MediaType + Data) or by URL
	ToolCall            // the assistant calls a tool: ID, Name, Args
	ToolResult          // the user side returns a tool's result: ID, Name (when known), Text or Parts, IsError
	Thinking            // reasoning text the model showed; Signature carries a provider's opaque proof
)

// Part is one piece of a message's content.
type Part struct {
	Kind PartKind
	Text string // Text, Thinking; a ToolResult's content when it is plain text

	// Image.
	MediaType string // "image/png" …
	Data      string // base64, without a data: prefix
	URL       string // an http(s) URL, when the image is not inline

	// ToolCall and ToolResult.
	ID      string          // the call's id; a ToolResult names the call it answers
	Name    string          // the tool's name (a ToolResult's may be empty: see Request.ToolName)
	Args    json.RawMessage // ToolCall: the arguments, a JSON object
	Parts   []Part          // ToolResult: structured content (text and images), when not plain Text
	IsError bool            // ToolResult: the tool failed

	Signature string // Thinking: opaque, passed back to the provider that issued it
}

// Message is one turn of the conversation.
type Message struct {
	Role  Role
	Parts []Part
}

// Tool is a function the model may call.
type Tool struct {
	Name        string
	Description string
	Schema      json.RawMessage // JSON Schema of the arguments (an object schema); nil means {}
}

// ToolMode is how the model may use the tools.
type ToolMode uint8

// Tool modes. The zero value means the request did not say.
const (
	ToolAuto     ToolMode = iota + 1
	ToolNone              // do not call tools
	ToolRequired          // call some tool
	ToolNamed             // call ToolChoice.Name
)

// ToolChoice constrains tool use.
type ToolChoice struct {
	Mode ToolMode
	Name string // ToolNamed
	// NoParallel asks for at most one tool call per turn.
	NoParallel bool
}

// OutputKind is the shape the answer's text must take.
type OutputKind uint8

// Output kinds. The zero value is free text.
const (
	OutputJSON       OutputKind = iota + 1 // any JSON object
	OutputJSONSchema                       // JSON valid against Output.Schema
)

// Output constrains the answer's text.
type Output struct {
	Kind   OutputKind
	Name   string          // the schema's name (OpenAI requires one; others ignore it)
	Schema json.RawMessage // OutputJSONSchema
	Strict bool
}

// Request is one chat request in canonical form.
type Request struct {
	Model    string
	System   []Part // text parts
	Messages []Message

	MaxTokens   int      // 0: not set (encoders that need one pick a default)
	Temperature *float64 // nil: not set
	TopP        *float64
	Stop        []string

	Tools      []Tool
	ToolChoice ToolChoice
	Output     Output

	Stream       bool
	IncludeUsage bool // OpenAI's stream_options.include_usage: the client wants a usage chunk

	// Extra lists fields of the source request that the canonical form does
	// not carry (e.g. OpenAI "logprobs", "n" > 1), by their name in the
	// source format. An encoder for another format rejects a request with
	// any, naming the first, rather than drop them silently.
	Extra []string
}

// ToolName returns the name of the tool the call with the given id called,
// looking back through the conversation: Gemini's functionResponse needs the
// name where the other formats carry only the id.
func (r *Request) ToolName(id string) string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		for _, p := range r.Messages[i].Parts {
			if p.Kind == ToolCall && p.ID == id {
				return p.Name
			}
		}
	}
	return ""
}

// Finish is why the model stopped.
type Finish uint8

// Finish reasons, in OpenAI's vocabulary (protocols.md §8 maps the others).
const (
	FinishStop          Finish = iota + 1 // natural end or a stop sequence
	FinishLength                          // max tokens (or the context window)
	FinishToolCalls                       // the model called tools
	FinishContentFilter                   // a safety system intervened
)

func (f Finish) String() string {
	switch f {
	case FinishStop:
		return "stop"
	case FinishLength:
		return "length"
	case FinishToolCalls:
		return "tool_calls"
	case FinishContentFilter:
		return "content_filter"
	}
	return ""
}

// Response is one whole (non-stream) answer in canonical form.
type Response struct {
	ID     string // the provider's id; encoders make one up when empty
	Model  string
	Parts  []Part // Text, Thinking and ToolCall parts, in order
	Finish Finish
	// StopSequence is the stop string that ended the answer, when known.
	StopSequence string
	Usage        Usage
	// Estimated marks usage the provider did not report.
	Estimated bool
}

// EventKind says what a stream Event carries.
type EventKind uint8

// Stream event kinds. A well-formed stream is: Start, then any number of
// content events, then Finish, then Usage (Usage may come before Finish in
// some formats; encoders must cope with either order), then the stream ends.
// Content events name the output Index of their block: blocks are numbered
// from 0 in the order they start, and a block's deltas all carry its Index.
const (
	EventStart     EventKind = iota + 1 // ID, Model; Usage may carry the prompt tokens known so far
	EventText                           // Index, Text: a text delta
	EventThinking                       // Index, Text: a reasoning delta; Signature when the provider sends one
	EventToolStart                      // Index, ID, Name: a tool call begins
	EventToolArgs                       // Index, Text: a fragment of the call's JSON arguments
	EventBlockEnd                       // Index: the block is complete (optional; encoders must not rely on it)
	EventFinish                         // Finish, StopSequence
	EventUsage                          // Usage: the final counts (replaces any earlier ones)
)

// Event is one stream event in canonical form. Fields not named by its Kind
// are zero.
type Event struct {
	Kind         EventKind
	Index        int
	Text         string
	ID           string
	Name         string
	Model        string
	Signature    string
	Finish       Finish
	StopSequence string
	Usage        Usage
}

// ErrorKind classifies an error the way every format can express it.
type ErrorKind uint8

// Error kinds, with the HTTP status each maps to by default.
const (
	ErrInvalidRequest ErrorKind = iota + 1 // 400
	ErrAuthentication                      // 401
	ErrPermission                          // 403
	ErrNotFound                            // 404
	ErrTooLarge                            // 413
	ErrRateLimit                           // 429
	ErrServer                              // 500
	ErrOverloaded                          // 503 (Anthropic 529)
	ErrTimeout                             // 504
)

// Status returns the HTTP status for the kind.
func (k ErrorKind) Status() int {
	switch k {
	case ErrInvalidRequest:
		return 400
	case ErrAuthentication:
		return 401
	case ErrPermission:
		return 403
	case ErrNotFound:
		return 404
	case ErrTooLarge:
		return 413
	case ErrRateLimit:
		return 429
	case ErrOverloaded:
		return 503
	case ErrTimeout:
		return 504
	}
	return 500
}

// KindOf returns the error kind an HTTP status means.
func KindOf(status int) ErrorKind {
	switch {
	case status == 400 || status == 422:
		return ErrInvalidRequest
	case status == 401:
		return ErrAuthentication
	case status == 403:
		return ErrPermission
	case status == 404:
		return ErrNotFound
	case status == 413:
		return ErrTooLarge
	case status == 429:
		return ErrRateLimit
	case status == 503 || status == 529:
		return ErrOverloaded
	case status == 504 || status == 408:
		return ErrTimeout
	}
	if status >= 400 && status < 500 {
		return ErrInvalidRequest
	}
	return ErrServer
}

// Error is an error answer in canonical form: a provider's, decoded, or the
// gateway's own, to be encoded in the client's format.
type Error struct {
	Status     int // HTTP status to answer with; 0 means Kind.Status()
	Kind       ErrorKind
	Message    string
	Param      string        // the offending field, when known
	Code       string        // a machine-readable code, when the source had one
	RetryAfter time.Duration // from Retry-After or the format's own hint; 0 when none
}

func (e *Error) Error() string { return e.Message }

// HTTPStatus returns e.Status, or the kind's status when unset.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	return e.Kind.Status()
}

// Unsupported is returned by an encoder when the request uses something the
// target format cannot express. The gateway answers it with a 400 naming
// Field, in the client's format.
type Unsupported struct {
	Format Format // the target format
	Field  string // the field in the client's request, e.g. "n" or "messages[2].content[0].image_url"
	Reason string // optional detail
}

func (e *Unsupported) Error() string {
	s := fmt.Sprintf("%s cannot express %s", e.Format, e.Field)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Invalid is returned by a decoder when a request or answer is malformed:
// bad JSON, a required field missing, a value of the wrong type. Field names
// the offending field in the source format.
type Invalid struct {
	Field  string
	Reason string
}

func (e *Invalid) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

// StreamDecoder turns a provider's stream, in its own format, into canonical
// events. Each format's package provides one (NewStreamDecoder(io.Reader)).
type StreamDecoder interface {
	// Next appends the events of the next upstream frame to evs and returns
	// it; a frame may yield none. It returns io.EOF at the clean end of the
	// stream (after the format's own end marker, or at EOF where the format
	// has none), a *Error when the provider sent an error event, and any other
	// error when the stream broke or could not be parsed.
	Next(evs []Event) ([]Event, error)
}

// StreamEncoder turns canonical events into a client's stream format. Each
// ingress format's package provides one. Encoders keep the state their format
// needs (open blocks, a finish held back until the usage arrives).
type StreamEncoder interface {
	// Append appends the bytes for ev to dst and returns it; it may append
	// nothing and emit ev's effect later.
	Append(dst []byte, ev *Event) []byte
	// End appends what closes a complete stream (OpenAI: the usage chunk when
	// asked for, then "data: [DONE]"; Anthropic: message_delta, message_stop).
	End(dst []byte) []byte
	// Fail appends an error event that ends a stream the provider broke off.
	Fail(dst []byte, e *Error) []byte
}
