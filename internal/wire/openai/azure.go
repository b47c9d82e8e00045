package openai

import (
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// Azure OpenAI speaks OpenAI's format with additions that break some clients:
// a first stream chunk with empty id and no choices (clients that index
// choices[0] crash on it), content-filter-only chunks with no delta, and
// content-filter annotations on every body. The functions below turn Azure's
// dialect into plain OpenAI.

// CleanAzureChunk returns the chunk as plain OpenAI, or keep=false when it
// carries nothing an OpenAI client expects.
func CleanAzureChunk(data []byte) (out []byte, keep bool) {
	root := gjson.Parse(bytesToString(data))
	choices := root.Get("choices")
	usage := root.Get("usage")
	if (!choices.IsArray() || isEmptyArray(choices.Raw)) && !usage.IsObject() {
		return nil, false // the prompt-filter chunk
	}
	out = data
	copied := false
	del := func(path string) {
		if !copied {
			out, copied = append([]byte(nil), data...), true
		}
		out, _ = sjson.DeleteBytes(out, path)
	}
	if root.Get("prompt_filter_results").Exists() {
		del("prompt_filter_results")
	}
	n := 0
	deltaless := true
	choices.ForEach(func(_, c gjson.Result) bool {
		if c.Get("delta").Exists() || c.Get("finish_reason").Type == gjson.String {
			deltaless = false
		}
		n++
		return true
	})
	if n > 0 && deltaless && !usage.IsObject() {
		return nil, false // an asynchronous content-filter annotation
	}
	for i := n - 1; i >= 0; i-- {
		c := choices.Get(itoa(i))
		if c.Get("content_filter_results").Exists() {
			del("choices." + itoa(i) + ".content_filter_results")
		}
		if c.Get("content_filter_offsets").Exists() {
			del("choices." + itoa(i) + ".content_filter_offsets")
		}
	}
	return out, true
}

// CleanAzureBody removes Azure's content-filter annotations from a non-stream
// answer.
func CleanAzureBody(body []byte) []byte {
	root := gjson.ParseBytes(body)
	if !root.Get("prompt_filter_results").Exists() && len(root.Get("choices.#.content_filter_results").Array()) == 0 {
		return body
	}
	out := append([]byte(nil), body...)
	out, _ = sjson.DeleteBytes(out, "prompt_filter_results")
	n := int(root.Get("choices.#").Int())
	for i := n - 1; i >= 0; i-- {
		out, _ = sjson.DeleteBytes(out, "choices."+itoa(i)+".content_filter_results")
	}
	return out
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
