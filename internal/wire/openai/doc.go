// Package openai reads, rewrites and translates OpenAI Chat Completions bodies.
//
// The fast path forwards a client's body to an OpenAI-format cloud with only
// the model (and, for streams, stream_options) rewritten, and reads usage from
// the answer by scanning its top-level keys (ParseChat, Rewrite, ScanChunk,
// UsageOf). Nothing there builds a full object tree of a request or response.
//
// The translation path (DecodeRequest, EncodeRequest, DecodeResponse,
// EncodeResponse, DecodeError, EncodeError, NewStreamDecoder,
// NewStreamEncoder) converts between this format and the canonical form of
// package wire, for requests that cross to a cloud of another format.
package openai
