package journal

import "fmt"

// Sync is when the journal fsyncs what it has written. Every policy survives
// the process being killed, because each Append has reached the page cache
// with write(2) before it returns; they differ on a power loss or kernel
// crash.
type Sync int

// Sync policies. The zero value is the default.
const (
	SyncInterval Sync = iota // fsync every SyncEvery: a power loss loses at most that much
	SyncAlways               // fsync in every Append: a power loss loses nothing acknowledged
	SyncNone                 // never fsync: a power loss loses whatever the OS had not flushed
)

var syncNames = [...]string{SyncInterval: "interval", SyncAlways: "always", SyncNone: "none"}

func (s Sync) String() string {
	if s >= 0 && int(s) < len(syncNames) {
		return syncNames[s]
	}
	return fmt.Sprintf("Sync(%d)", int(s))
}

// ParseSync reads a policy as written in config: "always", "interval" or "none".
func ParseSync(s string) (Sync, error) {
	for i, n := range syncNames {
		if n == s {
			return Sync(i), nil
		}
	}
	return 0, fmt.Errorf("journal: unknown fsync policy %q (want always, interval or none)", s)
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseSync.
func (s *Sync) UnmarshalText(b []byte) error {
	v, err := ParseSync(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (s Sync) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
