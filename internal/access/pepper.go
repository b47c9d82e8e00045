package access

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// PepperEnv is the environment variable a pepper may come from.
const PepperEnv = "SWITCHYARD_KEYS_PEPPER"

// PepperFile is the file under data_dir that holds a generated pepper.
const PepperFile = "pepper"

// minPepper is the shortest pepper accepted: 128 bits of key.
const minPepper = 16

// LoadPepper returns the HMAC key stored key digests are made under:
// configured (keys_pepper in the config) if set, else $SWITCHYARD_KEYS_PEPPER,
// else the contents of dataDir/pepper. When none exists and create is set,
// a random pepper is written there with mode 0600 and returned, so that
// digests survive restarts. Replicas sharing a store must share the pepper
// through the config or the environment. found is false when nothing was
// configured or stored and create is unset.
func LoadPepper(configured, dataDir string, create bool) (pepper []byte, found bool, err error) {
	for _, src := range []struct{ v, name string }{{configured, "keys_pepper"}, {os.Getenv(PepperEnv), PepperEnv}} {
		if src.v == "" {
			continue
		}
		if len(src.v) < minPepper {
			return nil, false, fmt.Errorf("access: %s is %d characters; want at least %d", src.name, len(src.v), minPepper)
		}
		return []byte(src.v), true, nil
	}
	if dataDir == "" {
		return nil, false, nil
	}
	path := filepath.Join(dataDir, PepperFile)
	b, err := os.ReadFile(path)
	if err == nil {
		p := strings.TrimSpace(string(b))
		if len(p) < minPepper {
			return nil, false, fmt.Errorf("access: %s holds %d characters; want at least %d", path, len(p), minPepper)
		}
		return []byte(p), true, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("access: pepper: %w", err)
	}
	if !create {
		return nil, false, nil
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, false, fmt.Errorf("access: pepper: %w", err)
	}
	p := base64.RawURLEncoding.EncodeToString(raw)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, false, fmt.Errorf("access: pepper: %w", err)
	}
	// Written aside, then linked into place: link fails if the file exists,
	// so of two processes starting on one data_dir, one pepper wins whole
	// and the other reads it.
	f, err := os.CreateTemp(dataDir, ".pepper-*")
	if err != nil {
		return nil, false, fmt.Errorf("access: pepper: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(p + "\n"); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("access: pepper: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, false, fmt.Errorf("access: pepper: %w", err)
	}
	if err := os.Link(f.Name(), path); errors.Is(err, os.ErrExist) {
		return LoadPepper("", dataDir, false)
	} else if err != nil {
		return nil, false, fmt.Errorf("access: pepper: %w", err)
	}
	return []byte(p), true, nil
}
