// go-peer is pollchat's long-poll API written as idiomatic Go net/http, the benchmark's peer
// for "what a user might write instead". Standard library only.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:9000", "HOST:PORT to listen on (port 0: any free port)")
	history := flag.Int("history", 1000, "messages kept per room")
	pollTimeout := flag.Int("poll-timeout", 30, "default long-poll timeout in seconds")
	flag.Parse()
	if flag.NArg() != 0 || *history < 1 || *pollTimeout < 0 || *pollTimeout > 55 {
		fmt.Fprintln(os.Stderr, "usage: go-peer [-listen HOST:PORT] [-history N>=1] [-poll-timeout 0..55]")
		os.Exit(2)
	}
	cfg := config{
		history: *history, pollTimeout: time.Duration(*pollTimeout) * time.Second,
		maxPollTimeout: 55 * time.Second, maxRooms: 1000, maxBody: 65536, maxMessage: 4096,
	}

	var seed [8]byte
	if _, err := rand.Read(seed[:]); err != nil {
		log.Fatalf("epoch: %v", err)
	}
	s := newServer(cfg, hex.EncodeToString(seed[:]))

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "go-peer: %v\n", err)
		os.Exit(1)
	}
	srv := &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       300 * time.Second, // keep-alive pollers stay connected
		MaxHeaderBytes:    8 << 10,
	}

	// SIGTERM/SIGINT: answer parked polls 503, then let the connections drain.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	done := make(chan struct{})
	go func() {
		<-sig
		close(s.closing)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		close(done)
	}()

	fmt.Fprintf(os.Stderr, "listening on http://%s\n", ln.Addr())
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		fmt.Fprintf(os.Stderr, "go-peer: %v\n", err)
		os.Exit(1)
	}
	<-done
}
