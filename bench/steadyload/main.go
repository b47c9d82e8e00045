// Command steadyload sends chat completions at a fixed rate for a fixed
// time and reads every answer to its end: the load for counting a proxy's
// instructions per request under valgrind (bench/instructions.sh), where
// the proxy runs 50× slower and bench/run's latency figures mean nothing.
//
//	steadyload --url http://127.0.0.1:8080/v1/chat/completions --rate 80 --duration 16s [--stream]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	url := flag.String("url", "", "chat completions URL")
	key := flag.String("key", "sk-sy-bench-0123456789abcdef", "bearer token")
	rate := flag.Int("rate", 50, "requests per second")
	dur := flag.Duration("duration", 10*time.Second, "how long to send")
	stream := flag.Bool("stream", false, "ask for streams")
	tokens := flag.Int("tokens", 20, "max_tokens of each request")
	flag.Parse()
	if *url == "" || *rate <= 0 {
		fmt.Fprintln(os.Stderr, "steadyload: --url and a positive --rate are required")
		os.Exit(2)
	}
	body := fmt.Appendf(nil, `{"model":"bench-model","max_tokens":%d,"stream":%t,"messages":[{"role":"user","content":"hello there, how are you?"}]}`, *tokens, *stream)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, DisableCompression: true}}
	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	n := int(dur.Seconds() * float64(*rate))
	start := time.Now()
	for i := range n {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(*rate))))
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequest(http.MethodPost, *url, bytes.NewReader(body))
			if err != nil {
				failed.Add(1)
				return
			}
			req.Header.Set("Authorization", "Bearer "+*key)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				failed.Add(1)
				return
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				failed.Add(1)
				return
			}
			ok.Add(1)
		}()
	}
	wg.Wait()
	fmt.Fprintf(os.Stderr, "steadyload: %d ok, %d failed\n", ok.Load(), failed.Load())
	if failed.Load() > 0 {
		os.Exit(1)
	}
}
