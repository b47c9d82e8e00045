//go:build !unix

package journal

import (
	"fmt"
	"os"
	"path/filepath"
)

// lockDir only creates the lock file where flock(2) is not available; one
// process per journal directory is then the operator's to ensure.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: lock: %w", err)
	}
	return f, nil
}
