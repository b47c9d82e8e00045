// Package jsoncheck validates JSON in one pass without recursion, bounding nesting depth and refusing invalid UTF-8, before any recursive parser sees it.
package jsoncheck

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"unicode/utf8"
	"unsafe"
)

// DefaultMaxDepth is the nesting limit unless SetMaxDepth changes it. Real
// requests nest a dozen levels (a tool schema inside a tool inside the list);
// 128 leaves room for deep schemas while keeping every recursive parser that
// runs after the check (gjson, encoding/json, a cloud's) far from its stack's
// end.
const DefaultMaxDepth = 128

var maxDepth atomic.Int64

func init() { maxDepth.Store(DefaultMaxDepth) }

// SetMaxDepth sets the nesting limit Check enforces; n < 1 restores the
// default. Safe to call while other goroutines check.
func SetMaxDepth(n int) {
	if n < 1 {
		n = DefaultMaxDepth
	}
	maxDepth.Store(int64(n))
}

// MaxDepth is the nesting limit Check enforces.
func MaxDepth() int { return int(maxDepth.Load()) }

// Kind classifies what broke.
type Kind uint8

// What a check can find wrong.
const (
	Syntax Kind = iota + 1 // not JSON
	Depth                  // JSON nested deeper than the limit
	UTF8                   // a string holds bytes that are not UTF-8
)

// Error says what broke and where. Offset counts the bytes read up to and
// including the offending one, as encoding/json's SyntaxError does, so "at
// byte N" is the 1-based position of the culprit (len(input) when the input
// ends early).
type Error struct {
	Offset int
	Reason string
	Kind   Kind
}

func (e *Error) Error() string { return fmt.Sprintf("%s at byte %d", e.Reason, e.Offset) }

func errAt(kind Kind, i int, reason string) *Error {
	return &Error{Offset: i + 1, Reason: reason, Kind: kind}
}

func unexpected(b []byte, i int, what string) *Error {
	if i >= len(b) {
		return &Error{Offset: len(b), Reason: "unexpected end of JSON input, expected " + what, Kind: Syntax}
	}
	c := b[i]
	if c < 0x20 || c >= 0x7f {
		return errAt(Syntax, i, fmt.Sprintf("invalid byte 0x%02x, expected %s", c, what))
	}
	return errAt(Syntax, i, fmt.Sprintf("invalid character %q, expected %s", c, what))
}

// Check reports whether b is one JSON value (with optional surrounding
// whitespace), nested no deeper than MaxDepth, whose strings are valid UTF-8.
// It runs in one pass with constant stack and allocates only on failure.
func Check(b []byte) error {
	if err := scan(b, nil, MaxDepth()); err != nil {
		return err
	}
	return nil
}

// Valid is Check without the reason.
func Valid(b []byte) bool { return scan(b, nil, MaxDepth()) == nil }

// ValidObject reports whether b passes Check and is a JSON object.
func ValidObject(b []byte) bool {
	if !Valid(b) {
		return false
	}
	i := skipWS(b, 0)
	return b[i] == '{'
}

// ValidString is Valid for a string, without copying it.
func ValidString(s string) bool { return Valid(stringBytes(s)) }

// stackWords bounds the container stack kept on the goroutine's stack: one
// bit per level, 64 levels a word. Deeper limits grow it on the heap, and
// only when a body actually nests that deep.
const stackWords = 16

// scan is the validator. w, when set, also watches the keys of the root
// object (see Watch). Containers are tracked in a bit stack (1 = object), so
// depth costs one bit, not a stack frame.
func scan(b []byte, w *Watch, limit int) error {
	var (
		buf    [stackWords]uint64
		stack  = buf[:]
		depth  int
		obj    bool // the innermost open container is an object
		n      = len(b)
		i      int
		c      byte
		err    *Error
		keyAt  int
		esc    bool
		keys   keyState
		rootOb bool
	)
	keys.reset()

value:
	for i < n && isWS[b[i]] {
		i++
	}
	if i >= n {
		return unexpected(b, i, "a value")
	}
	c = b[i]
	switch {
	case c == '"':
		if i, _, err = scanString(b, i+1); err != nil {
			return err
		}
	case c == '{' || c == '[':
		if depth >= limit {
			return errAt(Depth, i, fmt.Sprintf("nesting deeper than the %d-level limit", limit))
		}
		if depth>>6 >= len(stack) {
			stack = append(stack, make([]uint64, len(stack))...)
		}
		obj = c == '{'
		if obj {
			stack[depth>>6] |= 1 << (depth & 63)
		} else {
			stack[depth>>6] &^= 1 << (depth & 63)
		}
		depth++
		if depth == 1 {
			rootOb = obj
		}
		if w != nil {
			keys.enter(w, depth, obj)
		}
		i++
		for i < n && isWS[b[i]] {
			i++
		}
		if obj {
			if i < n && b[i] == '}' {
				i++
				goto closed
			}
			goto key
		}
		if i < n && b[i] == ']' {
			i++
			goto closed
		}
		goto value
	case c == 't':
		if i+4 > n || string(b[i:i+4]) != "true" {
			return literalError(b, i, "true")
		}
		i += 4
	case c == 'f':
		if i+5 > n || string(b[i:i+5]) != "false" {
			return literalError(b, i, "false")
		}
		i += 5
	case c == 'n':
		if i+4 > n || string(b[i:i+4]) != "null" {
			return literalError(b, i, "null")
		}
		i += 4
	case c == '-' || (c >= '0' && c <= '9'):
		if i, err = scanNumber(b, i); err != nil {
			return err
		}
	default:
		return unexpected(b, i, "a value")
	}

after:
	if depth == 0 {
		for i < n && isWS[b[i]] {
			i++
		}
		if i < n {
			return unexpected(b, i, "the end of input after the top-level value")
		}
		return nil
	}
	for i < n && isWS[b[i]] {
		i++
	}
	if i >= n {
		if obj {
			return unexpected(b, i, "',' or '}'")
		}
		return unexpected(b, i, "',' or ']'")
	}
	c = b[i]
	if obj {
		switch c {
		case ',':
			i++
			for i < n && isWS[b[i]] {
				i++
			}
			goto key
		case '}':
			i++
			goto closed
		}
		return unexpected(b, i, "',' or '}' after an object member")
	}
	switch c {
	case ',':
		i++
		goto value
	case ']':
		i++
		goto closed
	}
	return unexpected(b, i, "',' or ']' after an array element")

closed:
	depth--
	if depth > 0 {
		obj = stack[(depth-1)>>6]&(1<<((depth-1)&63)) != 0
	}
	if w != nil {
		keys.leave(depth)
	}
	goto after

key:
	if i >= n || b[i] != '"' {
		return unexpected(b, i, "a string object key")
	}
	keyAt = i
	if i, esc, err = scanString(b, i+1); err != nil {
		return err
	}
	if w != nil && rootOb && depth <= 2 {
		if d := keys.key(w, depth, b[keyAt+1:i-1], esc, keyAt); d != nil {
			return d
		}
	}
	for i < n && isWS[b[i]] {
		i++
	}
	if i >= n || b[i] != ':' {
		return unexpected(b, i, "':' after an object key")
	}
	i++
	goto value
}

