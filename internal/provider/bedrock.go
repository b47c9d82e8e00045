package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/encoding/httpbinding"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/wire"
)

// Bedrock talks to the AWS Bedrock Runtime Converse API, signing each request
// with SigV4 (the AWS SDK's signer) or, with a Bedrock API key, a bearer token.
type Bedrock struct {
	name    string
	base    string // https://bedrock-runtime.REGION.amazonaws.com
	region  string
	creds   aws.Credentials
	bearer  []string // "Bearer KEY" when an API key replaces signing
	headers map[string]string
	signer  *v4.Signer
	client  *http.Client
	now     func() time.Time
}

// bedrockService is the SigV4 signing name of Bedrock Runtime.
const bedrockService = "bedrock"

func newBedrock(c config.Provider) (*Bedrock, error) {
	p := &Bedrock{
		name:    c.Name,
		base:    c.BaseURL,
		region:  c.Region,
		headers: c.Headers,
		signer:  v4.NewSigner(),
		client:  newClient(c.Timeouts),
		now:     time.Now,
	}
	if p.base == "" {
		p.base = "https://bedrock-runtime." + c.Region + ".amazonaws.com"
	}
	switch {
	case c.APIKey != "":
		p.bearer = []string{"Bearer " + c.APIKey}
	case c.AccessKeyID != "":
		p.creds = aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Source: "config"}
	case os.Getenv("AWS_ACCESS_KEY_ID") != "" && os.Getenv("AWS_SECRET_ACCESS_KEY") != "":
		p.creds = aws.Credentials{
			AccessKeyID:     os.Getenv("AWS_ACCESS_KEY_ID"),
			SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
			SessionToken:    os.Getenv("AWS_SESSION_TOKEN"),
			Source:          "environment",
		}
	case os.Getenv("AWS_BEARER_TOKEN_BEDROCK") != "":
		p.bearer = []string{"Bearer " + os.Getenv("AWS_BEARER_TOKEN_BEDROCK")}
	default:
		return nil, fmt.Errorf("provider %s (bedrock): no AWS credentials: set access_key_id and secret_access_key, or api_key, "+
			"in the config, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_BEARER_TOKEN_BEDROCK) in the environment", c.Name)
	}
	return p, nil
}

// Name implements Provider.
func (p *Bedrock) Name() string { return p.name }

// Format implements Provider.
func (p *Bedrock) Format() wire.Format { return wire.Bedrock }

// Send implements Provider: POST /model/{id}/converse or /converse-stream.
func (p *Bedrock) Send(ctx context.Context, req *Request) (*http.Response, error) {
	if req.Op != Chat {
		return nil, fmt.Errorf("%s: bedrock serves chat only here, not %v", p.name, req.Op)
	}
	op := "/converse"
	if req.Stream {
		op = "/converse-stream"
	}
	return p.post(ctx, req.Model, op, req.Body, req.Stream)
}

// post sends body to /model/{model}{op}, signed. Model ids hold ':'
// ("…-v1:0"); they are escaped as the AWS SDK does, so that the path AWS
// canonicalizes is the one that was signed.
func (p *Bedrock) post(ctx context.Context, model, op string, body []byte, stream bool) (*http.Response, error) {
	raw := "/model/" + httpbinding.EscapePath(model, true) + op
	hr, err := newPost(ctx, p.base+raw, body, false)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	if stream {
		hr.Header["Accept"] = []string{"application/vnd.amazon.eventstream"}
	}
	if path, perr := url.PathUnescape(raw); perr == nil {
		hr.URL.Path, hr.URL.RawPath = path, raw
	}
	setHeaders(hr.Header, p.headers)
	if p.bearer != nil {
		hr.Header["Authorization"] = p.bearer
	} else {
		sum := sha256.Sum256(body)
		if err := p.signer.SignHTTP(ctx, p.creds, hr, hex.EncodeToString(sum[:]), bedrockService, p.region, p.now()); err != nil {
			return nil, fmt.Errorf("%s: sign: %w", p.name, err)
		}
	}
	return p.client.Do(hr)
}
