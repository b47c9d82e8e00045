package config

import (
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want Size
		err  bool
	}{
		{"0", 0, false},
		{"1048576", 1 << 20, false},
		{"1_048_576", 1 << 20, false},
		{"512B", 512, false},
		{"512KiB", 512 << 10, false},
		{"32MiB", 32 << 20, false},
		{"32 MiB", 32 << 20, false},
		{"32mib", 32 << 20, false},
		{"1GiB", 1 << 30, false},
		{"2TiB", 2 << 40, false},
		{"1GB", 1_000_000_000, false},
		{"10MB", 10_000_000, false},
		{"100kB", 100_000, false},
		{"100KB", 100_000, false},
		{"-1", -1, false}, // parsed; Validate rejects it with its key
		{"", 0, true},
		{"MiB", 0, true},
		{"1.5MiB", 0, true},
		{"32M", 0, true},
		{"32 megs", 0, true},
		{"0x10", 0, true},
		{"9223372036854775807", 1<<63 - 1, false},
		{"9223372036854775808", 0, true},
		{"8589934592GiB", 0, true},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestSizeString(t *testing.T) {
	tests := []struct {
		in   Size
		want string
	}{
		{0, "0B"},
		{512, "512B"},
		{1024, "1KiB"},
		{1536, "1536B"},
		{32 << 20, "32MiB"},
		{1 << 30, "1GiB"},
		{3 << 40, "3TiB"},
		{1000, "1kB"},
		{10_000_000, "10MB"},
		{2_000_000_000, "2GB"},
		{-2048, "-2KiB"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Size(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
		if back, err := parseSize(tt.in.String()); err != nil || back != tt.in {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tt.in.String(), back, err, int64(tt.in))
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"30s", 30 * time.Second, false},
		{"1h30m", 90 * time.Minute, false},
		{"250ms", 250 * time.Millisecond, false},
		{"1.5s", 1500 * time.Millisecond, false},
		{"-5s", -5 * time.Second, false}, // parsed; Validate rejects it with its key
		{"0", 0, false},                  // unambiguous, unlike other bare numbers
		{"30", 0, true},
		{"1.5", 0, true},
		{"1e3", 0, true},
		{"", 0, true},
		{"thirty seconds", 0, true},
		{"5 s", 0, true},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if (err != nil) != tt.err || got.D() != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	if _, err := parseDuration("30"); err == nil || err.Error() != "want a duration such as 30s or 1h30m, not a bare number" {
		t.Errorf("parseDuration(30) error = %v", err)
	}
	if got := Duration(90 * time.Second).String(); got != "1m30s" {
		t.Errorf("String = %q, want 1m30s", got)
	}
}

// TestUnmarshalYAML checks that Duration and Size also decode with plain
// yaml.v3, for code that reads pieces of config on its own.
func TestUnmarshalYAML(t *testing.T) {
	var v struct {
		D Duration `yaml:"d"`
		S Size     `yaml:"s"`
		N Size     `yaml:"n"`
	}
	if err := yaml.Unmarshal([]byte("d: 1h30m\ns: 32MiB\nn: 1024\n"), &v); err != nil {
		t.Fatal(err)
	}
	if v.D.D() != 90*time.Minute || v.S != 32*MiB || v.N != KiB {
		t.Errorf("decoded %+v", v)
	}
	for _, in := range []string{"d: 30\n", "d: [1]\n", "s: lots\n", "s: {a: 1}\n"} {
		if err := yaml.Unmarshal([]byte(in), &v); err == nil {
			t.Errorf("yaml.Unmarshal(%q) succeeded, want error", in)
		}
	}
}
