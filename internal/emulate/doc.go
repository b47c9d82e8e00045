// Package emulate runs faithful local emulators of model clouds, for the demo, tests and benchmarks.
//
// An [Emulator] speaks one cloud's HTTP API (see [Kinds]) closely enough that
// the cloud's official SDK accepts it, answers every prompt with deterministic
// text, and keeps the books a cloud would: what it billed and what it refused.
// [Knobs] shape its latency and inject faults — server errors, throttles, an
// RPM quota, mid-stream disconnects — and may change while it runs, from Go or
// through the control endpoints every emulator serves:
//
//	GET  /emulator/billed  what has been billed, as JSON (Billed)
//	GET  /emulator/knobs   the current knobs (Knobs)
//	POST /emulator/knobs   replace the knobs present in the JSON body; absent ones stay
//	POST /emulator/reset   zero the counters, restart the fault sequence and the quota window
//
// # Tokens
//
// Emulators count tokens by a fixed rule, so that tests can predict usage,
// and with the tokenizer the gateway estimates with (internal/tokens,
// o200k_base BPE), so that its estimates and the clouds' bills agree.
// The rules below are the OpenAI-format clouds' (OpenAI, Azure); the
// Bedrock, Anthropic and Gemini emulators apply the same rule to their own
// request shapes, documented on newBedrockAPI (bedrock.go), anthropicAPI
// (anthropic.go) and geminiAPI (gemini.go). The same conversation gets the
// same words from every kind of cloud, so a translated request can be
// checked against an untranslated one.
//
//   - A text's token count is its o200k_base token count (tokens.Count).
//     The fixed overheads below come on top of it.
//   - A chat message's text is the concatenation, without separators, of its
//     content (a string, or the text of its text and refusal parts), the name
//     and then the arguments of each tool call it makes, and, for a tool
//     message, its tool_call_id.
//   - Chat prompt tokens = 3 + Σ over messages (4 + tokens of its text) +
//     tokens of the compact JSON of the request's tools array when present
//     (the array as sent, with insignificant whitespace removed) +
//     85 per image part. Audio and file parts count nothing.
//   - Embedding input tokens = Σ tokens of each input string, or the number
//     of ids in each token array.
//
// # Answers
//
// An answer is a function of the request alone:
//
//   - The conversation text is the concatenation of all messages' texts, as
//     defined above. Choice i draws from splitmix64 seeded with
//     FNV-1a-64(conversation text) XOR (i × 0xD1B54A32D192ED03).
//   - Text answers are words drawn from a fixed vocabulary of 128 plain
//     lowercase English words, joined by single spaces, each of which is one
//     o200k_base token bare or after a space: one word is one token.
//     The length is max_completion_tokens, else max_tokens, else
//     Knobs.OutputTokens. finish_reason is "length" when the request set a
//     maximum, else "stop".
//   - stop (a string or a list): when a stop string occurs in the text, the
//     text is cut just before its first occurrence and finish_reason is
//     "stop"; the completion tokens are the words with at least one byte
//     (counting the space before them) left before the cut.
//   - response_format json_object answers {"answer":"<words>"} with as many
//     words as the length above; json_schema answers a value generated from
//     the schema that validates against it. Both count the tokens of the
//     content as completion tokens and finish with "stop": a JSON answer is
//     never cut, neither by the length nor by stop strings.
//   - Tools: with tool_choice "required" (the first tool), or naming a
//     function, the answer is one call to that tool with arguments generated
//     from its parameters schema, content null and finish_reason
//     "tool_calls". Under "auto", or with tools and no tool_choice, a tool is
//     called iff the last message is a user message whose text contains the
//     tool's name, ignoring case (the first such tool in the tools array).
//     tool_choice "none", and a last message with role "tool", always get
//     text. allowed_tools restricts the candidates; custom tools are never
//     called. The call id is "call_" and 24 hex digits. A call counts
//     tokens(name) + tokens(arguments) completion tokens.
//   - completion_tokens is the sum over the n choices.
//   - Streams carry the same content: a text answer's deltas are its words,
//     the first bare and the others with a leading space, so that their
//     concatenation is the non-stream content; JSON content goes in pieces of
//     about four bytes and tool-call arguments in pieces of about eight.
//
// # Time
//
// The first token is due Knobs.TTFT after the request arrives, and each later
// token 1/Knobs.TPS seconds after the one before (TPS 0: all at once). A
// non-stream answer is sent whole TTFT + completion tokens/TPS after the
// request arrives; for n > 1 choices, generated side by side, the longest
// choice counts. Waits end early when the client goes away.
//
// # Faults and billing
//
// Admission draws three numbers from a PRNG seeded with Knobs.Seed for every
// authenticated, well-formed request, whatever it then decides, so that the
// same seed and request order meet the same faults. It applies the RPM quota
// first, then ThrottleRate (429 with Retry-After), then ErrorRate (500);
// DisconnectRate cuts a stream after about half of its tokens by dropping the
// connection, without [DONE]. Billed counts an answer when it completes, or
// when a stream is cut, by the emulator or by a client that left, with the
// tokens actually sent: the words sent, or for JSON content and tool calls
// the tokens of the whole answer's text that had begun in the pieces sent (a
// model streams whole tokens); refusals are counted but not billed.
// Billed.Unreported is the part billed for answers whose usage report never
// went out (cut streams, clients that left, streams without include_usage);
// see Billed for the rule.
//
// HangRate, checked before anything else with dice of its own (seeded from
// the complement of Knobs.Seed), leaves a fraction of API requests without
// any answer: the connection stays silent until the client gives up, as a
// wedged upstream does. Such requests are counted in Billed.Hung only.
package emulate
