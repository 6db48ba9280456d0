#!/usr/bin/env python3
"""Clients for tests/redis/balancer_test, in plain HTTP (the standard library only).

  follow URL ROOM COUNT OUT --timeout S --name NAME   a reader that follows the room with its
      cursor (since, epoch) on one keep-alive connection; writes every message it gets as one
      JSON line to OUT and exits 0 once it holds COUNT messages of type "message". It fails
      (exit 1, saying why) on an id that is not one past the one before, an epoch that changes,
      `missed` above 0, a cursor that goes back, a status other than 200. --timeout 0 makes it
      an eager reader that asks again at once (it then lands on instances that may not hold the
      newest post yet, and must never be reset for it). --retry: a 503 (an instance shutting
      down) is asked again with the same cursor, as a client should.
  post URL ROOM COUNT OUT --tag TAG                   posts COUNT messages "TAG-i" one by one on
      one keep-alive connection, with short random pauses; writes "id body" lines to OUT; every
      answer must be 200. --retry: each post carries Idempotency-Key TAG-i and is sent again
      after a 502, 503 or 504 or a lost connection, until it is answered 200.
  check POSTED... -- READ...                          every reader got every posted message once,
      under the id its post was answered with, in id order with no gap from 1.
  presence READ NAME...                               each NAME joined exactly once, and left at
      most once and only after joining: a member whose polls hop between instances stays one
      member.

Every request carries X-Reader: NAME so that nginx's log shows where each reader's polls went.
Every loop is bounded by --deadline seconds.
"""

import argparse
import http.client
import json
import random
import sys
import time
import urllib.parse


def fail(what):
    print(f"FAIL: {what}", file=sys.stderr)
    sys.exit(1)


class Connection:
    """One keep-alive HTTP/1.1 connection, opened again after an error (a bounded number of times)."""

    def __init__(self, url, read_timeout):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.read_timeout = read_timeout
        self.conn = None
        self.reconnects = 0

    def request(self, method, target, body=None, headers=None, resend=False):
        """resend: a request that may have reached the server is sent again (it carries an
        Idempotency-Key); without it only a GET is."""
        for _ in range(5):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.read_timeout)
            try:
                self.conn.request(method, target, body=body, headers=headers or {})
                res = self.conn.getresponse()
                return res.status, res.read()
            except (OSError, http.client.HTTPException) as e:
                # A dropped keep-alive connection: GETs are safe to send again; a POST is not.
                self.conn.close()
                self.conn = None
                self.reconnects += 1
                if method != "GET" and not resend:
                    fail(f"{method} {target}: {e!r}")
                time.sleep(0.05)
        fail(f"{method} {target}: five connection errors in a row")


def follow(args):
    conn = Connection(args.url, args.timeout + 10)
    deadline = time.monotonic() + args.deadline
    since, epoch, got, polls, retried = 0, None, 0, 0, 0
    with open(args.out, "w") as out:
        while got < args.count:
            if time.monotonic() > deadline:
                fail(f"{args.name}: {got} of {args.count} messages after {args.deadline} s ({polls} polls)")
            query = {"format": "json", "since": since, "timeout": args.timeout, "limit": 1000}
            if epoch is not None:
                query["epoch"] = epoch
            target = f"/chat/{args.room}?{urllib.parse.urlencode(query)}"
            status, body = conn.request("GET", target, headers={"X-Reader": args.name})
            polls += 1
            if status == 503 and args.retry:
                retried += 1
                time.sleep(0.05)
                continue
            if status != 200:
                fail(f"{args.name}: GET {target} answered {status}: {body[:200]!r}")
            doc = json.loads(body)
            if epoch is not None and doc["epoch"] != epoch:
                fail(f"{args.name}: the epoch changed from {epoch} to {doc['epoch']} at cursor {since}")
            epoch = doc["epoch"]
            if doc.get("missed", 0) != 0:
                fail(f"{args.name}: missed {doc['missed']} at cursor {since}")
            for m in doc["messages"]:
                if m["id"] != since + 1:
                    fail(f"{args.name}: after id {since} came id {m['id']}")
                since = m["id"]
                out.write(json.dumps(m) + "\n")
                if m["type"] == "message":
                    got += 1
            if doc["next"] != since:
                fail(f"{args.name}: next is {doc['next']}, the cursor {since}")
            if args.timeout == 0 and not doc["messages"]:
                time.sleep(0.005)
    print(f"{args.name}: {got} messages in {polls} polls, {conn.reconnects} reconnects, "
          f"{retried} answers 503")


