package api

import (
	"io"
	"net/http"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/anthropic"
	"github.com/switchyard/switchyard/internal/wire/bedrock"
	"github.com/switchyard/switchyard/internal/wire/gemini"
	"github.com/switchyard/switchyard/internal/wire/openai"
)

// codec is what the gateway needs of one wire format to translate through
// the canonical form. Each format's package provides the functions; the table
// below only binds them, so adding a format is one entry.
type codec struct {
	encodeRequest  func(*wire.Request) ([]byte, error)
	decodeResponse func([]byte) (*wire.Response, error)
	encodeResponse func(*wire.Response) ([]byte, error)
	decodeError    func(int, http.Header, []byte) *wire.Error
	encodeError    func(*wire.Error) []byte
	newDecoder     func(io.Reader) wire.StreamDecoder
}

var codecs = [...]codec{
	wire.OpenAI: {
		encodeRequest: openai.EncodeRequest, decodeResponse: openai.DecodeResponse, encodeResponse: openai.EncodeResponse,
		decodeError: openai.DecodeError, encodeError: openai.EncodeError,
		newDecoder: func(r io.Reader) wire.StreamDecoder { return openai.NewStreamDecoder(r) },
	},
	wire.Anthropic: {
		encodeRequest: anthropic.EncodeRequest, decodeResponse: anthropic.DecodeResponse, encodeResponse: anthropic.EncodeResponse,
		decodeError: anthropic.DecodeError, encodeError: anthropic.EncodeError,
		newDecoder: func(r io.Reader) wire.StreamDecoder { return anthropic.NewStreamDecoder(r) },
	},
	wire.Bedrock: {
		encodeRequest: bedrock.EncodeRequest, decodeResponse: bedrock.DecodeResponse, encodeResponse: bedrock.EncodeResponse,
		decodeError: bedrock.DecodeError, encodeError: bedrock.EncodeError,
		newDecoder: func(r io.Reader) wire.StreamDecoder { return bedrock.NewStreamDecoder(r) },
	},
	wire.Gemini: {
		encodeRequest: gemini.EncodeRequest, decodeResponse: gemini.DecodeResponse, encodeResponse: gemini.EncodeResponse,
		decodeError: gemini.DecodeError, encodeError: gemini.EncodeError,
		newDecoder: func(r io.Reader) wire.StreamDecoder { return gemini.NewStreamDecoder(r) },
	},
}

// codecFor returns the codec of f, or nil for a format this build lacks.
func codecFor(f wire.Format) *codec {
	if int(f) >= len(codecs) || codecs[f].encodeRequest == nil {
		return nil
	}
	return &codecs[f]
}
