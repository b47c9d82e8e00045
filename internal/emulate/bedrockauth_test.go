package emulate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
	smithybearer "github.com/aws/smithy-go/auth/bearer"
)

// awsAPIError returns the AWS error code, HTTP status and message of an SDK error.
func awsAPIError(t *testing.T, err error) (code string, status int, message string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an API error", err)
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae.ErrorCode(), status, ae.ErrorMessage()
}

func TestBedrockSigV4SDK(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name          string
		knobs         Knobs
		keyID, secret string
		token         string
		code, message string // "" for success
	}{
		{"right key", sigV4Knobs, awsKeyID, awsSecret, "", "", ""},
		{"wrong secret", sigV4Knobs, awsKeyID, awsSecret + "x", "", "InvalidSignatureException", awsSignatureMismatch},
		{"unknown key", sigV4Knobs, "AKIDOTHER", awsSecret, "", "UnrecognizedClientException",
			"The security token included in the request is invalid."},
		{"session token", Knobs{AWSAccessKeyID: awsKeyID, AWSSecretAccessKey: awsSecret, AWSSessionToken: "tok"},
			awsKeyID, awsSecret, "tok", "", ""},
		{"wrong session token", Knobs{AWSAccessKeyID: awsKeyID, AWSSecretAccessKey: awsSecret, AWSSessionToken: "tok"},
			awsKeyID, awsSecret, "tik", "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"unexpected session token", sigV4Knobs, awsKeyID, awsSecret, "tok", "UnrecognizedClientException",
			"The security token included in the request is invalid."},
		{"region pinned", Knobs{AWSAccessKeyID: awsKeyID, AWSSecretAccessKey: awsSecret, AWSRegion: "eu-west-1"},
			awsKeyID, awsSecret, "", "InvalidSignatureException", "Credential should be scoped to a valid region, not 'us-east-1'. "},
		{"region allowed", Knobs{AWSAccessKeyID: awsKeyID, AWSSecretAccessKey: awsSecret, AWSRegion: "us-east-1"},
			awsKeyID, awsSecret, "", "", ""},
		{"api key only", Knobs{APIKey: "ABSKkey"}, awsKeyID, awsSecret, "", "UnrecognizedClientException",
			"The security token included in the request is invalid."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := listen(t, Bedrock, tc.knobs)
			c := bedrockClient(t, s.URL, tc.keyID, tc.secret, func(o *bedrockruntime.Options) {
				o.Credentials = credentials.NewStaticCredentialsProvider(tc.keyID, tc.secret, tc.token)
			})
			_, err := c.Converse(ctx, converseGreeting())
			out, streamErr := c.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{
				ModelId: aws.String(bedrockModel), Messages: converseGreeting().Messages})
			if streamErr == nil {
				for range out.GetStream().Events() { // to the end, which is billed before it is sent
				}
				streamErr = out.GetStream().Err()
			}
			for _, err := range []error{err, streamErr} {
				if tc.code == "" {
					if err != nil {
						t.Fatal(err)
					}
					continue
				}
				code, status, msg := awsAPIError(t, err)
				if code != tc.code || status != http.StatusForbidden || msg != tc.message {
					t.Errorf("got %s %d %q, want %s 403 %q", code, status, msg, tc.code, tc.message)
				}
			}
			b := s.Billed()
			if b.Received != 2 || (b.Requests == 2) != (tc.code == "") {
				t.Errorf("billed %+v", b)
			}
		})
	}
}

