// pollchat's web page. It long-polls the room (GET chat/<room> with the cursor and epoch of its
// last answer, so it never loses or repeats a message), posts with an Idempotency-Key (a retry
// never posts twice), keeps the presence list current, and reconnects by itself with backoff.
// Server data only ever reaches the page through textContent, never as HTML.
// Every URL is relative, so the page also works under a proxy's path prefix.

const ROOM_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_SHOWN = 2000; // messages kept in the page; older ones leave from the top
const MAX_OUTBOX = 100; // messages waiting to be sent (while the server is away)
const POLL_WATCHDOG_MS = 75000; // past the longest poll a server allows (55 s by default)
const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 5000;
const NEW_ROOM = ""; // the value of the room list's "new room…" entry (no room is named so)

const $ = (id) => document.getElementById(id);
const els = {
  roomSelect: $("room-select"),
  me: $("me"),
  status: $("status"),
  stream: $("stream"),
  messages: $("messages"),
  people: $("people"),
  peopleCount: $("people-count"),
  composer: $("composer"),
  text: $("text"),
  pending: $("pending"),
  ask: $("ask"),
  askForm: $("ask-form"),
  askTitle: $("ask-title"),
  askLabel: $("ask-label"),
  askInput: $("ask-input"),
  askError: $("ask-error"),
  askCancel: $("ask-cancel"),
};

// Storage may be unavailable (a locked-down browser); the page then just forgets.
function stored(storage, key) {
  try {
    return storage.getItem(key);
  } catch {
    return null;
  }
}

function store(storage, key, value) {
  try {
    storage.setItem(key, value);
  } catch {
    // nothing to do: the value lives as long as the page
  }
}

// crypto.getRandomValues works on plain http too (randomUUID needs a secure context).
function randomId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const state = {
  room: "lobby",
  cursor: null, // `next` of the last answer; null before the first answer in this room
  epoch: null, // the epoch that cursor belongs to
  client: randomId(), // presence id of this page; never shown to anyone
  name: stored(localStorage, "pollchat.name"),
  token: stored(sessionStorage, "pollchat.token"),
  loop: 0, // generation of the poll loop: bumping it ends the running loop
  poll: null, // AbortController of the poll in flight
  outbox: [], // {room, body, key}, sent in order, each retried with its own key
  sending: false,
  unread: 0,
  lastDay: "",
  peopleTimer: 0,
  roomList: "", // what the room list shows, to rebuild it only when that changes
};

// --- text -----------------------------------------------------------------------------------

// Control characters and characters that reorder or hide text are shown, not obeyed (SPEC §2):
// C0 in caret notation (^[), DEL as ^?, C1 and the bidi/zero-width set as <U+202E>.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\u2028\u2029]/g;

function safeText(text) {
  return String(text).replace(UNSAFE, (c) => {
    const code = c.codePointAt(0);
    if (code < 0x20) {
      return `^${String.fromCharCode(code + 0x40)}`;
    }
    if (code === 0x7f) {
      return "^?";
    }
    return `<U+${code.toString(16).toUpperCase().padStart(4, "0")}>`;
  });
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

// --- talking to the server ------------------------------------------------------------------

class HttpError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter; // seconds, or 0
  }
}

function authHeaders(headers = {}) {
  return state.token ? { ...headers, Authorization: `Bearer ${state.token}` } : headers;
}

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    cache: "no-store",
    headers: authHeaders({ Accept: "application/json", ...options.headers }),
  });
  if (!response.ok) {
    let code = "http_error";
    let message = `the server answered ${response.status}`;
    try {
      const doc = await response.json();
      code = doc.error || code;
      message = doc.message || message;
    } catch {
      // not JSON (a proxy's error page): keep the status line
    }
    throw new HttpError(response.status, code, message, Number(response.headers.get("Retry-After")) || 0);
  }
  return response.status === 204 ? null : response.json();
}

// Network errors, 5xx, 408 and 429 pass; anything else needs the user.
function worthRetrying(error) {
  return !(error instanceof HttpError) || error.status >= 500 || error.status === 408 || error.status === 429;
}

