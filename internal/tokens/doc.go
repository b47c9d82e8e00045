// Package tokens counts text the way OpenAI's o200k_base BPE tokenizer does, for estimates and emulated billing.
//
// Every cloud tokenizes with its own vocabulary, which only it has; o200k_base
// (GPT-4o's) is the nearest public one to all of them, and counting with a
// real BPE tokenizer keeps estimates within a few percent of what a cloud
// bills for ordinary text, where four bytes a token misses code, JSON and
// non-English text by 30% or more. The vocabulary (about 8 MB of Go map) is
// built on first use, not at program start.
package tokens
