package jsoncheck

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Watch names the fields of a request body that the gateway reads or
// rewrites and that therefore must appear once, spelled exactly. A second
// copy, or a copy that differs only in case, would let the gateway route and
// price one value while a cloud whose parser keeps the other copy, or matches
// keys case-insensitively (Go's encoding/json does both), acts on another.
// Build one per format at init and share it: a Watch is read-only.
type Watch struct {
	top      []watched
	nested   [][]watched // children of top[i], indexed by top[i].nested
	snake    bool
	maxBytes int // the longest raw key that can still match a name
}

type watched struct {
	name   string // canonical spelling
	folded string // lower case, underscores dropped in snake mode
	parent string // for a nested name, the top-level object holding it
	nested int    // index into Watch.nested, or -1
}

// NewWatch watches the given top-level keys. A dotted name
// ("stream_options.include_usage") watches a key of the object that is the
// value of a top-level key, and watches that top-level key too. Names are
// matched by Unicode case folding, as encoding/json matches them. At most 64
// top-level names and 64 names per nested object.
func NewWatch(names ...string) *Watch { return newWatch(false, names) }

// NewSnakeWatch is NewWatch for formats whose servers accept a field in
// lowerCamel and in snake_case alike (Gemini's generationConfig and
// generation_config): names are given in lowerCamel, keys match them
// ignoring case and underscores, and the snake_case spelling of a name is
// not a variant of it.
func NewSnakeWatch(names ...string) *Watch { return newWatch(true, names) }

func newWatch(snake bool, names []string) *Watch {
	w := &Watch{snake: snake}
	topIndex := func(name string) int {
		for i := range w.top {
			if w.top[i].name == name {
				return i
			}
		}
		w.top = append(w.top, watched{name: name, folded: w.fold(name), nested: -1})
		return len(w.top) - 1
	}
	for _, name := range names {
		parent, child, dotted := strings.Cut(name, ".")
		t := topIndex(parent)
		if !dotted {
			continue
		}
		if w.top[t].nested < 0 {
			w.top[t].nested = len(w.nested)
			w.nested = append(w.nested, nil)
		}
		k := w.top[t].nested
		w.nested[k] = append(w.nested[k], watched{name: child, folded: w.fold(child), parent: parent, nested: -1})
	}
	if len(w.top) > 64 {
		panic("jsoncheck: more than 64 watched top-level keys")
	}
	all := w.top
	for _, ns := range w.nested {
		if len(ns) > 64 {
			panic("jsoncheck: more than 64 watched keys in one object")
		}
		all = append(all[:len(all):len(all)], ns...)
	}
	for _, n := range all {
		// A key folds to a name only if it is at most three bytes per
		// character (the Kelvin sign folds to k), each escaped as \uXXXX
		// (six bytes), plus underscores in snake mode.
		if m := 12 * len(n.name); m > w.maxBytes {
			w.maxBytes = m
		}
	}
	return w
}

func (w *Watch) fold(name string) string {
	var sb strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '_' && w.snake {
			continue
		}
		sb.WriteByte(lower(c))
	}
	return sb.String()
}

// Check is the package-level Check that also refuses, with a *DupError, a
// watched key of the root object (or of a watched nested object) that
// repeats or is spelled in another case. It is one pass over b.
func (w *Watch) Check(b []byte) error {
	if err := scan(b, w, MaxDepth()); err != nil {
		return err
	}
	return nil
}

// DupError is a watched key that appears twice, or in another spelling.
type DupError struct {
	Key    string // as the body spells it, unescaped: "Model"
	Of     string // the watched name it copies: "model"
	Parent string // for a nested key, the top-level object holding it
	Offset int    // 1-based position of the key's opening quote
	Repeat bool   // an earlier copy of the same field came before it
}

// Param is the key's path, for an error's param field.
func (e *DupError) Param() string {
	if e.Parent != "" {
		return e.Parent + "." + e.Key
	}
	return e.Key
}

// Variant reports whether the key is spelled differently from its field.
func (e *DupError) Variant() bool { return e.Key != e.Of }

func (e *DupError) Error() string {
	key, of := e.Param(), e.Of
	if e.Parent != "" {
		of = e.Parent + "." + e.Of
	}
	switch {
	case e.Repeat && !e.Variant():
		return fmt.Sprintf("duplicate key %q: the request must carry each field once", key)
	case e.Repeat:
		return fmt.Sprintf("duplicate key %q (case-variant of %q): the request must carry each field once", key, of)
	}
	return fmt.Sprintf("key %q is a case-variant of %q: the request must spell each field exactly, once", key, of)
}

