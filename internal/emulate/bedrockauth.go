package emulate

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// SigV4 as Bedrock checks it.
const (
	sigV4Algorithm = "AWS4-HMAC-SHA256"
	sigV4Service   = "bedrock"
	sigV4Terminal  = "aws4_request"
	amzDateLayout  = "20060102T150405Z"

	// sigV4Skew is how far X-Amz-Date may be from the emulator's clock.
	// Bedrock allows five minutes, where most AWS services allow fifteen:
	// its "Signature expired" errors say "- 5 min.".
	sigV4Skew = 5 * time.Minute
)

// sigV4Signer recomputes signatures. The SDK's signer is safe for concurrent use
// and caches derived keys, so one serves every request.
var sigV4Signer = v4.NewSigner()

// authenticate checks the request's credentials when the knobs require any:
// a Bedrock API key (Knobs.APIKey) as a bearer token, or a SigV4 signature by
// the knobs' AWS key pair. body is the whole request body, which a signature
// covers. It returns the 403 to answer, or nil.
func (c *bedrockCall) authenticate(body []byte) *bedrockError {
	k := c.k
	if k.APIKey == "" && k.AWSAccessKeyID == "" {
		return nil
	}
	auth := c.r.Header.Get("Authorization")
	if auth == "" {
		return awsAuthMissing()
	}
	scheme, rest, _ := strings.Cut(auth, " ")
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		key := strings.TrimSpace(rest)
		if k.APIKey != "" && subtle.ConstantTimeCompare([]byte(key), []byte(k.APIKey)) == 1 {
			return nil
		}
		return awsAPIKeyInvalid()
	case scheme == sigV4Algorithm:
		return c.verifySigV4(auth, rest, body)
	}
	return awsIncompleteSignature("Authorization header requires 'Credential' parameter. Authorization header " +
		"requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization " +
		"header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + auth)
}

// verifySigV4 checks a SigV4 Authorization header whose parameters are
// params: the scope, the clock, the key, the session token and, last, the
// signature, recomputed over the request as received.
func (c *bedrockCall) verifySigV4(auth, params string, body []byte) *bedrockError {
	var credential, signedHeaders, signature string
	for part := range strings.SplitSeq(params, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch name {
		case "Credential":
			credential = value
		case "SignedHeaders":
			signedHeaders = value
		case "Signature":
			signature = value
		}
	}
	amzDate := c.r.Header.Get("X-Amz-Date")
	var missing []string
	for _, m := range [...]struct{ value, msg string }{
		{credential, "Authorization header requires 'Credential' parameter."},
		{signature, "Authorization header requires 'Signature' parameter."},
		{signedHeaders, "Authorization header requires 'SignedHeaders' parameter."},
		{amzDate, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."},
	} {
		if m.value == "" {
			missing = append(missing, m.msg)
		}
	}
	if missing != nil {
		return awsIncompleteSignature(strings.Join(missing, " ") + " Authorization=" + auth)
	}

	scope := strings.Split(credential, "/")
	if len(scope) != 5 {
		return awsIncompleteSignature("Credential should be of the form <access key>/<date>/<region>/<service>/" +
			"aws4_request, not '" + credential + "'.")
	}
	keyID, day, region, service, terminal := scope[0], scope[1], scope[2], scope[3], scope[4]
	if terminal != sigV4Terminal {
		return awsInvalidSignature("Credential should be scoped with a valid terminator: 'aws4_request', not '%s'. ", terminal)
	}
	signedAt, err := time.Parse(amzDateLayout, amzDate)
	if err != nil {
		return awsIncompleteSignature("Date must be in ISO-8601 'basic format'. Got '" + amzDate +
			"'. See http://en.wikipedia.org/wiki/ISO_8601")
	}
	if day != amzDate[:8] {
		return awsInvalidSignature("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "+
			"from HTTP: '%s' != '%s', from '%s'.", day, amzDate[:8], amzDate)
	}
	now := time.Now().UTC()
	if signedAt.Before(now.Add(-sigV4Skew)) {
		return awsInvalidSignature("Signature expired: %s is now earlier than %s (%s - 5 min.)",
			amzDate, now.Add(-sigV4Skew).Format(amzDateLayout), now.Format(amzDateLayout))
	}
	if signedAt.After(now.Add(sigV4Skew)) {
		return awsInvalidSignature("Signature not yet current: %s is still later than %s (%s + 5 min.)",
			amzDate, now.Add(sigV4Skew).Format(amzDateLayout), now.Format(amzDateLayout))
	}
	if service != sigV4Service {
		return awsInvalidSignature("Credential should be scoped to correct service: '%s'. ", sigV4Service)
	}
	if c.k.AWSRegion != "" && region != c.k.AWSRegion {
		return awsInvalidSignature("Credential should be scoped to a valid region, not '%s'. ", region)
	}
	token := c.r.Header.Get("X-Amz-Security-Token")
	if c.k.AWSAccessKeyID == "" || !awsSecretEqual(keyID, c.k.AWSAccessKeyID) || !awsSecretEqual(token, c.k.AWSSessionToken) {
		return awsUnrecognizedClient()
	}
	names := strings.Split(signedHeaders, ";")
	hostSigned := false
	for _, n := range names {
		hostSigned = hostSigned || n == "host"
	}
	if !hostSigned {
		return awsInvalidSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}

	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if h := c.r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != payloadHash {
		return awsInvalidSignature(awsSignatureMismatch) // the header vouches for a body that is not the one sent
	}
	want, err := c.resign(names, payloadHash, region, signedAt, keyID, token)
	if err != nil || !awsSecretEqual(signature, want) {
		return awsInvalidSignature(awsSignatureMismatch)
	}
	return nil
}

// resign signs a copy of the request as received, with the headers the
// client signed, and returns the signature.
func (c *bedrockCall) resign(signed []string, payloadHash, region string, at time.Time, keyID, token string) (string, error) {
	r := c.r
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	// URL.EscapedPath, which the signer escapes again as SigV4 asks of every
	// service but S3, uses RawPath: model ids arrive with ':' as %3A.
	u := &url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	req := &http.Request{Method: r.Method, URL: u, Host: r.Host, Header: make(http.Header, len(signed))}
	for _, name := range signed {
		switch name {
		case "host":
		case "content-length":
			// The signer signs the length it is given, not a header.
			req.ContentLength = r.ContentLength
		default:
			if v := r.Header.Values(name); len(v) > 0 {
				req.Header[http.CanonicalHeaderKey(name)] = v
			}
		}
	}
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: c.k.AWSSecretAccessKey, SessionToken: token}
	if err := sigV4Signer.SignHTTP(r.Context(), creds, req, payloadHash, sigV4Service, region, at); err != nil {
		return "", err
	}
	_, sig, _ := strings.Cut(req.Header.Get("Authorization"), "Signature=")
	return sig, nil
}

// awsSecretEqual compares in constant time, so that timing tells nothing of
// how much of a key or signature was right.
func awsSecretEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
