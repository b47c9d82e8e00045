// Package sse reads Server-Sent Events streams one event at a time.
package sse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Event is one dispatched event. Its slices are valid until the next call to
// Reader.Next.
type Event struct {
	Name []byte // the "event:" field; nil when absent
	Data []byte // the "data:" lines joined by "\n"
}

// ErrLineTooLong is returned for a line longer than the reader's limit, so that
// a misbehaving upstream cannot make the gateway buffer without bound.
var ErrLineTooLong = errors.New("sse: line too long")

// Reader reads events from an SSE stream. It accepts LF and CRLF line endings
// (Google sends CRLF), skips comments and unknown fields, and joins multi-line
// data as the SSE specification says.
type Reader struct {
	br      *bufio.Reader
	maxLine int
	data    []byte
	name    []byte
	long    []byte // assembles lines longer than the bufio buffer
}

// NewReader returns a Reader reading from r whose lines may be at most maxLine
// bytes long.
func NewReader(r io.Reader, maxLine int) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 16<<10), maxLine: maxLine}
}

// Reset makes rd read from r, keeping its buffers.
func (rd *Reader) Reset(r io.Reader) {
	rd.br.Reset(r)
	rd.data, rd.name, rd.long = rd.data[:0], rd.name[:0], rd.long[:0]
}

// Buffered reports how many bytes have been read from the stream but not yet
// returned as events. A relay flushes to its client only when this is zero, so
// events that arrived together are written together without adding latency.
func (rd *Reader) Buffered() int { return rd.br.Buffered() }

// Next returns the next event. At the end of the stream it returns io.EOF; a
// final event without its terminating blank line is still returned first, since
// several servers omit it after "[DONE]".
func (rd *Reader) Next() (Event, error) {
	rd.data, rd.name = rd.data[:0], rd.name[:0]
	hasData, hasName := false, false
	for {
		line, err := rd.line()
		if err != nil {
			if err == io.EOF && (hasData || hasName) {
				return rd.event(hasName), nil
			}
			return Event{}, err
		}
		if len(line) == 0 {
			if hasData || hasName {
				return rd.event(hasName), nil
			}
			continue // blank lines between events
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			if hasData {
				rd.data = append(rd.data, '\n')
			}
			rd.data = append(rd.data, value...)
			hasData = true
		case "event":
			rd.name = append(rd.name[:0], value...)
			hasName = true
		case "": // a comment line starting with ':'
		default: // id, retry and unknown fields do not matter to a relay
		}
	}
}

func (rd *Reader) event(hasName bool) Event {
	ev := Event{Data: rd.data}
	if hasName {
		ev.Name = rd.name
	}
	return ev
}

// line returns the next line without its line ending.
func (rd *Reader) line() ([]byte, error) {
	line, err := rd.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		rd.long = append(rd.long[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(rd.long) > rd.maxLine {
				return nil, fmt.Errorf("%w (over %d bytes)", ErrLineTooLong, rd.maxLine)
			}
			line, err = rd.br.ReadSlice('\n')
			rd.long = append(rd.long, line...)
		}
		line = rd.long
	}
	if err != nil && (err != io.EOF || len(line) == 0) {
		return nil, err
	}
	if len(line) > rd.maxLine {
		return nil, fmt.Errorf("%w (over %d bytes)", ErrLineTooLong, rd.maxLine)
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	return line, nil
}