func literalError(b []byte, i int, lit string) *Error {
	for j := 0; j < len(lit); j++ {
		if i+j >= len(b) || b[i+j] != lit[j] {
			return unexpected(b, i+j, fmt.Sprintf("%q (in literal %s)", lit[j], lit))
		}
	}
	return unexpected(b, i, "a value")
}

// scanString scans a string whose opening quote is at i-1 and returns the
// index after its closing quote and whether it holds escapes.
func scanString(b []byte, i int) (int, bool, *Error) {
	n := len(b)
	esc := false
	for {
		// Eight plain ASCII bytes at a time: most of a chat body is text.
		for i+8 <= n {
			x := binary.LittleEndian.Uint64(b[i:])
			if special(x) {
				break
			}
			i += 8
		}
		for i < n && plain[b[i]] {
			i++
		}
		if i >= n {
			return i, esc, &Error{Offset: n, Reason: "unexpected end of JSON input in a string", Kind: Syntax}
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, esc, nil
		case c == '\\':
			esc = true
			if i+1 >= n {
				return i, esc, &Error{Offset: n, Reason: "unexpected end of JSON input in a string escape", Kind: Syntax}
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for j := i + 2; j < i+6; j++ {
					if j >= n {
						return j, esc, &Error{Offset: n, Reason: "unexpected end of JSON input in a \\u escape", Kind: Syntax}
					}
					if !isHex(b[j]) {
						return j, esc, errAt(Syntax, j, fmt.Sprintf("invalid character %q in a \\u escape", b[j]))
					}
				}
				i += 6
			default:
				return i, esc, errAt(Syntax, i+1, fmt.Sprintf("invalid escape %q in a string", "\\"+string(b[i+1])))
			}
		case c < 0x20:
			return i, esc, errAt(Syntax, i, fmt.Sprintf("control character 0x%02x in a string (it must be escaped)", c))
		default: // c >= 0x80
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				return i, esc, errAt(UTF8, i, fmt.Sprintf("invalid UTF-8 byte 0x%02x in a string", c))
			}
			i += size
		}
	}
}

// special reports whether any of the eight bytes in x is a quote, a
// backslash, a control character or non-ASCII.
func special(x uint64) bool {
	const (
		lo = 0x0101010101010101
		hi = 0x8080808080808080
	)
	q := x ^ (lo * '"')
	s := x ^ (lo * '\\')
	// A byte is zero after the XOR iff it matched; (v - 1) & ^v sets its
	// high bit. Bytes under 0x20 get the high bit from x - 0x20. Bytes with
	// the high bit already set are non-ASCII.
	return ((q-lo)&^q|(s-lo)&^s|(x-lo*0x20)|x)&hi != 0
}

func scanNumber(b []byte, i int) (int, *Error) {
	n := len(b)
	if b[i] == '-' {
		i++
	}
	switch {
	case i < n && b[i] == '0':
		i++
	case i < n && b[i] >= '1' && b[i] <= '9':
		for i++; i < n && b[i] >= '0' && b[i] <= '9'; i++ {
		}
	default:
		return i, unexpected(b, i, "a digit in a number")
	}
	if i < n && b[i] == '.' {
		i++
		if i >= n || b[i] < '0' || b[i] > '9' {
			return i, unexpected(b, i, "a digit after the decimal point")
		}
		for i++; i < n && b[i] >= '0' && b[i] <= '9'; i++ {
		}
	}
	if i < n && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < n && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= n || b[i] < '0' || b[i] > '9' {
			return i, unexpected(b, i, "a digit in the exponent")
		}
		for i++; i < n && b[i] >= '0' && b[i] <= '9'; i++ {
		}
	}
	return i, nil
}

func skipWS(b []byte, i int) int {
	for i < len(b) && isWS[b[i]] {
		i++
	}
	return i
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

var isWS = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

// plain marks the bytes a string may hold as they are: printable ASCII but
// the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// stringBytes views s as bytes without copying; the checker only reads them.
func stringBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
