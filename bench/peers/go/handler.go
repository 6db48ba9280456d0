package main

// The HTTP side: pollchat's POST and GET /chat[/<room>] (SPEC §2), the subset the benchmark
// uses. A parked GET is one goroutine blocked in a select on the room's channel, its timer,
// its request context (cancelled when the client goes away) and server shutdown.

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

type config struct {
	history        int
	pollTimeout    time.Duration
	maxPollTimeout time.Duration
	maxRooms       int
	maxBody        int64
	maxMessage     int
}

type server struct {
	cfg      config
	hub      *hub
	epoch    string
	epochKey []byte        // the `,"epoch":"..."` fragment of every answer, encoded once
	closing  chan struct{} // closed on shutdown: parked polls answer 503
}

func newServer(cfg config, epoch string) *server {
	return &server{
		cfg: cfg, hub: newHub(cfg.history, cfg.maxRooms), epoch: epoch,
		epochKey: append([]byte(`,"epoch":`), encodeJSON(epoch)...),
		closing:  make(chan struct{}),
	}
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/chat", s.chat)
	mux.HandleFunc("/chat/", s.chat)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fail(w, http.StatusNotFound, "not_found", "this peer serves /chat and /chat/<room>")
	})
	return mux
}

// fail answers with SPEC §2's error object.
func fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(encodeJSON(map[string]string{"error": code, "message": msg}), '\n'))
}

// validRoom is [A-Za-z0-9_.-]{1,64}, checked without a regexp on the hot path.
func validRoom(name string) bool {
	if len(name) == 0 || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func (s *server) chat(w http.ResponseWriter, r *http.Request) {
	name := "lobby"
	if r.URL.Path != "/chat" {
		name = strings.TrimPrefix(r.URL.Path, "/chat/")
		if !validRoom(name) {
			fail(w, http.StatusBadRequest, "bad_room", "room names match [A-Za-z0-9_.-]{1,64}")
			return
		}
	}
	switch r.Method {
	case http.MethodGet:
		s.poll(w, r, name)
	case http.MethodPost:
		s.post(w, r, name)
	default:
		w.Header().Set("Allow", "GET, POST")
		fail(w, http.StatusMethodNotAllowed, "method_not_allowed", "use GET to read or POST to write")
	}
}

// postFields extracts body and name from the three accepted content types.
func postFields(r *http.Request, raw []byte) (body, from string, status int, err error) {
	ct := r.Header.Get("Content-Type")
	mt := "application/x-www-form-urlencoded"
	if ct != "" {
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			return "", "", http.StatusBadRequest, errors.New("malformed Content-Type")
		}
	}
	from = r.URL.Query().Get("name")
	switch mt {
	case "application/x-www-form-urlencoded":
		form, perr := url.ParseQuery(string(raw))
		if perr != nil {
			return "", "", http.StatusBadRequest, errors.New("malformed form body")
		}
		body = form.Get("body")
		if form.Has("name") {
			from = form.Get("name")
		}
	case "application/json":
		var v struct{ Body, Name *string }
		if jerr := json.Unmarshal(raw, &v); jerr != nil || v.Body == nil {
			return "", "", http.StatusBadRequest, errors.New(`expected {"body": "..."}`)
		}
		body = *v.Body
		if v.Name != nil {
			from = *v.Name
		}
	case "text/plain":
		body = string(raw)
	default:
		return "", "", http.StatusUnsupportedMediaType, errors.New("send a form, JSON or text/plain")
	}
	return body, from, 0, nil
}

// validName is 1 to 32 characters of UTF-8 without control characters.
func validName(n string) bool {
	if !utf8.ValidString(n) || utf8.RuneCountInString(n) > 32 {
		return false
	}
	for _, c := range n {
		if c < 0x20 || c >= 0x7f && c <= 0x9f {
			return false
		}
	}
	return true
}

