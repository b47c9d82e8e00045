package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/wire"
)

func TestAnthropic(t *testing.T) {
	srv, s := upstream(t)
	c := config.Provider{Name: "a", Type: config.TypeAnthropic, BaseURL: srv.URL, APIKey: "sk-ant-upstream"}
	p, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	if p.Format() != wire.Anthropic {
		t.Errorf("format %v", p.Format())
	}
	send(t, p, Chat, "claude-x", `{"model":"claude-x","max_tokens":5,"messages":[]}`)
	if s.path != "/v1/messages" || s.header.Get("X-Api-Key") != "sk-ant-upstream" || s.header.Get("Anthropic-Version") != "2023-06-01" {
		t.Errorf("got %s key %q version %q", s.path, s.header.Get("X-Api-Key"), s.header.Get("Anthropic-Version"))
	}
	if s.header.Get("Authorization") != "" {
		t.Error("anthropic request carries an Authorization header")
	}
	if _, err := p.Send(context.Background(), &Request{Op: Embeddings, Model: "x", Body: []byte(`{}`)}); err == nil {
		t.Error("embeddings on anthropic: want an error")
	}
}

func TestGemini(t *testing.T) {
	srv, s := upstream(t)
	p, err := New(config.Provider{Name: "g", Type: config.TypeGemini, BaseURL: srv.URL, APIKey: "g-key"})
	if err != nil {
		t.Fatal(err)
	}
	send(t, p, Chat, "gemini-2.5-flash", `{"contents":[]}`)
	if s.path != "/v1beta/models/gemini-2.5-flash:generateContent" || s.query != "" || s.header.Get("X-Goog-Api-Key") != "g-key" {
		t.Errorf("got %s?%s key %q", s.path, s.query, s.header.Get("X-Goog-Api-Key"))
	}
	resp, err := p.Send(context.Background(), &Request{Op: Chat, Model: "gemini-2.5-flash", Body: []byte(`{}`), Stream: true})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if s.path != "/v1beta/models/gemini-2.5-flash:streamGenerateContent" || s.query != "alt=sse" {
		t.Errorf("stream went to %s?%s", s.path, s.query)
	}
}

// TestBedrockSigV4 checks that a request signed by the provider verifies:
// the server re-signs what it received with the same secret, as AWS does,
// and compares. The model id's ':' is escaped in the path, as the AWS SDK
// sends it.
func TestBedrockSigV4(t *testing.T) {
	const id, secret = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	var gotPath, gotAuth, wantAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotAuth = r.URL.EscapedPath(), r.Header.Get("Authorization")
		date, _ := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		check := r.Clone(context.Background())
		check.Header.Del("Authorization")
		check.Header.Del("Accept-Encoding")
		check.Header.Del("User-Agent")
		signed := strings.Split(between(gotAuth, "SignedHeaders=", ","), ";")
		for k := range check.Header {
			if !slices.Contains(signed, strings.ToLower(k)) {
				check.Header.Del(k)
			}
		}
		check.URL.Scheme, check.URL.Host = "http", r.Host
		sum := r.Header.Get("X-Amz-Content-Sha256")
		if sum == "" {
			sum = bodySHA256(t, r)
		}
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, check, sum, "bedrock", "us-east-1", date)
		if err != nil {
			t.Error(err)
		}
		wantAuth = check.Header.Get("Authorization")
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	p, err := New(config.Provider{Name: "b", Type: config.TypeBedrock, BaseURL: srv.URL, Region: "us-east-1", AccessKeyID: id, SecretAccessKey: secret})
	if err != nil {
		t.Fatal(err)
	}
	send(t, p, Chat, "anthropic.claude-sonnet-4-5-20250929-v1:0", `{"messages":[]}`)
	if gotPath != "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse" {
		t.Errorf("path %s", gotPath)
	}
	if !strings.HasPrefix(gotAuth, "AWS4-HMAC-SHA256 Credential="+id+"/") || gotAuth != wantAuth {
		t.Errorf("authorization\n got %s\nwant %s", gotAuth, wantAuth)
	}

	// A Bedrock API key replaces signing with a bearer token.
	p, err = New(config.Provider{Name: "b", Type: config.TypeBedrock, BaseURL: srv.URL, Region: "us-east-1", APIKey: "ABSKexample"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := p.Send(context.Background(), &Request{Op: Chat, Model: "m", Body: []byte(`{}`), Stream: true})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if gotAuth != "Bearer ABSKexample" || gotPath != "/model/m/converse-stream" {
		t.Errorf("bearer: auth %q path %s", gotAuth, gotPath)
	}
}

func TestBedrockNeedsCredentials(t *testing.T) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_BEARER_TOKEN_BEDROCK"} {
		t.Setenv(k, "")
	}
	_, err := New(config.Provider{Name: "b", Type: config.TypeBedrock, Region: "us-east-1"})
	if err == nil || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") {
		t.Errorf("err = %v, want one naming the credential sources", err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	if _, err := New(config.Provider{Name: "b", Type: config.TypeBedrock, Region: "us-east-1"}); err != nil {
		t.Errorf("credentials from the environment: %v", err)
	}
}

func between(s, from, to string) string {
	_, after, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(after, to)
	return v
}

func bodySHA256(t *testing.T, r *http.Request) string {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Error(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
