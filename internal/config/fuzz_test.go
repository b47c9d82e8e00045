package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, and that a failure is
// always reported as Errors with at least one entry.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	more, _ := filepath.Glob("testdata/invalid/*.yaml")
	files = append(append(files, more...), exampleFile)
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"",
		doc(lineKeys, lineProviders, lineModels),
		"admin: &a {<<: *a}",
		"a: &a [*a, *a]\nb: *a\n",
		"keys: &k [{name: a, key: ${K:-0123456789abcdef}}, *k]",
		"models: [{deployments: [{price: {input: 1e400}}]}]",
		"server: {max_body_bytes: 99999999999TiB}",
	} {
		f.Add([]byte(s))
	}
	lookup := env("K", "0123456789abcdef", "SECRET", "sk-live-0123456789abcdef")
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data, lookup)
		if err == nil {
			if c == nil {
				t.Fatal("nil config without error")
			}
			// What Parse accepts, Validate accepts, and defaults are stable.
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate after Parse: %v", err)
			}
			c.SetDefaults()
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate after second SetDefaults: %v", err)
			}
			return
		}
		errs, ok := err.(Errors)
		if !ok || len(errs) == 0 {
			t.Fatalf("error %T %v, want non-empty Errors", err, err)
		}
		_ = err.Error()
	})
}