// signedRequest builds a Converse request for path with body, signed at
// signedAt by the test key pair for service and region, as the SDK signs.
func signedRequest(t testing.TB, url, path, body, service string, signedAt time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256([]byte(body))
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: awsKeyID, SecretAccessKey: awsSecret},
		req, hex.EncodeToString(sum[:]), service, "us-west-2", signedAt)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestBedrockSigV4Wire(t *testing.T) {
	s := listen(t, Bedrock, sigV4Knobs)
	const hi = `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`
	path := "/model/" + strings.ReplaceAll(bedrockModel, ":", "%3A") + "/converse"
	now := time.Now()
	for _, tc := range []struct {
		name   string
		req    func() *http.Request
		code   string // X-Amzn-ErrorType before ':', "" for success
		prefix string // of the message
	}{
		{"signed", func() *http.Request { return signedRequest(t, s.URL, path, hi, "bedrock", now) }, "", ""},
		{"four minutes old", func() *http.Request {
			return signedRequest(t, s.URL, path, hi, "bedrock", now.Add(-4*time.Minute))
		}, "", ""},
		{"six minutes old", func() *http.Request {
			return signedRequest(t, s.URL, path, hi, "bedrock", now.Add(-6*time.Minute))
		}, "InvalidSignatureException", "Signature expired: " + now.Add(-6*time.Minute).UTC().Format(amzDateLayout) + " is now earlier than "},
		{"six minutes ahead", func() *http.Request {
			return signedRequest(t, s.URL, path, hi, "bedrock", now.Add(6*time.Minute))
		}, "InvalidSignatureException", "Signature not yet current: "},
		{"other service", func() *http.Request { return signedRequest(t, s.URL, path, hi, "bedrock-mantle", now) },
			"InvalidSignatureException", "Credential should be scoped to correct service: 'bedrock'."},
		{"body changed", func() *http.Request {
			req := signedRequest(t, s.URL, path, hi, "bedrock", now)
			req.Body = io.NopCloser(strings.NewReader(strings.Replace(hi, "hi", "ho", 1)))
			return req
		}, "InvalidSignatureException", awsSignatureMismatch},
		{"model changed", func() *http.Request {
			req := signedRequest(t, s.URL, path, hi, "bedrock", now)
			req.URL.Path, req.URL.RawPath = "/model/other/converse", ""
			return req
		}, "InvalidSignatureException", awsSignatureMismatch},
		{"signed query", func() *http.Request { return signedRequest(t, s.URL, path+"?trace=1&a=b", hi, "bedrock", now) }, "", ""},
		{"query changed", func() *http.Request {
			req := signedRequest(t, s.URL, path+"?trace=1", hi, "bedrock", now)
			req.URL.RawQuery = "trace=2"
			return req
		}, "InvalidSignatureException", awsSignatureMismatch},
		{"content hash header", func() *http.Request {
			req, _ := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(hi))
			sum := sha256.Sum256([]byte(hi))
			req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
			_ = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: awsKeyID, SecretAccessKey: awsSecret},
				req, hex.EncodeToString(sum[:]), "bedrock", "us-east-1", now)
			return req
		}, "", ""},
		{"content hash lies", func() *http.Request {
			req, _ := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(hi))
			fake := sha256.Sum256([]byte("other"))
			req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(fake[:]))
			_ = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: awsKeyID, SecretAccessKey: awsSecret},
				req, hex.EncodeToString(fake[:]), "bedrock", "us-east-1", now)
			return req
		}, "InvalidSignatureException", awsSignatureMismatch},
		{"no authorization", func() *http.Request {
			req, _ := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(hi))
			return req
		}, "AccessDeniedException", "Authorization header is missing"},
		{"incomplete", func() *http.Request {
			req, _ := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(hi))
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+awsKeyID+"/20260101/us-east-1/bedrock/aws4_request")
			return req
		}, "IncompleteSignatureException", "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter."},
		{"scope date differs", func() *http.Request {
			req := signedRequest(t, s.URL, path, hi, "bedrock", now)
			req.Header.Set("X-Amz-Date", now.Add(48*time.Hour).UTC().Format(amzDateLayout))
			return req
		}, "InvalidSignatureException", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP"},
		{"other scheme", func() *http.Request {
			req, _ := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(hi))
			req.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
			return req
		}, "IncompleteSignatureException", "Authorization header requires 'Credential' parameter."},
		{"bearer not configured", func() *http.Request {
			req, _ := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(hi))
			req.Header.Set("Authorization", "Bearer ABSKkey")
			return req
		}, "AccessDeniedException", "Authentication failed: Please make sure your API Key is valid."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.DefaultClient.Do(tc.req())
			if err != nil {
				t.Fatal(err)
			}
			var body struct{ Message string }
			_ = decodeJSONBody(resp, &body)
			code, _, _ := strings.Cut(resp.Header.Get("X-Amzn-ErrorType"), ":")
			if tc.code == "" {
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%d %s %q", resp.StatusCode, code, body.Message)
				}
				return
			}
			if resp.StatusCode != http.StatusForbidden || code != tc.code || !strings.HasPrefix(body.Message, tc.prefix) ||
				resp.Header.Get("X-Amzn-RequestId") == "" {
				t.Errorf("got %d %s %q, want 403 %s %q…", resp.StatusCode, code, body.Message, tc.code, tc.prefix)
			}
		})
	}
}

