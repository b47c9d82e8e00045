// Command bareproxy is the benchmark's floor: net/http's
// httputil.ReverseProxy in front of one upstream, with no features. It uses
// the same upstream transport tuning and server timeouts as the gateway, so
// that the difference between the two is the gateway's own work.
//
//	bareproxy --listen 127.0.0.1:9000 --upstream http://127.0.0.1:9001
//
// --cpuprofile writes a pprof CPU profile when SIGTERM stops it (bench/run
// --profile), to compare with the gateway's.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	upstream := flag.String("upstream", "", "upstream base URL, e.g. http://127.0.0.1:9001")
	profile := flag.String("cpuprofile", "", "write a CPU profile here on exit")
	flag.Parse()
	u, err := url.Parse(*upstream)
	if err != nil || u.Scheme == "" || u.Host == "" {
		log.Fatalf("bareproxy: --upstream %q is not a URL", *upstream)
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
		},
		FlushInterval: -1, // flush every write, as streams need
		Transport:     newTransport(),
		ErrorLog:      log.New(os.Stderr, "bareproxy: ", 0),
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("bareproxy: %v", err)
	}
	srv := &http.Server{
		Handler: rp,
		// The gateway's defaults (internal/config): no read or write timeout,
		// which would cut streams.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	fmt.Printf("bareproxy listening on http://%s, upstream %s\n", ln.Addr(), u)
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			log.Fatalf("bareproxy: %v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatalf("bareproxy: %v", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		log.Printf("bareproxy: %v", err)
	}
}

// newTransport mirrors the gateway's upstream transport
// (internal/provider/transport.go).
func newTransport() *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          0,
		MaxIdleConnsPerHost:   1024,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
}
