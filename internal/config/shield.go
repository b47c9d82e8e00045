package config

import (
	"bytes"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// In YAML's flow style ({...} and [...]) a plain scalar ends at "}", so the
// natural way to write a secret, {key: ${SWITCHYARD_KEY}}, does not parse:
// the reference's own brace closes the mapping. DESIGN.md and most gateway
// configs in the wild write exactly that. Before parsing, each ${...} is
// therefore replaced by a placeholder of the same length made of characters
// that are safe anywhere (so line and column numbers stay exact), and the
// placeholders are put back into the parsed scalars before expansion. The
// references' values are still substituted only after parsing, so a secret
// can never change the document's structure.

// shieldRefs returns data with its ${...} references replaced, and the
// placeholder → reference table to undo it.
func shieldRefs(data []byte) ([]byte, map[string]string) {
	if !bytes.Contains(data, []byte("${")) {
		return data, nil
	}
	nonce := placeholderNonce(data)
	if nonce == "" {
		return data, nil
	}
	out := append([]byte(nil), data...)
	refs := map[string]string{}
	for i := 0; i+1 < len(out); i++ {
		if out[i] != '$' {
			continue
		}
		if out[i+1] == '$' {
			i++ // "$$" is an escaped dollar, never the start of a reference
			continue
		}
		if out[i+1] != '{' {
			continue
		}
		end := bytes.IndexAny(out[i:], "}\n")
		if end < 0 || out[i+end] != '}' {
			continue // unterminated: leave it for expand to report
		}
		ref := string(out[i : i+end+1])
		ph := nonce + strconv.Itoa(len(refs))
		if len(ph) > len(ref) {
			continue // too short to hold a placeholder; ${} and ${X} rarely sit in flow style
		}
		ph += strings.Repeat("_", len(ref)-len(ph))
		refs[ph] = ref
		copy(out[i:], ph)
		i += end
	}
	return out, refs
}

// placeholderNonce picks a two-letter prefix that occurs nowhere in data, so
// placeholders cannot be confused with text the file already holds.
func placeholderNonce(data []byte) string {
	for a := 'Q'; a <= 'Z'; a++ {
		for b := 'q'; b <= 'z'; b++ {
			n := string([]rune{a, b})
			if !bytes.Contains(data, []byte(n)) {
				return n
			}
		}
	}
	return ""
}

// restoreRefs puts the references back into every scalar of the tree.
func restoreRefs(n *yaml.Node, refs map[string]string, seen map[*yaml.Node]bool) {
	if n == nil || len(refs) == 0 || seen[n] {
		return
	}
	seen[n] = true // aliases share nodes; visit each once
	if n.Kind == yaml.ScalarNode {
		for ph, ref := range refs {
			if strings.Contains(n.Value, ph) {
				n.Value = strings.ReplaceAll(n.Value, ph, ref)
			}
		}
	}
	for _, c := range n.Content {
		restoreRefs(c, refs, seen)
	}
	restoreRefs(n.Alias, refs, seen)
}
