// Node's strict HTTP stacks against the real chat-server: its `http` client (llhttp) and
// `fetch` (undici) make every request shape of docs/api.md, the http client all on one
// keep-alive connection, and every answer is parsed (JSON must be JSON; a HEAD answer has no
// body). A stray body after a HEAD answer fails llhttp with "HPE_INVALID_CONSTANT Expected
// HTTP/". NEEDS the http branch's HEAD fix (SPEC §10) to pass.
//   node tests/proxy/node_client.mjs CHAT_SERVER
import { spawn } from 'node:child_process';
import http from 'node:http';
import assert from 'node:assert/strict';

const chatServer = process.argv[2];
if (!chatServer) {
  console.error('usage: node node_client.mjs CHAT_SERVER');
  process.exit(2);
}

// The server is stopped by its pid however the test ends.
const server = spawn(chatServer, ['--listen', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
process.on('exit', () => server.kill('SIGKILL'));
const watchdog = setTimeout(() => {
  console.error('FAIL: the test took longer than 60 s');
  process.exit(1);
}, 60_000);

let log = '';
const port = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`no "listening on" in 10 s: ${log}`)), 10_000);
  server.stderr.on('data', (chunk) => {
    log += chunk;
    const m = /listening on http:\/\/[^ ]+:(\d+)/.exec(log);
    if (m) {
      clearTimeout(timer);
      resolve(Number(m[1]));
    }
  });
  server.on('exit', (code) => reject(new Error(`chat-server exited (${code}): ${log}`)));
});
const base = `http://127.0.0.1:${port}`;

const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
const json = { 'Content-Type': 'application/json' };
// [method, path, headers, body, expected status (a list: any of)]
const shapes = [
  ['GET', '/healthz', {}, null, [200]],
  ['HEAD', '/healthz', {}, null, [200]],
  ['GET', '/metrics', {}, null, [200]],
  ['HEAD', '/metrics', {}, null, [200]],
  ['POST', '/chat', form, 'body=hello&name=alice', [200]],
  ['POST', '/chat/dev', json, JSON.stringify({ body: 'hi from json', name: 'bob', client: 'c-1' }), [200]],
  ['POST', '/chat/dev', { 'Content-Type': 'text/plain' }, 'plain text', [200]],
  ['POST', '/chat/dev', { ...form, 'Idempotency-Key': 'k-1' }, 'body=once', [200]],
  ['POST', '/chat/dev', { ...form, 'Idempotency-Key': 'k-1' }, 'body=once', [200]],
  ['POST', '/chat/dev', { ...form, Expect: '100-continue' }, 'body=continued', [200]],
  ['GET', '/chat?since=0&timeout=0', {}, null, [200]],
  ['GET', '/chat?since=0&timeout=0&format=json', {}, null, [200]],
  ['GET', '/chat/dev?since=0&timeout=0', { Accept: 'application/json' }, null, [200]],
  ['GET', '/chat/dev?since=1&limit=2&format=text&timeout=0', {}, null, [200]],
  ['GET', '/chat/dev?since=0&timeout=0&format=json&name=carol&client=c-2', {}, null, [200]],
  ['HEAD', '/chat/dev?since=0', {}, null, [200]],
  ['HEAD', '/chat/dev?since=999', {}, null, [200]],
  ['POST', '/rooms/dev/leave?client=c-2', {}, null, [204]],
  ['POST', '/rooms/dev/leave', form, 'client=c-1', [204]],
  ['GET', '/rooms', {}, null, [200]],
  ['HEAD', '/rooms', {}, null, [200]],
  ['GET', '/rooms/dev', {}, null, [200]],
  ['HEAD', '/rooms/dev', {}, null, [200]],
  ['GET', '/rooms/no-such-room', {}, null, [404]],
  ['HEAD', '/rooms/no-such-room', {}, null, [404]],
  ['GET', '/no-such-path', {}, null, [404]],
  ['HEAD', '/no-such-path', {}, null, [404]],
  ['GET', '/chat?since=bad', {}, null, [400]],
  ['HEAD', '/chat?since=bad', {}, null, [400]],
  ['GET', '/chat?timeout=9999', {}, null, [400]],
  ['POST', '/chat', form, 'name=nobody', [400]],
  ['POST', '/chat', json, '{not json', [400]],
  ['POST', '/chat', { 'Content-Type': 'image/png' }, 'x', [415]],
  ['DELETE', '/chat', {}, null, [405]],
  ['PUT', '/rooms', {}, null, [405]],
  ['GET', '/', {}, null, [200, 404]],
  ['HEAD', '/', {}, null, [200, 404]],
];

// Checks one answer as a strict user would: the status, no body on HEAD, JSON that parses.
function check(shape, status, contentType, body) {
  const [method, path, , , expected] = shape;
  const what = `${method} ${path}`;
  assert.ok(expected.includes(status), `${what}: status ${status}, expected ${expected}`);
  if (method === 'HEAD' || status === 204) {
    assert.equal(body, '', `${what}: an answer with a body`);
  } else if ((contentType ?? '').startsWith('application/json')) {
    assert.doesNotThrow(() => JSON.parse(body), `${what}: not JSON: ${body}`);
  }
}

// --- Node's http client: everything on one keep-alive connection -------------------------
// (A refusal sent before its body was read says `Connection: close`, and only such an answer may
// end the connection: where the next request would start is unknown to the server.)
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const sockets = new Set();
let closes = 0;  // answers that said Connection: close
function request(method, path, headers, body, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers, agent }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (data += c));
      res.on('end', () => {
        closes += res.headers.connection === 'close' ? 1 : 0;
        resolve({ status: res.statusCode, type: res.headers['content-type'], body: data });
      });
      res.on('error', reject);
    });
    req.on('socket', (s) => sockets.add(s));
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

for (const shape of shapes) {
  const [method, path, headers, body] = shape;
  const r = await request(method, path, headers, body);
  check(shape, r.status, r.type, r.body);
}
// A long poll that parks and is woken by a post on another connection.
const { body: before } = await request('GET', '/chat/wake?since=0&timeout=0&format=json', {}, null);
const next = JSON.parse(before).next;
const parked = request('GET', `/chat/wake?since=${next}&timeout=20&format=json`, {}, null);
await new Promise((r) => setTimeout(r, 200));
await fetch(`${base}/chat/wake`, { method: 'POST', headers: form, body: 'body=wake up' });
const woken = await parked;
assert.equal(woken.status, 200);
assert.equal(JSON.parse(woken.body).messages.at(-1).body, 'wake up');
assert.equal(sockets.size, 1 + closes,
  `http client: ${sockets.size} connections for ${closes} answers that said Connection: close`);
console.log(`ok: Node http: ${shapes.length + 2} requests, every answer parsed, ` +
  `${sockets.size} keep-alive connection(s), each ended only after Connection: close`);
agent.destroy();

// --- fetch (undici, keep-alive by default; it refuses to send Expect itself) --------------
const fetchShapes = shapes.filter((shape) => !('Expect' in shape[2]));
for (const shape of fetchShapes) {
  const [method, path, headers, body] = shape;
  const res = await fetch(`${base}${path}`, { method, headers, body: body ?? undefined });
  check(shape, res.status, res.headers.get('content-type'), await res.text());
}
console.log(`ok: fetch: ${fetchShapes.length} requests, every answer parsed`);

clearTimeout(watchdog);
server.kill('SIGTERM');
const code = await new Promise((r) => server.on('exit', (c) => r(c)));
assert.equal(code, 0, `chat-server exited ${code} on SIGTERM`);