func TestBedrockBearer(t *testing.T) {
	ctx := context.Background()
	k := Knobs{APIKey: "ABSKQmVkcm9ja0FQSUtleQ==", AWSAccessKeyID: awsKeyID, AWSSecretAccessKey: awsSecret}
	e, err := New(Bedrock, k)
	if err != nil {
		t.Fatal(err)
	}
	// The SDK sends bearer tokens over HTTPS only.
	srv := httptest.NewTLSServer(e)
	defer srv.Close()
	client := func(token string) *bedrockruntime.Client {
		return bedrockClient(t, srv.URL, "unused", "unused", func(o *bedrockruntime.Options) {
			o.HTTPClient = &http.Client{Transport: bufferedBodies{srv.Client().Transport}}
			o.BearerAuthTokenProvider = smithybearer.StaticTokenProvider{Token: smithybearer.Token{Value: token}}
			o.AuthSchemePreference = []string{"httpBearerAuth"}
		})
	}
	out, err := client(k.APIKey).Converse(ctx, converseGreeting())
	if err != nil {
		t.Fatal(err)
	}
	if *out.Usage.InputTokens != int32(greetingTokens) {
		t.Errorf("usage %+v", out.Usage)
	}
	got := converseStream(t, client(k.APIKey), converseGreeting())
	if got.err != nil || len(strings.Fields(got.text)) != defaultOutputTokens {
		t.Errorf("stream %q %v", got.text, got.err)
	}

	_, err = client("ABSKwrong").Converse(ctx, converseGreeting())
	var denied *types.AccessDeniedException
	if !errors.As(err, &denied) || denied.ErrorMessage() != "Authentication failed: Please make sure your API Key is valid." {
		t.Errorf("wrong key: %v", err)
	}

	// SigV4 works beside the key, over TLS too.
	c := bedrockClient(t, srv.URL, awsKeyID, awsSecret, func(o *bedrockruntime.Options) {
		o.HTTPClient = &http.Client{Transport: bufferedBodies{srv.Client().Transport}}
	})
	if _, err := c.Converse(ctx, converseGreeting()); err != nil {
		t.Errorf("sigv4 beside a key: %v", err)
	}

	// A cut over TLS resets the TCP connection under it.
	e.SetKnobs(Knobs{APIKey: k.APIKey, DisconnectRate: 1})
	if got := converseStream(t, client(k.APIKey), converseGreeting()); !errors.Is(got.err, syscall.ECONNRESET) {
		t.Errorf("cut over TLS: %v", got.err)
	}

	// The key works over plain HTTP too, for clients that send it there.
	s := listen(t, Bedrock, Knobs{APIKey: k.APIKey})
	resp, text := converseRaw(t, s.URL, "converse", `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`,
		"Authorization", "Bearer "+k.APIKey)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("bearer over HTTP: %d %s", resp.StatusCode, text)
	}
}

// decodeJSONBody reads and closes resp's body, decoding it into v.
func decodeJSONBody(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// TestBedrockKnobsKeepCredentials checks that changing knobs through the
// control endpoint neither drops the AWS credentials, which would silently
// turn authentication off, nor shows them.
func TestBedrockKnobsKeepCredentials(t *testing.T) {
	k := sigV4Knobs
	k.AWSSessionToken, k.AWSRegion = "session-secret", "us-east-1"
	s := listen(t, Bedrock, k)
	resp, text := post(t, s.URL+"/emulator/knobs", `{"error_rate":0,"output_tokens":4}`)
	if resp.StatusCode != http.StatusOK || strings.Contains(text, awsSecret) || strings.Contains(text, "session-secret") ||
		strings.Contains(text, awsKeyID) {
		t.Fatalf("%d %s", resp.StatusCode, text)
	}
	if got := s.Knobs(); got.AWSAccessKeyID != awsKeyID || got.AWSSecretAccessKey != awsSecret ||
		got.AWSSessionToken != "session-secret" || got.AWSRegion != "us-east-1" || got.OutputTokens != 4 {
		t.Errorf("knobs after POST %+v", got)
	}
	resp, _ = converseRaw(t, s.URL, "converse", `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned request after a knobs change: %d", resp.StatusCode)
	}
	if _, err := New(Bedrock, Knobs{AWSAccessKeyID: awsKeyID}); err == nil {
		t.Error("New accepted an access key without its secret")
	}
}
