// Package openai reads and rewrites OpenAI Chat Completions and Embeddings bodies
// without decoding them whole, for the gateway's pass-through fast path.
//
// The fast path forwards a client's body to an OpenAI-format cloud with only
// the model (and, for streams, stream_options) rewritten, and reads usage from
// the answer by scanning its top-level keys. Nothing here builds a full object
// tree of a request or response.
package openai
