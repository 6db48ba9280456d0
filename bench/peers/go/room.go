package main

// A room is pollchat's generation barrier in idiomatic Go: a mutex guards the id counter, the
// bounded history and a broadcast channel. A post appends under the mutex, then closes the
// channel and installs a fresh one; a reader that finds nothing after its cursor takes the
// current channel under the same mutex and blocks on it, so no post can slip between its check
// and its wait. Each message is JSON-encoded once, at post time, and every response that
// carries it reuses the same bytes.

import (
	"bytes"
	"encoding/json"
	"sync"
	"time"
)

// message is the stored object of SPEC §2; the field order is the wire order.
type message struct {
	ID   uint64 `json:"id"`
	Room string `json:"room"`
	Type string `json:"type"`
	From string `json:"from"`
	Body string `json:"body"`
	Time string `json:"time"`
}

type room struct {
	name string

	mu      sync.Mutex
	lastID  uint64        // id of the newest message: the generation
	ring    [][]byte      // encoded messages; ring[(head+i)%cap] has id lastID-count+1+i
	head    int           // index of the oldest retained message
	count   int           // retained messages, at most len(ring)
	changed chan struct{} // closed and replaced by every post
}

func newRoom(name string, history int) *room {
	return &room{name: name, ring: make([][]byte, history), changed: make(chan struct{})}
}

// encodeJSON renders v without HTML escaping, so bodies travel exactly as posted.
func encodeJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only strings and integers here: cannot fail
	}
	return bytes.TrimSuffix(b.Bytes(), []byte{'\n'})
}

// post stores a message and wakes every waiting reader; it returns the encoded message.
func (r *room) post(from, body string, now time.Time) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastID++
	enc := encodeJSON(message{
		ID: r.lastID, Room: r.name, Type: "message", From: from, Body: body,
		Time: now.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
	})
	if r.count < len(r.ring) {
		r.ring[(r.head+r.count)%len(r.ring)] = enc
		r.count++
	} else {
		r.ring[r.head] = enc // the oldest falls out of the history
		r.head = (r.head + 1) % len(r.ring)
	}
	close(r.changed)
	r.changed = make(chan struct{})
	return enc
}

// batch is what a reader gets for one cursor.
type batch struct {
	messages [][]byte // shared encoded bytes: read only
	next     uint64   // the cursor to send next time
	missed   uint64   // messages after the cursor that are no longer retained
}

// newest returns the id a cursor-less reader starts from.
func (r *room) newest() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastID
}

// read returns up to limit messages after since; when there are none it also returns the
// channel that the next post closes, taken under the same lock as the check.
func (r *room) read(since uint64, limit int) (batch, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if since > r.lastID {
		since = 0 // a cursor from another run: hand over the retained history
	}
	if since == r.lastID {
		return batch{next: since}, r.changed
	}
	oldest := r.lastID - uint64(r.count) + 1
	var b batch
	from := since + 1
	if from < oldest {
		b.missed = oldest - from
		from = oldest
	}
	n := r.lastID - from + 1
	if n > uint64(limit) {
		n = uint64(limit)
	}
	b.messages = make([][]byte, n)
	first := r.head + int(from-oldest)
	for i := range b.messages {
		b.messages[i] = r.ring[(first+i)%len(r.ring)]
	}
	b.next = from + n - 1
	return b, nil
}

// hub holds the rooms, created on first use and bounded in number.
type hub struct {
	history  int
	maxRooms int

	mu    sync.RWMutex
	rooms map[string]*room
}

func newHub(history, maxRooms int) *hub {
	h := &hub{history: history, maxRooms: maxRooms, rooms: make(map[string]*room)}
	h.rooms["lobby"] = newRoom("lobby", history)
	return h
}

// get returns the room, creating it; nil when the room limit is reached.
func (h *hub) get(name string) *room {
	h.mu.RLock()
	r := h.rooms[name]
	h.mu.RUnlock()
	if r != nil {
		return r
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if r = h.rooms[name]; r == nil && len(h.rooms) < h.maxRooms {
		r = newRoom(name, h.history)
		h.rooms[name] = r
	}
	return r
}
