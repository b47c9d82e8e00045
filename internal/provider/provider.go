// Package provider carries one request to one cloud: its URL layout, auth and transport.
package provider

import (
	"context"
	"fmt"
	"net/http"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/wire"
)

// Op is the operation a request performs.
type Op uint8

// Operations.
const (
	Chat Op = iota + 1
	Embeddings
)

func (op Op) String() string {
	switch op {
	case Chat:
		return "chat"
	case Embeddings:
		return "embeddings"
	}
	return "unknown"
}

// Request is one upstream attempt.
type Request struct {
	Op     Op
	Model  string // the provider's native model id (Azure: the deployment name)
	Body   []byte // already in the provider's wire format
	Stream bool
}

// Provider sends requests to one account at one cloud.
type Provider interface {
	Name() string
	// Format is the wire format the provider's bodies use.
	Format() wire.Format
	// Send sends req and returns the response whatever its status; the caller
	// closes its body. An error means no response arrived (dial, TLS, timeout,
	// cancellation).
	Send(ctx context.Context, req *Request) (*http.Response, error)
}

// Cleaner is implemented by providers whose dialect of the OpenAI format needs
// cleaning before clients see it (Azure). Clean* may return their input.
type Cleaner interface {
	CleanBody(body []byte) []byte
	CleanChunk(data []byte) (out []byte, keep bool)
}

// New builds the provider an (already validated) config entry describes.
func New(c config.Provider) (Provider, error) {
	switch c.Type {
	case config.TypeOpenAI, config.TypeOpenAICompatible:
		return newOpenAI(c)
	case config.TypeAzure:
		return newAzure(c)
	case config.TypeBedrock:
		return newBedrock(c)
	case config.TypeAnthropic:
		return newAnthropic(c)
	case config.TypeGemini:
		return newGemini(c)
	}
	return nil, fmt.Errorf("provider %s: type %q is not supported by this build", c.Name, c.Type)
}