// Exponential with jitter, and never sooner than the server's Retry-After.
function backoff(failures, retryAfterSeconds = 0) {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(failures - 1, 10));
  const delay = ceiling / 2 + Math.random() * (ceiling / 2);
  return Math.max(delay, retryAfterSeconds * 1000);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function roomPath(room) {
  return encodeURIComponent(room);
}

// --- status line ----------------------------------------------------------------------------

function setStatus(kind, text) {
  els.status.dataset.state = kind;
  els.status.textContent = text;
}

function describe(error) {
  return error instanceof HttpError ? `${error.status}: ${error.message}` : "the server cannot be reached";
}

// --- the stream -----------------------------------------------------------------------------

function nearBottom() {
  const s = els.stream;
  return s.scrollHeight - s.scrollTop - s.clientHeight < 48;
}

// Appends rows, keeps the list bounded and follows the newest row when the reader was there.
function append(rows) {
  const follow = nearBottom();
  for (const row of rows) {
    els.messages.append(row);
  }
  while (els.messages.childElementCount > MAX_SHOWN) {
    els.messages.firstElementChild.remove();
  }
  if (follow) {
    els.stream.scrollTop = els.stream.scrollHeight;
  }
}

function notice(text, kind = "") {
  append([element("li", `notice ${kind}`.trim(), text)]);
}

