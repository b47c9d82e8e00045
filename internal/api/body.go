package api

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/internal/wire/openai"
)

// readBody reads the whole request body under the size limit and the body
// read timeout. The timeout is set on the connection for the read only and
// cleared after: the server has no whole-request read timeout, because that
// would also cancel long-running streams.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *openai.Error) {
	limit := s.opts.MaxBodyBytes
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(s.opts.BodyReadTimeout))
	defer rc.SetReadDeadline(time.Time{})

	var body []byte
	var err error
	if r.ContentLength > 0 {
		body = make([]byte, r.ContentLength)
		_, err = io.ReadFull(r.Body, body)
	} else {
		body, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err == nil && int64(len(body)) > limit {
			return nil, tooLarge(limit)
		}
	}
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, openai.BadRequest("", "incomplete_body", "The request body ended before its declared Content-Length.")
		}
		return nil, &openai.Error{Status: http.StatusRequestTimeout, Type: "invalid_request_error", Code: "body_read_failed",
			Message: "Could not read the request body: " + err.Error()}
	}
	return body, nil
}

func tooLarge(limit int64) *openai.Error {
	return &openai.Error{Status: http.StatusRequestEntityTooLarge, Type: "invalid_request_error", Code: "request_too_large",
		Message: "The request body is larger than the " + strconv.FormatInt(limit, 10) + "-byte limit."}
}
