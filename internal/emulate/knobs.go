package emulate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Defaults for knobs left at zero.
const (
	defaultRetryAfter    = time.Second
	defaultOutputTokens  = 16
	defaultEmbeddingDims = 1536
)

// Limits that keep one request from asking an emulator for unbounded work.
const (
	maxOutputTokens  = 100_000 // per choice
	maxAnswerTokens  = 1 << 20 // over all choices of one request
	maxChoices       = 128
	maxEmbeddingDims = 1 << 16
	maxEmbedInputs   = 2048
)

// Knobs shape an emulator's behaviour. JSON uses duration strings ("250ms").
//
// Zero values mean the defaults documented per field. Rates are fractions in
// [0, 1]. Faults are drawn for every request that passes authentication and
// validation, in this order: the RPM quota, then ThrottleRate, then ErrorRate;
// DisconnectRate applies to streams that got through.
type Knobs struct {
	TTFT           time.Duration // delay before the first token; for non-stream answers, before the answer
	TPS            float64       // tokens per second in streams and non-stream answers; 0 = no delay between tokens
	ErrorRate      float64       // fraction of requests answered with HTTP 500
	ThrottleRate   float64       // fraction answered 429 with Retry-After
	RetryAfter     time.Duration // Retry-After sent with injected throttles; default 1s; negative sends 0 (retry at once)
	DisconnectRate float64       // fraction of streams cut mid-way (connection dropped, no [DONE])
	HangRate       float64       // fraction of model requests never answered: the connection stays silent until the client gives up
	RPM            int           // requests-per-minute quota (fixed one-minute windows); over it: 429 with Retry-After = time to the window's end; 0 = unlimited
	OutputTokens   int           // answer length when the request sets no max tokens; default 16
	EmbeddingDims  int           // default embedding size when the request sets no dimensions; default 1536
	APIKey         string        `json:"-"` // when non-empty, requests must carry this key
	Seed           uint64        // seeds fault injection: same seed and request order → same faults

	// AWS credentials for Bedrock's SigV4. When AWSAccessKeyID is set, Bedrock
	// requests must be signed with this key pair (and AWSSessionToken, when
	// set) for service "bedrock"; AWSRegion, when set, is the only region a
	// signature may be scoped to. APIKey is then also accepted as a Bedrock
	// API key (Authorization: Bearer). Other clouds ignore these.
	AWSAccessKeyID     string `json:"-"`
	AWSSecretAccessKey string `json:"-"`
	AWSSessionToken    string `json:"-"`
	AWSRegion          string `json:"-"`
}

// validate reports the first knob that is out of range.
func (k *Knobs) validate() error {
	rate := func(name string, v float64) error {
		if !(v >= 0 && v <= 1) { // also rejects NaN
			return fmt.Errorf("%s %v is not a fraction in [0, 1]", name, v)
		}
		return nil
	}
	var errs []error
	if k.TTFT < 0 {
		errs = append(errs, fmt.Errorf("ttft %v is negative", k.TTFT))
	}
	if !(k.TPS >= 0) || math.IsInf(k.TPS, 0) {
		errs = append(errs, fmt.Errorf("tps %v is not a finite non-negative number", k.TPS))
	}
	errs = append(errs,
		rate("error_rate", k.ErrorRate),
		rate("throttle_rate", k.ThrottleRate),
		rate("disconnect_rate", k.DisconnectRate),
		rate("hang_rate", k.HangRate))
	if k.RPM < 0 {
		errs = append(errs, fmt.Errorf("rpm %d is negative", k.RPM))
	}
	if k.OutputTokens < 0 || k.OutputTokens > maxOutputTokens {
		errs = append(errs, fmt.Errorf("output_tokens %d is not in [0, %d]", k.OutputTokens, maxOutputTokens))
	}
	if k.EmbeddingDims < 0 || k.EmbeddingDims > maxEmbeddingDims {
		errs = append(errs, fmt.Errorf("embedding_dims %d is not in [0, %d]", k.EmbeddingDims, maxEmbeddingDims))
	}
	if k.AWSAccessKeyID != "" && k.AWSSecretAccessKey == "" {
		errs = append(errs, errors.New("aws_access_key_id is set without aws_secret_access_key"))
	}
	return errors.Join(errs...)
}

