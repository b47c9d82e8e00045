package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

const checkpointFile = "checkpoint.json"

// checkpoint is how far the journal has been applied to the store: every
// record before Seq is applied, and the next one starts at Offset in the
// segment named Segment.
type checkpoint struct {
	Seq     int64 `json:"seq"`
	Segment int64 `json:"segment"`
	Offset  int64 `json:"offset"`
}

// readCheckpoint returns the zero checkpoint when there is none yet.
func readCheckpoint(dir string) (checkpoint, error) {
	var cp checkpoint
	b, err := os.ReadFile(filepath.Join(dir, checkpointFile))
	if errors.Is(err, fs.ErrNotExist) {
		return cp, nil
	}
	if err != nil {
		return cp, fmt.Errorf("journal: read checkpoint: %w", err)
	}
	if err := json.Unmarshal(b, &cp); err != nil {
		return checkpoint{}, fmt.Errorf("journal: checkpoint %s: %w", filepath.Join(dir, checkpointFile), err)
	}
	if cp.Seq < 0 || cp.Segment < 0 || cp.Offset < 0 {
		return checkpoint{}, fmt.Errorf("journal: checkpoint %s: negative position %+v", filepath.Join(dir, checkpointFile), cp)
	}
	return cp, nil
}

// writeCheckpoint replaces the checkpoint atomically: a crash leaves either
// the old one or the new one, never a torn file. Written to a temporary
// file, fsynced, renamed over, and the directory fsynced so the rename
// itself survives a power loss.
func writeCheckpoint(dir string, cp checkpoint) error {
	b, err := json.Marshal(cp)
	if err != nil {
		return fmt.Errorf("journal: checkpoint: %w", err)
	}
	tmp := filepath.Join(dir, checkpointFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("journal: checkpoint: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("journal: checkpoint: write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, checkpointFile)); err != nil {
		return fmt.Errorf("journal: checkpoint: %w", err)
	}
	return syncDir(dir)
}