def post(args):
    conn = Connection(args.url, 30)
    rng = random.Random(args.tag)
    refused = {}  # status -> how many times a post was answered it and sent again
    with open(args.out, "w") as out:
        for i in range(args.count):
            text = f"{args.tag}-{i}"
            payload = json.dumps({"body": text, "name": args.tag})
            headers = {"Content-Type": "application/json", "X-Reader": args.tag}
            if args.retry:
                headers["Idempotency-Key"] = text
            for _ in range(100):
                status, body = conn.request("POST", f"/chat/{args.room}", body=payload,
                                            headers=headers, resend=args.retry)
                # 503: the instance is shutting down; 502/504: nginx lost the instance while
                # the post was on its way, stored or not. The key makes sending it again safe.
                if status not in (502, 503, 504) or not args.retry:
                    break
                refused[status] = refused.get(status, 0) + 1
                time.sleep(0.05)
            if status != 200:
                fail(f"{args.tag}: post {i} answered {status}: {body[:200]!r}")
            out.write(f"{json.loads(body)['id']} {text}\n")
            # Bursts and pauses, so that polls both park and find messages waiting.
            if rng.random() < 0.3:
                time.sleep(rng.random() * 0.03)
            time.sleep(args.pause)
    again = ", ".join(f"{n} after a {s}" for s, n in sorted(refused.items())) or "none after a 5xx"
    print(f"{args.tag}: {args.count} posts stored; sent again: {again}, "
          f"{conn.reconnects} after a lost connection")


def check(args):
    if "--" not in args.files:
        fail("check POSTED... -- READ...")
    split = args.files.index("--")
    posted_files, read_files = args.files[:split], args.files[split + 1:]
    posted = {}  # body -> id its post was answered with
    order = []   # each poster's bodies, in the order posted
    for f in posted_files:
        mine = []
        for line in open(f):
            id_, text = line.split(" ", 1)
            posted[text.rstrip("\n")] = int(id_)
            mine.append(text.rstrip("\n"))
        order.append(mine)
    if len(set(posted.values())) != len(posted):
        fail("two posts were answered with the same id")
    for f in read_files:
        ids, bodies = [], {}
        for line in open(f):
            line = line.strip()
            if not line:
                continue
            m = json.loads(line)
            ids.append(m["id"])
            if m["type"] == "message":
                if m["body"] in bodies:
                    fail(f"{f}: '{m['body']}' shown twice (ids {bodies[m['body']]} and {m['id']})")
                bodies[m["body"]] = m["id"]
        if ids != list(range(1, len(ids) + 1)):
            fail(f"{f}: ids are not 1..{len(ids)} in order: {ids[:20]}...")
        lost = [b for b in posted if b not in bodies]
        if lost:
            fail(f"{f}: {len(lost)} posted messages never shown, e.g. {lost[:5]}")
        extra = [b for b in bodies if b not in posted]
        if extra:
            fail(f"{f}: messages nobody posted: {extra[:5]}")
        wrong = [b for b in posted if bodies[b] != posted[b]]
        if wrong:
            b = wrong[0]
            fail(f"{f}: '{b}' shown as id {bodies[b]}, its post was answered with id {posted[b]}")
        for mine in order:
            shown = [bodies[b] for b in mine]
            if shown != sorted(shown):
                fail(f"{f}: a poster's messages are shown out of the order they were posted")
        print(f"ok: {f.rsplit('/', 1)[-1]}: all {len(posted)} messages once, ids 1..{len(ids)}")


def presence(args):
    events = [json.loads(line) for line in open(args.read) if line.strip()]
    for name in args.names:
        mine = [m["type"] for m in events if m.get("from") == name and m["type"] in ("join", "leave")]
        if mine not in (["join"], ["join", "leave"]):
            fail(f"{args.read}: {name}'s joins and leaves were {mine}, not one join (and one leave)")
    print(f"ok: {args.read.rsplit('/', 1)[-1]}: {', '.join(args.names)} joined once each")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("follow")
    f.add_argument("url"), f.add_argument("room"), f.add_argument("count", type=int), f.add_argument("out")
    f.add_argument("--timeout", type=int, default=5)
    f.add_argument("--name", default="follower")
    f.add_argument("--deadline", type=float, default=90)
    f.add_argument("--retry", action="store_true")
    p = sub.add_parser("post")
    p.add_argument("url"), p.add_argument("room"), p.add_argument("count", type=int), p.add_argument("out")
    p.add_argument("--tag", required=True)
    p.add_argument("--retry", action="store_true")
    p.add_argument("--pause", type=float, default=0, help="seconds after each post")
    c = sub.add_parser("check")
    c.add_argument("files", nargs=argparse.REMAINDER)
    m = sub.add_parser("presence")
    m.add_argument("read"), m.add_argument("names", nargs="+")
    args = parser.parse_args()
    {"follow": follow, "post": post, "check": check, "presence": presence}[args.cmd](args)


if __name__ == "__main__":
    main()
