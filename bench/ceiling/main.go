// Command ceiling is the yardstick of the load runs: the cheapest HTTP
// server Go can be, answering every request with a fixed JSON body read
// from a file at start. Running wrk against it and against Vitrin on the
// same machine, with bodies of the same size, tells how much of the
// machine's HTTP throughput Vitrin's own work leaves.
//
//	ceiling -addr 127.0.0.1:18090 /list/=list.json /product/=product.json
//
// A path ending in a slash also answers every path below it (so
// /product/=… answers /product/7/ as wrk's product script asks); a path
// that was not named answers 404.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18090", "listen address")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: ceiling [-addr HOST:PORT] PATH=FILE ...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	mux := http.NewServeMux()
	for _, arg := range flag.Args() {
		path, file, ok := strings.Cut(arg, "=")
		if !ok || !strings.HasPrefix(path, "/") {
			log.Fatalf("ceiling: %q is not PATH=FILE", arg)
		}
		body, err := os.ReadFile(file)
		if err != nil {
			log.Fatalf("ceiling: %v", err)
		}
		mux.HandleFunc("GET "+path, fixed(body))
	}
	log.Fatal(http.ListenAndServe(*addr, mux))
}

// fixed answers with body as Vitrin answers JSON: same headers, no
// compression, so the two servers put the same bytes on the wire.
func fixed(body []byte) http.HandlerFunc {
	length := strconv.Itoa(len(body))
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", length)
		w.Write(body)
	}
}