// keyState follows the watched keys during one scan.
type keyState struct {
	seen       uint64 // top-level names met so far
	nestedSeen uint64 // names met in the watched nested object now open
	pending    int    // nested list of the top-level key just read, or -1
	active     int    // nested list of the open depth-2 object, or -1
}

func (k *keyState) reset() { k.pending, k.active = -1, -1 }

// enter notes a container opening at depth.
func (k *keyState) enter(_ *Watch, depth int, obj bool) {
	if depth == 2 {
		k.active = -1
		if obj {
			k.active, k.nestedSeen = k.pending, 0
		}
	}
}

// leave notes a container closing, depth being the depth after it.
func (k *keyState) leave(depth int) {
	if depth <= 1 {
		k.active = -1
	}
}

// key checks an object key at depth 1 or 2; raw is the text between its
// quotes, at the offset of the opening quote.
func (k *keyState) key(w *Watch, depth int, raw []byte, esc bool, at int) *DupError {
	var names []watched
	var seen *uint64
	switch {
	case depth == 1:
		k.pending = -1
		names, seen = w.top, &k.seen
	case k.active >= 0:
		names, seen = w.nested[k.active], &k.nestedSeen
	default:
		return nil
	}
	if len(raw) > w.maxBytes {
		return nil
	}
	var buf [256]byte
	key := raw
	if esc {
		var ok bool
		if key, ok = unescape(buf[:0], raw); !ok {
			return nil
		}
	}
	for i := range names {
		n := &names[i]
		if !w.foldEqual(key, n.folded) {
			continue
		}
		exact := string(key) == n.name || (w.snake && camelEqual(key, n.name))
		bit := uint64(1) << i
		if !exact || *seen&bit != 0 {
			return &DupError{Key: string(key), Of: n.name, Parent: n.parent, Offset: at + 1, Repeat: *seen&bit != 0}
		}
		*seen |= bit
		if depth == 1 {
			k.pending = n.nested
		}
		return nil
	}
	return nil
}

// foldEqual reports whether key equals folded (lower case ASCII) under
// Unicode simple case folding, ignoring underscores in snake mode.
func (w *Watch) foldEqual(key []byte, folded string) bool {
	j := 0
	for i := 0; i < len(key); {
		c := key[i]
		if c == '_' && w.snake {
			i++
			continue
		}
		if j >= len(folded) {
			return false
		}
		if c < utf8.RuneSelf {
			if lower(c) != folded[j] {
				return false
			}
			i++
			j++
			continue
		}
		r, size := utf8.DecodeRune(key[i:])
		if !foldsTo(r, rune(folded[j])) {
			return false
		}
		i += size
		j++
	}
	return j == len(folded)
}

// foldsTo reports whether r is in the case-folding orbit of the ASCII c (the
// Kelvin sign is k, the long s is s).
func foldsTo(r, c rune) bool {
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f == c {
			return true
		}
	}
	return false
}

// camelEqual reports whether key, read as Gemini reads snake_case, is name.
func camelEqual(key []byte, name string) bool {
	j, up := 0, false
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == '_' && i > 0 {
			up = true
			continue
		}
		if up && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up = false
		if j >= len(name) || name[j] != c {
			return false
		}
		j++
	}
	return j == len(name)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// unescape appends the value of the escaped string text raw to dst, which it
// must not outgrow (ok is false then). raw has passed scanString.
func unescape(dst, raw []byte) ([]byte, bool) {
	for i := 0; i < len(raw); {
		if len(dst)+utf8.UTFMax > cap(dst) {
			return dst, false
		}
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		switch raw[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(raw[i+2:])
			i += 6
			if utf16IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					r2 = hex4(raw[i+2:])
				}
				if c := decodeSurrogates(r, r2); c != unicode.ReplacementChar {
					r = c
					i += 6
				} else {
					r = unicode.ReplacementChar
				}
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // " \ /
			dst = append(dst, raw[i+1])
		}
		i += 2
	}
	return dst, true
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

func utf16IsSurrogate(r rune) bool { return r >= 0xd800 && r < 0xe000 }

func decodeSurrogates(r1, r2 rune) rune {
	if r1 >= 0xd800 && r1 < 0xdc00 && r2 >= 0xdc00 && r2 < 0xe000 {
		return (r1-0xd800)<<10 | (r2 - 0xdc00) + 0x10000
	}
	return unicode.ReplacementChar
}
