package api

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/internal/wire/openai"
)

// Body buffer sizes: the first read gets a small buffer whatever the
// declared Content-Length says, and the buffer doubles only as bytes
// actually arrive. Allocating the declared length up front let 30
// connections that each declared 32 MiB and sent one byte take a gigabyte.
const (
	bodyChunk    = 4 << 10  // first buffer when the length is not declared
	bodyFirstMax = 16 << 10 // largest first buffer, whatever is declared
)

// readBody reads the whole request body under the size limit and the body
// read timeout.
//
// The timeout is set on the connection for the read and cleared only after
// the body was read to its end: the server has no whole-request read timeout,
// because that would also cancel long-running streams. On any error the
// deadline stays, and the answer says Connection: close, because net/http
// drains what is left of a body before reusing a connection: without a
// deadline that drain waits forever on a client that stopped sending.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *openai.Error) {
	limit := s.opts.MaxBodyBytes
	if r.ContentLength > limit {
		return nil, closing(w, tooLarge(limit))
	}
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(s.opts.BodyReadTimeout))

	body, err := readGrowing(r.Body, r.ContentLength, limit)
	if err != nil {
		return nil, closing(w, bodyError(err, limit))
	}
	rc.SetReadDeadline(time.Time{})
	return body, nil
}

// errTooLarge is returned by readGrowing past the limit.
var errTooLarge = errors.New("body over the limit")

// readGrowing reads src to EOF into a buffer that doubles as data arrives,
// up to limit. declared is the Content-Length (-1 when unknown): it only
// lets a small body start in a buffer of exactly its size, never makes a
// large one start large.
func readGrowing(src io.Reader, declared, limit int64) ([]byte, error) {
	ceiling := limit + 1 // one byte past the limit tells "over" from "at"
	first := int64(bodyChunk)
	if declared >= 0 {
		first = declared + 1 // +1: room to read EOF without growing
	}
	buf := make([]byte, 0, min(first, bodyFirstMax, ceiling))
	for {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(2*int64(cap(buf)), ceiling))
			copy(grown, buf)
			buf = grown
		}
		n, err := src.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, errTooLarge
		}
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// bodyError maps a failed body read to an answer: a deadline is 408, a body
// cut short or badly framed (chunked syntax) is the client's 400.
func bodyError(err error, limit int64) *openai.Error {
	var ne net.Error
	switch {
	case errors.Is(err, errTooLarge):
		return tooLarge(limit)
	case errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return &openai.Error{Status: http.StatusRequestTimeout, Type: "invalid_request_error", Code: "body_read_timeout",
			Message: "The request body did not arrive within the body read timeout."}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return openai.BadRequest("", "incomplete_body", "The request body ended before its declared Content-Length.")
	}
	return openai.BadRequest("", "malformed_body", "The request body is malformed: "+err.Error()+".")
}

// closing marks the answer to close the connection: the body was not read
// to its end, so what remains on the wire must not be drained or parsed.
func closing(w http.ResponseWriter, e *openai.Error) *openai.Error {
	w.Header().Set("Connection", "close")
	return e
}

func tooLarge(limit int64) *openai.Error {
	return &openai.Error{Status: http.StatusRequestEntityTooLarge, Type: "invalid_request_error", Code: "request_too_large",
		Message: "The request body is larger than the " + strconv.FormatInt(limit, 10) + "-byte limit."}
}
