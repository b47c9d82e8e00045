package api

import (
	"bytes"
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

func TestHostileBodyRead(t *testing.T) {
	const limit = 1 << 20
	big := strings.Repeat("x", limit)
	tests := []struct {
		name     string
		src      io.Reader
		declared int64
		want     string
		err      error
	}{
		{"declared, whole", strings.NewReader(`{"a":1}`), 7, `{"a":1}`, nil},
		{"unknown length, one byte at a time", iotest.OneByteReader(strings.NewReader(`{"a":1}`)), -1, `{"a":1}`, nil},
		{"unknown length, at the limit", strings.NewReader(big), -1, big, nil},
		{"unknown length, one past the limit", strings.NewReader(big + "x"), -1, "", errTooLarge},
		{"declared small, more arrives", strings.NewReader(big + "x"), 10, "", errTooLarge},
		{"cut short", io.MultiReader(strings.NewReader("{"), iotest.ErrReader(io.ErrUnexpectedEOF)), 100, "", io.ErrUnexpectedEOF},
		{"stalled", io.MultiReader(strings.NewReader("{"), iotest.ErrReader(os.ErrDeadlineExceeded)), 100, "", os.ErrDeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readGrowing(tt.src, tt.declared, limit)
			if !errors.Is(err, tt.err) || (err == nil && !bytes.Equal(got, []byte(tt.want))) {
				t.Errorf("got %d bytes, %v; want %d bytes, %v", len(got), err, len(tt.want), tt.err)
			}
		})
	}
}

// TestHostileBodyDeclaredNotAllocated: a body that declares 32 MiB and sends
// one byte costs a small buffer, not 32 MiB.
func TestHostileBodyDeclaredNotAllocated(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < 10; i++ {
		src := io.MultiReader(strings.NewReader("{"), iotest.ErrReader(os.ErrDeadlineExceeded))
		readGrowing(src, 32<<20, 32<<20)
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("10 bodies declaring 32 MiB allocated %d KiB", grew>>10)
	}
}

func TestHostileBodyErrors(t *testing.T) {
	for _, tt := range []struct {
		err    error
		status int
	}{
		{os.ErrDeadlineExceeded, 408},
		{io.ErrUnexpectedEOF, 400},
		{errors.New("malformed chunked encoding"), 400},
		{errTooLarge, 413},
	} {
		if got := bodyError(tt.err, 1024).Status; got != tt.status {
			t.Errorf("%v: status %d, want %d", tt.err, got, tt.status)
		}
	}
}
