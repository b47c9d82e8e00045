package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// A record on disk is an 8-byte header and the payload:
//
//	[u32 little-endian payload length][u32 CRC-32C of length bytes and payload][payload]
//
// The CRC covers the length too, so a torn or bit-flipped length is caught
// before it is trusted. A fixed header (rather than a uvarint) keeps a torn
// header recognisable: fewer than 8 bytes left is always torn.
const (
	headerSize = 8
	// maxRecord bounds one payload. Events are a few hundred bytes; a larger
	// length is corruption, and bounding it keeps a corrupt length from
	// making the reader allocate gigabytes.
	maxRecord = 1 << 24
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt marks bytes that are not a whole, checksummed record: a torn
// write at the tail, or damage.
var errCorrupt = errors.New("journal: corrupt record")

// putHeader fills the first headerSize bytes of rec, whose payload follows.
func putHeader(rec []byte) {
	binary.LittleEndian.PutUint32(rec[0:4], uint32(len(rec)-headerSize))
	crc := crc32.Update(0, castagnoli, rec[0:4])
	crc = crc32.Update(crc, castagnoli, rec[headerSize:])
	binary.LittleEndian.PutUint32(rec[4:8], crc)
}

// frameReader reads records from one segment file by offset, buffering so a
// run of small records costs one read(2) per 64 KiB rather than two per
// record. It never reads past the limit it is given, so the writer's
// half-written bytes are never looked at.
type frameReader struct {
	f    *os.File
	off  int64  // file offset of the next record
	buf  []byte // buf[head:] holds the file's bytes from off on
	head int
}

const readChunk = 64 << 10

// next returns the payload of the record at r.off and advances past it. The
// payload is valid until the next call. It returns io.EOF when r.off has
// reached limit, errCorrupt when the bytes before limit are not a whole
// record, and any read error as it is.
func (r *frameReader) next(limit int64) ([]byte, error) {
	if r.off >= limit {
		return nil, io.EOF
	}
	if err := r.fill(headerSize, limit); err != nil {
		return nil, err
	}
	h := r.buf[r.head : r.head+headerSize]
	n := int64(binary.LittleEndian.Uint32(h[0:4]))
	if n == 0 || n > maxRecord {
		return nil, fmt.Errorf("%w: length %d at offset %d", errCorrupt, n, r.off)
	}
	if err := r.fill(headerSize+n, limit); err != nil {
		return nil, err
	}
	rec := r.buf[r.head : r.head+headerSize+int(n)]
	crc := crc32.Update(0, castagnoli, rec[0:4])
	crc = crc32.Update(crc, castagnoli, rec[headerSize:])
	if crc != binary.LittleEndian.Uint32(rec[4:8]) {
		return nil, fmt.Errorf("%w: checksum mismatch at offset %d", errCorrupt, r.off)
	}
	r.head += len(rec)
	r.off += int64(len(rec))
	return rec[headerSize:], nil
}

// fill makes sure k bytes from r.off are buffered, reading at most up to limit.
func (r *frameReader) fill(k, limit int64) error {
	have := int64(len(r.buf) - r.head)
	if have >= k {
		return nil
	}
	if r.off+k > limit {
		return fmt.Errorf("%w: %d bytes at offset %d run past the end (%d)", errCorrupt, k, r.off, limit)
	}
	copy(r.buf, r.buf[r.head:])
	r.buf = r.buf[:have]
	r.head = 0
	want := min(max(k, readChunk), limit-r.off)
	if int64(cap(r.buf)) < want {
		nb := make([]byte, have, want)
		copy(nb, r.buf)
		r.buf = nb
	}
	n, err := r.f.ReadAt(r.buf[have:want], r.off+have)
	r.buf = r.buf[:have+int64(n)]
	if int64(len(r.buf)) < k {
		if err == nil || err == io.EOF {
			// The file is shorter than the limit said: it was cut underneath us.
			return fmt.Errorf("%w: file ends inside the record at offset %d", errCorrupt, r.off)
		}
		return fmt.Errorf("journal: read %s: %w", r.f.Name(), err)
	}
	return nil
}

// reset points the reader at another file and offset, dropping the buffer.
func (r *frameReader) reset(f *os.File, off int64) {
	r.f, r.off, r.buf, r.head = f, off, r.buf[:0], 0
}