function timeOf(iso) {
  const when = new Date(iso);
  const time = element("time", "", when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
  time.dateTime = iso;
  time.title = when.toLocaleString();
  return time;
}

function rowsFor(message) {
  const rows = [];
  // A day line whenever the (local) date changes, so times alone are never ambiguous.
  const day = new Date(message.time).toLocaleDateString();
  if (day !== state.lastDay) {
    state.lastDay = day;
    rows.push(element("li", "day", day));
  }
  const from = safeText(message.from);
  if (message.type === "message") {
    const row = element("li", from === state.name ? "msg mine" : "msg");
    row.dataset.id = message.id;
    const text = element("div", "text");
    text.append(element("span", "from", from), " ", element("span", "body", safeText(message.body)));
    row.append(timeOf(message.time), text);
    rows.push(row);
  } else {
    const row = element("li", `event ${message.type}`);
    row.append(timeOf(message.time), `${from} ${message.type === "join" ? "joined" : "left"}`);
    rows.push(row);
  }
  return rows;
}

// One answer of the poll: announce what changed, show each message once, move the cursor.
function receive(answer) {
  const first = state.epoch === null;
  if (!first && answer.epoch !== state.epoch) {
    notice("The server restarted with a new history: showing the messages it holds now.");
  }
  if (!first && answer.missed > 0) {
    notice(`${answer.missed} message${answer.missed === 1 ? " was" : "s were"} missed: the server no longer keeps ${answer.missed === 1 ? "it" : "them"}.`);
  }
  const sameEpoch = answer.epoch === state.epoch;
  const rows = [];
  let presenceChanged = first || !sameEpoch;
  for (const message of answer.messages) {
    if (sameEpoch && state.cursor !== null && message.id <= state.cursor) {
      continue; // already shown (cannot happen with a correct server; cheap to be sure)
    }
    rows.push(...rowsFor(message));
    if (message.type === "message" && document.hidden) {
      state.unread += 1;
    }
    presenceChanged ||= message.type !== "message";
  }
  state.epoch = answer.epoch;
  state.cursor = answer.next;
  if (first) {
    els.stream.scrollTop = els.stream.scrollHeight;
  }
  append(rows);
  if (first) {
    els.stream.scrollTop = els.stream.scrollHeight;
  }
  updateTitle();
  if (presenceChanged) {
    refreshPeopleSoon();
  }
}

// --- the poll loop --------------------------------------------------------------------------

async function pollLoop(generation) {
  let failures = 0;
  while (generation === state.loop) {
    const query = new URLSearchParams({ format: "json", limit: "1000", client: state.client, name: state.name });
    // The first poll of a room asks for its whole retained history.
    query.set("since", state.cursor === null ? "0" : String(state.cursor));
    if (state.epoch !== null) {
      query.set("epoch", state.epoch);
    }
    const controller = new AbortController();
    state.poll = controller;
    const watchdog = setTimeout(() => controller.abort(), POLL_WATCHDOG_MS);
    try {
      const answer = await api(`chat/${roomPath(state.room)}?${query}`, { signal: controller.signal });
      if (generation !== state.loop) {
        return;
      }
      if (failures > 0 || els.status.dataset.state !== "connected") {
        setStatus("connected", "Connected");
        refreshRooms();
        drainOutbox();
      }
      failures = 0;
      receive(answer);
    } catch (error) {
      if (generation !== state.loop) {
        return; // a room switch or a closing page ended this loop
      }
      if (error.name === "AbortError") {
        continue; // the watchdog: a silent proxy; ask again
      }
      if (error instanceof HttpError && error.status === 401) {
        askForToken();
        return;
      }
      if (error instanceof HttpError && error.code === "bad_parameter" && /name/.test(error.message)) {
        askForName(`The server refused that name: ${error.message}`);
        return;
      }
      if (!worthRetrying(error)) {
        setStatus("stopped", `Stopped: ${describe(error)}. Reload the page to try again.`);
        return;
      }
      failures += 1;
      const delay = backoff(failures, error.retryAfter);
      setStatus("reconnecting", `Reconnecting… (${describe(error)}; attempt ${failures}, next in ${Math.ceil(delay / 1000)} s)`);
      await sleep(delay);
    } finally {
      clearTimeout(watchdog);
    }
  }
}

function stopLoop() {
  state.loop += 1;
  if (state.poll) {
    state.poll.abort();
    state.poll = null;
  }
}

function startLoop() {
  stopLoop();
  if (els.status.dataset.state !== "reconnecting") {
    setStatus("connecting", "Connecting…");
  }
  pollLoop(state.loop);
}

// --- presence and rooms ---------------------------------------------------------------------

// Joins and leaves often come in bursts; one request after the burst is enough.
function refreshPeopleSoon() {
  clearTimeout(state.peopleTimer);
  state.peopleTimer = setTimeout(refreshPeople, 150);
}

async function refreshPeople() {
  const room = state.room;
  let members = [];
  try {
    members = (await api(`rooms/${roomPath(room)}`)).members;
  } catch (error) {
    if (!(error instanceof HttpError && error.status === 404)) {
      return; // the poll loop reports the connection; keep the last list meanwhile
    }
  }
  if (room !== state.room) {
    return;
  }
  els.people.replaceChildren(
    ...members.map((member) => {
      const item = element("li", "", safeText(member.name));
      item.title = `here since ${new Date(member.since).toLocaleString()}`;
      if (member.via !== "http") {
        item.append(" ", element("span", "via", `(${member.via})`));
      }
      return item;
    }),
  );
  els.peopleCount.textContent = `(${members.length})`;
  refreshRooms(); // the room list shows member counts too
}

async function refreshRooms() {
  let rooms = [];
  try {
    rooms = (await api("rooms")).rooms;
  } catch {
    // keep the current room alone in the list
  }
  const names = rooms.map((r) => r.room);
  if (!names.includes(state.room)) {
    names.push(state.room);
  }
  names.sort();
  const members = new Map(rooms.map((r) => [r.room, r.members]));
  // Rebuilding the list while it is open would close it: only when something changed.
  const shown = JSON.stringify([state.room, names.map((name) => [name, members.get(name)])]);
  if (shown === state.roomList) {
    return;
  }
  state.roomList = shown;
  const options = names.map((name) => {
    const count = members.get(name);
    const option = element("option", "", count ? `#${name} (${count})` : `#${name}`);
    option.value = name;
    option.selected = name === state.room;
    return option;
  });
  options.push(element("option", "", "new room…"));
  options.at(-1).value = NEW_ROOM;
  els.roomSelect.replaceChildren(...options);
}

// `.` and `..` are room names, but no URL can name them: the browser resolves chat/.. to the
// page's own directory before the request leaves. The page does not go there (curl and nc can).
function unreachableRoom(name) {
  return name === "." || name === "..";
}

const UNREACHABLE_ROOM = "rooms . and .. cannot be opened from the web page (use curl or nc)";

function roomFromHash() {
  const wanted = location.hash.slice(1);
  if (wanted === "") {
    return "lobby";
  }
  if (!ROOM_NAME.test(wanted)) {
    notice(`"${safeText(wanted)}" is not a room name (1 to 64 of A-Z a-z 0-9 _ . -): staying in #${state.room}.`, "error");
    return null;
  }
  if (unreachableRoom(wanted)) {
    notice(`The ${UNREACHABLE_ROOM}: staying in #${state.room}.`, "error");
    els.roomSelect.value = state.room;
    return null;
  }
  return wanted;
}

// Leaves at once, so the others see it now rather than after the presence grace period.
// keepalive lets the request outlive a closing page.
function sendLeave(room) {
  fetch(`rooms/${roomPath(room)}/leave`, {
    method: "POST",
    keepalive: true,
    headers: authHeaders(),
    body: new URLSearchParams({ client: state.client }),
  }).catch(() => {});
}

function enterRoom(room) {
  if (state.loop > 0) {
    stopLoop();
    sendLeave(state.room);
  }
  state.room = room;
  state.cursor = null;
  state.epoch = null;
  state.lastDay = "";
  state.unread = 0;
  els.messages.replaceChildren();
  els.people.replaceChildren();
  els.peopleCount.textContent = "";
  els.text.placeholder = `Message #${room}`;
  updateTitle();
  refreshRooms();
  if (state.name) {
    startLoop(); // else the name question is open and starts it
  }
}

function updateTitle() {
  const unread = document.hidden && state.unread > 0 ? `(${state.unread}) ` : "";
  document.title = `${unread}#${state.room} – pollchat`;
}

// --- posting --------------------------------------------------------------------------------

function showPending() {
  const n = state.outbox.length;
  els.pending.textContent = n === 0 ? "" : `${n} message${n === 1 ? "" : "s"} waiting to be sent…`;
}

// Sends the outbox in order. Each message keeps its Idempotency-Key across retries, so a post
// whose answer was lost is not stored twice.
async function drainOutbox() {
  if (state.sending) {
    return;
  }
  state.sending = true;
  let failures = 0;
  try {
    while (state.outbox.length > 0) {
      const item = state.outbox[0];
      showPending();
      try {
        await api(`chat/${roomPath(item.room)}`, {
          method: "POST",
          headers: { "Content-Type": "application/json", "Idempotency-Key": item.key },
          body: JSON.stringify({ body: item.body, name: state.name, client: state.client }),
        });
        state.outbox.shift();
        failures = 0;
      } catch (error) {
        if (error instanceof HttpError && error.status === 401) {
          askForToken();
          return; // kept: sent once the token is given
        }
        if (worthRetrying(error)) {
          failures += 1;
          await sleep(backoff(failures, error.retryAfter));
          continue;
        }
        state.outbox.shift();
        notice(`Not sent: ${describe(error)}`, "error");
        if (els.text.value === "") {
          els.text.value = item.body; // give the text back to fix and send again
        }
      }
    }
  } finally {
    state.sending = false;
    showPending();
  }
}

function send() {
  const body = els.text.value;
  if (body.trim() === "") {
    return;
  }
  if (state.outbox.length >= MAX_OUTBOX) {
    notice(`${MAX_OUTBOX} messages are already waiting for the server; this one was not queued.`, "error");
    return;
  }
  state.outbox.push({ room: state.room, body, key: randomId() });
  els.text.value = "";
  fitText();
  drainOutbox();
}

// The box grows with its text, up to the CSS max-height.
function fitText() {
  els.text.style.height = "auto";
  els.text.style.height = `${els.text.scrollHeight + 2}px`;
}

// --- asking the user (name, token, new room) ------------------------------------------------

let askDone = null;

// Shows the form; resolves with the accepted value, or null when cancelled. `check` returns
// an error sentence for a bad value, or "".
function ask({ title, label, value = "", secret = false, cancellable = true, error = "", check = () => "" }) {
  if (askDone) {
    askDone(null);
  }
  els.askTitle.textContent = title;
  els.askLabel.textContent = label;
  els.askInput.type = secret ? "password" : "text";
  els.askInput.value = value;
  els.askError.textContent = error;
  els.askCancel.hidden = !cancellable;
  els.ask.hidden = false;
  els.askInput.focus();
  return new Promise((resolve) => {
    askDone = (result) => {
      askDone = null;
      els.ask.hidden = true;
      resolve(result);
    };
    askDone.check = check;
  });
}

els.askForm.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!askDone) {
    return;
  }
  const value = els.askInput.value.trim();
  const problem = askDone.check(value);
  if (problem) {
    els.askError.textContent = problem;
    return;
  }
  askDone(value);
});