// normalize fills in defaults and clamps out-of-range values, so that an
// emulator never runs with knobs it cannot honour. SetKnobs has no error to
// return, which is why it clamps where New and the control endpoint refuse.
func (k *Knobs) normalize() {
	clamp := func(v float64) float64 {
		if !(v > 0) {
			return 0
		}
		return min(v, 1)
	}
	k.TTFT = max(k.TTFT, 0)
	if !(k.TPS > 0) || math.IsInf(k.TPS, 0) {
		k.TPS = 0
	}
	k.ErrorRate = clamp(k.ErrorRate)
	k.ThrottleRate = clamp(k.ThrottleRate)
	k.DisconnectRate = clamp(k.DisconnectRate)
	k.HangRate = clamp(k.HangRate)
	k.RPM = max(k.RPM, 0)
	if k.RetryAfter == 0 {
		k.RetryAfter = defaultRetryAfter
	}
	if k.OutputTokens <= 0 {
		k.OutputTokens = defaultOutputTokens
	}
	k.OutputTokens = min(k.OutputTokens, maxOutputTokens)
	if k.EmbeddingDims <= 0 {
		k.EmbeddingDims = defaultEmbeddingDims
	}
	k.EmbeddingDims = min(k.EmbeddingDims, maxEmbeddingDims)
}

// knobsJSON is the wire form of Knobs: snake_case names and duration strings.
type knobsJSON struct {
	TTFT           duration `json:"ttft"`
	TPS            float64  `json:"tps"`
	ErrorRate      float64  `json:"error_rate"`
	ThrottleRate   float64  `json:"throttle_rate"`
	RetryAfter     duration `json:"retry_after"`
	DisconnectRate float64  `json:"disconnect_rate"`
	HangRate       float64  `json:"hang_rate"`
	RPM            int      `json:"rpm"`
	OutputTokens   int      `json:"output_tokens"`
	EmbeddingDims  int      `json:"embedding_dims"`
	Seed           uint64   `json:"seed"`
}

func (k *Knobs) wire() knobsJSON {
	return knobsJSON{
		TTFT: duration(k.TTFT), TPS: k.TPS,
		ErrorRate: k.ErrorRate, ThrottleRate: k.ThrottleRate,
		RetryAfter: duration(k.RetryAfter), DisconnectRate: k.DisconnectRate, HangRate: k.HangRate,
		RPM: k.RPM, OutputTokens: k.OutputTokens, EmbeddingDims: k.EmbeddingDims,
		Seed: k.Seed,
	}
}

// MarshalJSON encodes the knobs with snake_case names and duration strings.
// APIKey is never encoded.
func (k Knobs) MarshalJSON() ([]byte, error) {
	return json.Marshal(k.wire())
}

// UnmarshalJSON replaces the knobs present in data and keeps the others, so
// that {"error_rate":0.1} changes one knob. Unknown names are an error: a
// misspelt knob silently doing nothing would make a chaos test pass vacuously.
func (k *Knobs) UnmarshalJSON(data []byte) error {
	w := k.wire()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return fmt.Errorf("knobs: %w", err)
	}
	if dec.More() {
		return errors.New("knobs: trailing data after the JSON object")
	}
	*k = Knobs{
		TTFT: time.Duration(w.TTFT), TPS: w.TPS,
		ErrorRate: w.ErrorRate, ThrottleRate: w.ThrottleRate,
		RetryAfter: time.Duration(w.RetryAfter), DisconnectRate: w.DisconnectRate, HangRate: w.HangRate,
		RPM: w.RPM, OutputTokens: w.OutputTokens, EmbeddingDims: w.EmbeddingDims,
		APIKey: k.APIKey, Seed: w.Seed,
		AWSAccessKeyID: k.AWSAccessKeyID, AWSSecretAccessKey: k.AWSSecretAccessKey,
		AWSSessionToken: k.AWSSessionToken, AWSRegion: k.AWSRegion,
	}
	return nil
}

// duration is a time.Duration written as a string such as "250ms".
type duration time.Duration

func (d duration) MarshalText() ([]byte, error) {
	return []byte(time.Duration(d).String()), nil
}

func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = duration(v)
	return nil
}
