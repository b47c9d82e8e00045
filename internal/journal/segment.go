package journal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// A segment file is named after the sequence number of its first record,
// zero-padded so names sort in order: 00000000000000000001.wal. Sequence
// numbers count records from 1 over the journal's whole life, so the
// checkpoint and Lag are plain subtraction.
const segmentExt = ".wal"

// segment is what the journal knows of one segment file.
type segment struct {
	first int64 // sequence number of its first record
	size  int64 // bytes of whole records; the reader never goes past it
}

func segmentName(first int64) string { return fmt.Sprintf("%020d%s", first, segmentExt) }

func parseSegmentName(name string) (int64, bool) {
	base, ok := strings.CutSuffix(name, segmentExt)
	if !ok || len(base) != 20 {
		return 0, false
	}
	n, err := strconv.ParseInt(base, 10, 64)
	return n, err == nil && n > 0
}

// listSegments returns the first sequence numbers of the segment files in
// dir, in order.
func listSegments(dir string) ([]int64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("journal: list %s: %w", dir, err)
	}
	var firsts []int64
	for _, e := range ents {
		if n, ok := parseSegmentName(e.Name()); ok && e.Type().IsRegular() {
			firsts = append(firsts, n)
		}
	}
	slices.Sort(firsts)
	return firsts, nil
}

// scanResult is what scanning one segment file found.
type scanResult struct {
	records  int64 // whole, checksummed records from the start
	validEnd int64 // offset just past the last of them
	fileSize int64
	cause    error // why scanning stopped before fileSize, if it did
}

// scanSegment walks a segment's records from the start and stops at the
// first one that is not whole and checksummed.
func scanSegment(path string) (scanResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return scanResult{}, fmt.Errorf("journal: open %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return scanResult{}, fmt.Errorf("journal: stat %s: %w", path, err)
	}
	res := scanResult{fileSize: st.Size()}
	r := frameReader{f: f}
	for {
		_, err := r.next(res.fileSize)
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, errCorrupt) {
			res.cause = err
			break
		}
		if err != nil {
			return scanResult{}, err
		}
		res.records++
	}
	res.validEnd = r.off
	return res, nil
}

// syncDir makes a directory's entries (a created or renamed file) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("journal: open dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("journal: sync dir %s: %w", dir, err)
	}
	return nil
}

func segmentPath(dir string, first int64) string { return filepath.Join(dir, segmentName(first)) }