els.askCancel.addEventListener("click", () => askDone?.(null));
els.ask.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !els.askCancel.hidden) {
    askDone?.(null);
  }
});

// eslint-disable-next-line no-control-regex -- names with control characters are refused
const NAME_FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\u2028\u2029]/;

function checkName(name) {
  const length = [...name].length;
  if (length < 1 || length > 32) {
    return "A name is 1 to 32 characters.";
  }
  return NAME_FORBIDDEN.test(name) ? "A name cannot hold control or invisible characters." : "";
}

function showName() {
  els.me.textContent = state.name;
}

async function askForName(error = "") {
  const first = !state.name;
  stopLoop();
  const name = await ask({
    title: first ? "Welcome to pollchat" : "Your name",
    label: "The name others see",
    value: state.name || "",
    cancellable: !first && !error,
    error,
    check: checkName,
  });
  if (name === null || name === state.name) {
    if (!first) {
      startLoop();
    }
    return;
  }
  if (!first) {
    sendLeave(state.room); // the old name leaves, the new one joins
    state.client = randomId();
  }
  state.name = name;
  store(localStorage, "pollchat.name", name);
  showName();
  startLoop();
}

async function askForToken() {
  stopLoop();
  setStatus("stopped", "This server needs a token.");
  const refused = Boolean(state.token);
  const token = await ask({
    title: "This server needs a token",
    label: "Token",
    secret: true,
    cancellable: false,
    error: refused ? "The server refused that token." : "",
    check: (value) => (value === "" ? "Enter the token you were given." : ""),
  });
  if (token === null) {
    return; // replaced by another question
  }
  state.token = token;
  store(sessionStorage, "pollchat.token", token);
  startLoop();
}

