// Command regfront runs the test bed's registry front by hand, in front of
// an already running registry:
//
//	go run ./internal/testbed/cmd/regfront -upstream http://127.0.0.1:5000 -listen 127.0.0.1:5001 -rate 10485760
//
// then `ollama pull --insecure 127.0.0.1:5001/library/tiny:latest`.
package main

import (
	"flag"
	"log"
	"os"
	"os/signal"

	"github.com/roundhouse-ai/roundhouse/internal/testbed/regfront"
)

func main() {
	upstream := flag.String("upstream", "http://127.0.0.1:5000", "registry base URL")
	listen := flag.String("listen", "127.0.0.1:0", "loopback address to listen on")
	rate := flag.Int64("rate", 0, "blob bandwidth limit in bytes/s (0 = unlimited)")
	noRedirect := flag.Bool("no-redirect", false, "proxy blob GETs instead of redirecting (reproduces Ollama's 'no Location header')")
	quiet := flag.Bool("q", false, "do not log requests")
	flag.Parse()

	opts := regfront.Options{BytesPerSecond: *rate, NoRedirect: *noRedirect}
	if !*quiet {
		opts.Logf = log.Printf
	}
	s, err := regfront.Listen(*listen, *upstream, opts)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("regfront: %s -> %s (rate %d B/s)", s.Addr(), *upstream, *rate)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
	s.Close()
	log.Printf("regfront: %+v", s.Stats())
}
