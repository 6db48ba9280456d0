package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func testServer(t *testing.T, history int) (*server, *httptest.Server) {
	t.Helper()
	s := newServer(config{
		history: history, pollTimeout: 5 * time.Second, maxPollTimeout: 55 * time.Second,
		maxRooms: 10, maxBody: 65536, maxMessage: 4096,
	}, "test-epoch")
	ts := httptest.NewServer(s.routes())
	t.Cleanup(ts.Close)
	return s, ts
}

type pollAnswer struct {
	Room     string    `json:"room"`
	Epoch    string    `json:"epoch"`
	Messages []message `json:"messages"`
	Next     uint64    `json:"next"`
	Missed   uint64    `json:"missed"`
}

func get(ctx context.Context, url string) (pollAnswer, int, error) {
	var a pollAnswer
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return a, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		err = json.NewDecoder(resp.Body).Decode(&a)
	}
	return a, resp.StatusCode, err
}

func post(t *testing.T, url, body string) message {
	t.Helper()
	resp, err := http.Post(url, "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m message
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("post: status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Several pollers follow their cursors while a poster writes: each sees every message once, in order.
func TestConcurrentPollersLoseNothing(t *testing.T) {
	_, ts := testServer(t, 1000)
	const pollers, total = 8, 300
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	var wg sync.WaitGroup
	errs := make(chan error, pollers)
	for p := 0; p < pollers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			var since uint64
			for since < total {
				a, code, err := get(ctx, fmt.Sprintf("%s/chat/room1?since=%d&timeout=5&format=json", ts.URL, since))
				if err != nil || code != http.StatusOK {
					errs <- fmt.Errorf("poller %d: status %d, %v", p, code, err)
					return
				}
				if a.Missed != 0 {
					errs <- fmt.Errorf("poller %d: missed %d", p, a.Missed)
					return
				}
				for _, m := range a.Messages {
					if m.ID != since+1 || m.Body != fmt.Sprintf("m%d", m.ID) {
						errs <- fmt.Errorf("poller %d: got id %d body %q after %d", p, m.ID, m.Body, since)
						return
					}
					since = m.ID
				}
				if a.Next != since {
					errs <- fmt.Errorf("poller %d: next %d, last id %d", p, a.Next, since)
					return
				}
			}
		}(p)
	}
	for i := 1; i <= total; i++ {
		if m := post(t, ts.URL+"/chat/room1", fmt.Sprintf("m%d", i)); m.ID != uint64(i) {
			t.Fatalf("post %d got id %d", i, m.ID)
		}
		if i%10 == 0 {
			time.Sleep(time.Millisecond) // let pollers park between bursts
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// Without since a poll waits for the next message, not the history.
func TestCursorlessPollWaitsForNext(t *testing.T) {
	_, ts := testServer(t, 1000)
	post(t, ts.URL+"/chat", "old")
	got := make(chan pollAnswer, 1)
	go func() {
		a, _, _ := get(context.Background(), ts.URL+"/chat?timeout=5")
		got <- a
	}()
	select {
	case a := <-got:
		t.Fatalf("answered before any new post: %+v", a)
	case <-time.After(200 * time.Millisecond):
	}
	post(t, ts.URL+"/chat", "new")
	a := <-got
	if len(a.Messages) != 1 || a.Messages[0].ID != 2 || a.Messages[0].Body != "new" || a.Next != 2 {
		t.Fatalf("got %+v", a)
	}
}

// A bounded history reports what fell out as missed; a timeout answers an empty list.
func TestHistoryBoundAndTimeout(t *testing.T) {
	_, ts := testServer(t, 3)
	for i := 1; i <= 5; i++ {
		post(t, ts.URL+"/chat/r", fmt.Sprintf("m%d", i))
	}
	a, _, err := get(context.Background(), ts.URL+"/chat/r?since=0")
	if err != nil || a.Missed != 2 || len(a.Messages) != 3 || a.Messages[0].ID != 3 || a.Next != 5 {
		t.Fatalf("since=0: %+v %v", a, err)
	}
	start := time.Now()
	a, _, err = get(context.Background(), ts.URL+"/chat/r?since=5&timeout=1")
	if err != nil || len(a.Messages) != 0 || a.Next != 5 || time.Since(start) < 900*time.Millisecond {
		t.Fatalf("timeout: %+v %v after %v", a, err, time.Since(start))
	}
}

// A parked poll whose client goes away returns at once and writes nothing.
func TestVanishedClientIsDropped(t *testing.T) {
	s, _ := testServer(t, 10)
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest(http.MethodGet, "/chat?since=0&timeout=30", nil).WithContext(ctx)
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { s.routes().ServeHTTP(rec, req); close(done) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("parked poll still running after its client left")
	}
	if rec.Body.Len() != 0 {
		t.Fatalf("wrote %q to a vanished client", rec.Body.String())
	}
}

func TestBadInputsAreRefused(t *testing.T) {
	_, ts := testServer(t, 10)
	for _, c := range []struct {
		method, path, ctype, body string
		want                      int
	}{
		{"GET", "/chat?since=-1", "", "", 400},
		{"GET", "/chat?timeout=56", "", "", 400},
		{"GET", "/chat?limit=0", "", "", 400},
		{"GET", "/chat?format=text", "", "", 400},
		{"GET", "/chat/bad%20room", "", "", 400},
		{"POST", "/chat", "application/x-www-form-urlencoded", "other=1", 400},
		{"POST", "/chat", "text/plain", "", 400},
		{"POST", "/chat", "text/plain", "\xff", 400},
		{"POST", "/chat", "image/png", "x", 415},
		{"POST", "/chat", "text/plain", strings.Repeat("a", 4097), 413},
		{"PUT", "/chat", "", "", 405},
		{"GET", "/elsewhere", "", "", 404},
	} {
		req, _ := http.NewRequest(c.method, ts.URL+c.path, strings.NewReader(c.body))
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s %s %q: status %d, want %d", c.method, c.path, c.body, resp.StatusCode, c.want)
		}
	}
}
