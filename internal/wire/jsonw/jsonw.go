// Package jsonw appends JSON strings to byte slices as encoding/json writes them, without reflection.
package jsonw

import "unicode/utf8"

// The wire encoders and the emulators build JSON by appending to byte
// slices: a stream is hundreds of near-identical small objects, and
// reflection per event would cost more than the rest of the relay.

const hexDigits = "0123456789abcdef"

// String appends s as a quoted JSON string.
func String[S ~string | ~[]byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	dst = Escaped(dst, s)
	return append(dst, '"')
}

// Escaped appends the inside of s as a JSON string, without quotes. It
// escapes what JSON requires (quotes, backslashes, control characters),
// replaces invalid UTF-8 with U+FFFD as encoding/json does, and escapes
// U+2028 and U+2029, which are valid JSON but end lines in JavaScript.
// Unlike encoding/json it leaves <, > and & alone: HTML escaping only
// inflates model output.
func Escaped[S ~string | ~[]byte](dst []byte, s S) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		var buf [utf8.UTFMax]byte
		r, size := utf8.DecodeRune(buf[:copy(buf[:], s[i:])])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(dst, s[start:]...)
}
