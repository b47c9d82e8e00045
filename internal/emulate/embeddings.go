package emulate

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
)

// embeddingRequest is an OpenAI embeddings request.
type embeddingRequest struct {
	Model          *string         `json:"model"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat *string         `json:"encoding_format"`
	Dimensions     *int            `json:"dimensions"`
}

// embedInput is one text to embed: a string, or token ids.
type embedInput struct {
	text string
	ids  []int64
}

// seed hashes the input: FNV-1a-64 of the string's bytes, or of each token
// id as eight little-endian bytes.
func (in *embedInput) seed() uint64 {
	if in.ids == nil {
		return fnvString(fnvOffset, in.text)
	}
	h := uint64(fnvOffset)
	var b [8]byte
	for _, id := range in.ids {
		binary.LittleEndian.PutUint64(b[:], uint64(id))
		h = fnvBytes(h, b[:])
	}
	return h
}

// tokens counts the input by the package's rule.
func (in *embedInput) tokens() int {
	if in.ids != nil {
		return len(in.ids)
	}
	return textTokens(in.text)
}

// badInput is OpenAI's answer to an input it cannot embed.
func badInput() *apiError {
	return invalid("input", "invalid_value",
		"'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.")
}

// decodeEmbeddings reads an embeddings request: input is a string, an array
// of strings, an array of token ids, or an array of arrays of token ids.
func decodeEmbeddings(body []byte, deployment string) (model string, inputs []embedInput, dims int, b64 bool, _ *apiError) {
	var req embeddingRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return "", nil, 0, false, decodeError(err, "")
	}
	model = deployment
	if model == "" {
		if req.Model == nil || *req.Model == "" {
			return "", nil, 0, false, invalid("model", "missing_required_parameter", "you must provide a model parameter")
		}
		model = *req.Model
	}
	if req.EncodingFormat != nil {
		switch *req.EncodingFormat {
		case "float":
		case "base64":
			b64 = true
		default:
			return "", nil, 0, false, invalid("encoding_format", "invalid_value",
				"Invalid value: '%s'. Supported values are: 'float' and 'base64'.", *req.EncodingFormat)
		}
	}
	if req.Dimensions != nil {
		if *req.Dimensions < 1 {
			return "", nil, 0, false, belowMin("dimensions", *req.Dimensions, 1)
		}
		if *req.Dimensions > maxEmbeddingDims {
			return "", nil, 0, false, invalid("dimensions", "integer_above_max_value",
				"Invalid 'dimensions': integer above maximum value. Expected a value <= %d, but got %d instead.",
				maxEmbeddingDims, *req.Dimensions)
		}
		dims = *req.Dimensions
	}

	var err *apiError
	switch jsonKind(req.Input) {
	case "nothing", "null":
		err = missing("input")
	case "a string":
		var s string
		if json.Unmarshal(req.Input, &s) != nil || s == "" {
			err = badInput()
		}
		inputs = []embedInput{{text: s}}
	case "an array":
		inputs, err = decodeInputList(req.Input)
	default:
		err = wrongType("input", "one of a string or array", req.Input)
	}
	if err != nil {
		return "", nil, 0, false, err
	}
	return model, inputs, dims, b64, nil
}

func decodeInputList(raw json.RawMessage) ([]embedInput, *apiError) {
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil || len(items) == 0 {
		return nil, badInput()
	}
	if len(items) > maxEmbedInputs {
		return nil, invalid("input", "invalid_value", "Invalid 'input': array too long. Expected an array "+
			"with maximum length %d, but got an array with length %d instead.", maxEmbedInputs, len(items))
	}
	switch jsonKind(items[0]) {
	case "a string":
		var ss []string
		if json.Unmarshal(raw, &ss) != nil {
			return nil, badInput()
		}
		inputs := make([]embedInput, len(ss))
		for i, s := range ss {
			if s == "" {
				return nil, badInput()
			}
			inputs[i].text = s
		}
		return inputs, nil
	case "an array":
		var lists [][]int64
		if json.Unmarshal(raw, &lists) != nil {
			return nil, badInput()
		}
		inputs := make([]embedInput, len(lists))
		for i, ids := range lists {
			if len(ids) == 0 {
				return nil, badInput()
			}
			inputs[i].ids = ids
		}
		return inputs, nil
	default:
		var ids []int64
		if json.Unmarshal(raw, &ids) != nil {
			return nil, badInput()
		}
		return []embedInput{{ids: ids}}, nil
	}
}

// serveEmbeddings answers an embeddings request for an OpenAI-compatible cloud.
func (e *Emulator) serveEmbeddings(w http.ResponseWriter, r *http.Request, d dialect, deployment, version string) {
	c := e.newCall(w, r, d, opEmbed)
	c.version = version
	buf := c.begin()
	if buf == nil {
		return
	}
	model, inputs, dims, b64, err := decodeEmbeddings(buf.Bytes(), deployment)
	release(buf)
	if err != nil {
		c.fail(err)
		return
	}
	c.model = model
	if _, ok := c.admit(false); !ok {
		return
	}
	if dims == 0 {
		dims = c.k.EmbeddingDims
	}
	pace := newPacer(r.Context(), c.start, c.k)
	defer pace.stop()
	if !pace.wait(0) {
		return
	}

	in := 0
	vec := make([]float32, dims)
	var b []byte
	b = append(b, `{"object":"list","data":[`...)
	for i := range inputs {
		in += inputs[i].tokens()
		embed(vec, inputs[i].seed())
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"object":"embedding","index":`...)
		b = appendInt(b, i)
		b = append(b, `,"embedding":`...)
		if b64 {
			b = appendBase64(b, vec)
		} else {
			b = appendVector(b, vec)
		}
		b = append(b, '}')
	}
	b = append(b, `],"model":`...)
	b = appendString(b, model)
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = appendInt(b, in)
	b = append(b, `,"total_tokens":`...)
	b = appendInt(b, in)
	b = append(b, "}}\n"...)

	h := w.Header()
	h["Content-Type"] = jsonContent
	h.Set("Content-Length", strconv.Itoa(len(b)))
	c.processed()
	// Bill before the answer goes out, as a cloud records usage as it
	// answers: whoever holds the answer can also see the bill.
	c.bill(in, 0)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// embed fills vec with a deterministic unit vector drawn from seed.
func embed(vec []float32, seed uint64) {
	r := rng{seed}
	var norm float64
	f := make([]float64, len(vec))
	for i := range f {
		f[i] = r.float()*2 - 1
		norm += f[i] * f[i]
	}
	norm = math.Sqrt(norm)
	if norm == 0 {
		norm = 1
	}
	for i := range vec {
		vec[i] = float32(f[i] / norm)
	}
}

func appendVector(b []byte, vec []float32) []byte {
	b = append(b, '[')
	for i, v := range vec {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(v), 'g', -1, 32)
	}
	return append(b, ']')
}

// appendBase64 appends the vector as openai-go decodes it: a JSON string of
// the base64 of its little-endian float32s.
func appendBase64(b []byte, vec []float32) []byte {
	raw := make([]byte, 4*len(vec))
	for i, v := range vec {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, raw)
	return append(b, '"')
}