async function askForRoom() {
  const room = await ask({
    title: "Go to a room",
    label: "Room name (created when you enter it)",
    check: (value) => {
      if (!ROOM_NAME.test(value)) {
        return "1 to 64 of A-Z a-z 0-9 _ . -";
      }
      return unreachableRoom(value) ? `The ${UNREACHABLE_ROOM}.` : "";
    },
  });
  if (room !== null) {
    location.hash = room;
  }
  els.roomSelect.value = state.room; // back from "new room…" (a new room follows via hashchange)
}

// --- wiring ---------------------------------------------------------------------------------

els.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  send();
});

// Enter sends; Shift+Enter (and Enter while an input method composes) writes a new line.
els.text.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
els.text.addEventListener("input", fitText);

els.roomSelect.addEventListener("focus", refreshRooms);
els.roomSelect.addEventListener("change", () => {
  const value = els.roomSelect.value;
  if (value === NEW_ROOM) {
    askForRoom();
  } else {
    location.hash = value;
  }
});

els.me.addEventListener("click", () => askForName());

window.addEventListener("hashchange", () => {
  const room = roomFromHash();
  if (room !== null && room !== state.room) {
    enterRoom(room);
  }
});

document.addEventListener("visibilitychange", () => {
  if (!document.hidden) {
    state.unread = 0;
  }
  updateTitle();
});

// Closing the tab (or leaving the page) leaves the room at once.
window.addEventListener("pagehide", () => {
  if (state.name && state.loop > 0) {
    stopLoop();
    sendLeave(state.room);
  }
});

// Back from the back/forward cache: the room was left on pagehide, so enter it again.
window.addEventListener("pageshow", (event) => {
  if (event.persisted && state.name) {
    startLoop();
  }
});

async function main() {
  state.room = roomFromHash() || "lobby";
  els.text.placeholder = `Message #${state.room}`;
  updateTitle();
  refreshRooms();
  if (!state.name || checkName(state.name)) {
    await askForName();
    return;
  }
  showName();
  startLoop();
}

main();
