package anthropic

import "math/rand/v2"

const idAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// newID makes up an id in Anthropic's shape ("msg_01…", "toolu_01…") for
// answers whose provider gave none. It need not be secret, only unique enough
// for a client to tell answers apart.
func newID(prefix string) string {
	b := make([]byte, 0, len(prefix)+26)
	b = append(b, prefix...)
	b = append(b, '0', '1')
	for range 24 {
		b = append(b, idAlphabet[rand.IntN(len(idAlphabet))])
	}
	return string(b)
}
