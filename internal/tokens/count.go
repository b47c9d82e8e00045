package tokens

import (
	"sync"

	"github.com/tiktoken-go/tokenizer/codec"
)

var (
	codecOnce sync.Once
	bpe       *codec.Codec
)

// enc returns the shared o200k_base codec, built on first use: building it
// fills a 200k-entry map, which programs that never count should not pay.
// A Codec is safe for concurrent use.
func enc() *codec.Codec {
	codecOnce.Do(func() { bpe = codec.NewO200kBase() })
	return bpe
}

// Warm builds the vocabulary now, so that the first Count on a request path
// does not pay for it.
func Warm() { enc() }

// Count returns the number of o200k_base tokens in text. Invalid UTF-8 is
// counted as the bytes it is, as the tokenizer does; special-token text such
// as "<|endoftext|>" counts as ordinary text.
func Count(text string) int {
	if text == "" {
		return 0
	}
	n, err := enc().Count(text)
	if err != nil {
		// The split pattern has no match timeout, so the matcher cannot
		// fail; fall back to four bytes a token rather than zero anyway.
		return (len(text) + 3) / 4
	}
	return n
}
