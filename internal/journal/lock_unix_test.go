//go:build unix

package journal

import "testing"

func TestSecondOpenRefused(t *testing.T) {
	dir := t.TempDir()
	j, _ := open(t, Options{Dir: dir})
	if j2, err := Open(Options{Dir: dir}); err == nil {
		j2.Close()
		t.Fatal("a second Open of the same directory succeeded while the first is open")
	}
	j.Close()
	j, _ = open(t, Options{Dir: dir})
	j.Close()
}