func (s *server) post(w http.ResponseWriter, r *http.Request, name string) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(w, http.StatusRequestEntityTooLarge, "too_large", "request body over the limit")
		} else {
			fail(w, http.StatusBadRequest, "bad_body", "could not read the request body")
		}
		return
	}
	body, from, status, err := postFields(r, raw)
	switch {
	case err != nil:
		fail(w, status, "bad_request", err.Error())
		return
	case body == "":
		fail(w, http.StatusBadRequest, "empty_body", "the message body is required")
		return
	case len(body) > s.cfg.maxMessage:
		fail(w, http.StatusRequestEntityTooLarge, "too_large", "message over the limit")
		return
	case !utf8.ValidString(body):
		fail(w, http.StatusBadRequest, "bad_utf8", "the message must be valid UTF-8")
		return
	case from != "" && !validName(from):
		fail(w, http.StatusBadRequest, "bad_name", "name: 1 to 32 characters, no control characters")
		return
	}
	if from == "" {
		from = "anonymous"
	}
	rm := s.hub.get(name)
	if rm == nil {
		w.Header().Set("Retry-After", "60")
		fail(w, http.StatusTooManyRequests, "too_many_rooms", "the room limit is reached")
		return
	}
	enc := rm.post(from, body, time.Now())
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(enc)+1))
	w.Write(enc)
	w.Write([]byte{'\n'})
}

// pollParams are the parsed query parameters of a GET.
type pollParams struct {
	since    uint64
	hasSince bool
	timeout  time.Duration
	limit    int
}

func (s *server) parsePoll(q url.Values) (p pollParams, err error) {
	p.timeout, p.limit = s.cfg.pollTimeout, 100
	if v := q.Get("since"); v != "" {
		if p.since, err = strconv.ParseUint(v, 10, 64); err != nil {
			return p, errors.New("since: a non-negative integer")
		}
		p.hasSince = true
	}
	if e := q.Get("epoch"); e != "" && e != s.epoch {
		p.since, p.hasSince = 0, true // another run's cursor: the retained history instead
	}
	if v := q.Get("timeout"); v != "" {
		t, terr := strconv.Atoi(v)
		if terr != nil || t < 0 || time.Duration(t)*time.Second > s.cfg.maxPollTimeout {
			return p, errors.New("timeout: seconds from 0 to " + strconv.Itoa(int(s.cfg.maxPollTimeout/time.Second)))
		}
		p.timeout = time.Duration(t) * time.Second
	}
	if v := q.Get("limit"); v != "" {
		if p.limit, err = strconv.Atoi(v); err != nil || p.limit < 1 || p.limit > 1000 {
			return p, errors.New("limit: 1 to 1000")
		}
	}
	if f := q.Get("format"); f != "" && f != "json" {
		return p, errors.New("format: this peer answers only format=json")
	}
	return p, nil
}

func (s *server) poll(w http.ResponseWriter, r *http.Request, name string) {
	p, err := s.parsePoll(r.URL.Query())
	if err != nil {
		fail(w, http.StatusBadRequest, "bad_parameter", err.Error())
		return
	}
	rm := s.hub.get(name)
	if rm == nil {
		w.Header().Set("Retry-After", "60")
		fail(w, http.StatusTooManyRequests, "too_many_rooms", "the room limit is reached")
		return
	}
	since := p.since
	if !p.hasSince {
		since = rm.newest() // wait for the next message after arrival
	}
	var timer *time.Timer
	for {
		b, wait := rm.read(since, p.limit)
		if wait == nil || p.timeout == 0 {
			s.answer(w, name, b)
			break
		}
		if timer == nil {
			timer = time.NewTimer(p.timeout)
			defer timer.Stop()
		}
		select {
		case <-wait: // a post: read again
		case <-timer.C:
			s.answer(w, name, b)
			return
		case <-r.Context().Done():
			return // the client went away: nothing to write
		case <-s.closing:
			w.Header().Set("Retry-After", "1")
			fail(w, http.StatusServiceUnavailable, "shutting_down", "the server is stopping")
			return
		}
	}
}

// answer writes {"room","epoch","messages","next","missed"} around the shared message bytes.
func (s *server) answer(w http.ResponseWriter, name string, b batch) {
	size := 64 + len(name) + len(s.epochKey)
	for _, m := range b.messages {
		size += len(m) + 1
	}
	out := make([]byte, 0, size)
	out = append(out, `{"room":"`...)
	out = append(out, name...) // a valid room name needs no escaping
	out = append(out, '"')
	out = append(out, s.epochKey...)
	out = append(out, `,"messages":[`...)
	for i, m := range b.messages {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, m...)
	}
	out = append(out, `],"next":`...)
	out = strconv.AppendUint(out, b.next, 10)
	out = append(out, `,"missed":`...)
	out = strconv.AppendUint(out, b.missed, 10)
	out = append(out, "}\n"...)

	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Chat-Next", strconv.FormatUint(b.next, 10))
	h.Set("Chat-Epoch", s.epoch)
	if b.missed != 0 {
		h.Set("Chat-Missed", strconv.FormatUint(b.missed, 10))
	}
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.Write(out)
}
