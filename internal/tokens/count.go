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

// Ends appends to dst the end offset, in bytes, of each of text's tokens in
// order, so that a text sent in pieces can be billed by the tokens that had
// begun when it was cut. The last offset is len(text).
func Ends(dst []int32, text string) []int32 {
	if text == "" {
		return dst
	}
	_, toks, err := enc().Encode(text)
	if err != nil {
		for off := 4; ; off += 4 { // as Count falls back: four bytes a token
			if off >= len(text) {
				return append(dst, int32(len(text)))
			}
			dst = append(dst, int32(off))
		}
	}
	off := 0
	for _, t := range toks {
		off += len(t)
		dst = append(dst, int32(off))
	}
	return dst
}
