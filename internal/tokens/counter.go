package tokens

import (
	"sync"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// flushAt is how much pending text a Counter holds before it counts the part
// that later pieces can no longer change.
const flushAt = 2048

// Counter counts the tokens of a text that arrives in pieces (a stream's
// deltas), as Count would count their concatenation, without keeping the
// whole text: text up to the last boundary no later piece can move is
// counted and dropped as it accumulates. The zero value is ready to use; a
// Counter is not safe for concurrent use.
type Counter struct {
	counted int
	pending []byte
}

var counterPool = sync.Pool{New: func() any { return new(Counter) }}

// NewCounter returns an empty Counter from a pool; Release gives it back.
func NewCounter() *Counter { return counterPool.Get().(*Counter) }

// Release resets c and returns it to the pool; c must not be used after.
func (c *Counter) Release() {
	c.Reset()
	if cap(c.pending) > 4*flushAt {
		c.pending = nil // do not pin a large buffer in the pool
	}
	counterPool.Put(c)
}

// Reset empties c, keeping its buffer.
func (c *Counter) Reset() {
	c.counted = 0
	c.pending = c.pending[:0]
}

// WriteString appends a piece of text. It never fails; the error is for io.StringWriter.
func (c *Counter) WriteString(s string) (int, error) {
	c.pending = append(c.pending, s...)
	c.maybeFlush()
	return len(s), nil
}

// Write appends a piece of text given as bytes. It never fails; the error is for io.Writer.
func (c *Counter) Write(b []byte) (int, error) {
	c.pending = append(c.pending, b...)
	c.maybeFlush()
	return len(b), nil
}

// Tokens returns the token count of all text appended since the last Reset.
func (c *Counter) Tokens() int {
	return c.counted + Count(bytesString(c.pending))
}

func (c *Counter) maybeFlush() {
	if len(c.pending) < flushAt {
		return
	}
	cut := safeCut(c.pending)
	if cut <= 0 {
		return
	}
	c.counted += Count(bytesString(c.pending[:cut]))
	n := copy(c.pending, c.pending[cut:])
	c.pending = c.pending[:n]
}

// safeCut returns the last index i > 0 at which text can be split without
// changing its token count, or 0 if there is none. Such an i holds a space
// that follows a character other than white space and precedes one: o200k's
// pre-tokenizer never extends a piece over a space that follows a
// non-space (letters, digits and punctuation end before it, and white-space
// runs cannot include the character before it), and a piece starting at
// that space is the same whatever follows the next non-space character.
// Tokens never cross pieces, so the counts of the halves add up.
func safeCut(b []byte) int {
	for i := len(b) - 2; i > 0; i-- {
		if b[i] != ' ' || b[i+1] == ' ' || isSpaceBefore(b[:i]) || isSpaceAt(b[i+1:]) {
			continue
		}
		return i
	}
	return 0
}

// isSpaceBefore reports whether the rune ending b is white space (or b ends
// in a broken rune, which is not safe to judge).
func isSpaceBefore(b []byte) bool {
	r, n := utf8.DecodeLastRune(b)
	return n == 0 || r == utf8.RuneError || unicode.IsSpace(r)
}

// isSpaceAt reports whether the rune starting b is white space or broken.
func isSpaceAt(b []byte) bool {
	r, n := utf8.DecodeRune(b)
	return n == 0 || r == utf8.RuneError || unicode.IsSpace(r)
}

// bytesString views b as a string for the duration of a Count call, which
// does not keep its input.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
