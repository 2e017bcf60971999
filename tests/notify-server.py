#!/usr/bin/python3
"""A stand-in for the chat vendors' webhooks, for tests/e2e/t36-notify.sh.

usage: notify-server.py DIR

Listens on 127.0.0.1 on a free port, which it writes to DIR/port (once
it accepts connections), and records every request as one JSON line in
DIR/requests.jsonl: {"method", "path" (with the query), "headers"
(names in lower case), "body" (text), "body_b64" (the exact bytes),
"time"} -- before it answers, so a request it never answers is recorded
too.  What it answers depends on the first part of the path:

  /slack...      200 "ok"                 (Slack incoming webhooks)
  /teams...      202, empty               (Power Automate workflows)
  /feishu...     200 {"code":0,...}       (Feishu / Lark custom bots)
  /feishu-badsign...  200 {"code":19021,...}  (Feishu's answer to a bad
                 signature)
  /dingtalk...   200 {"errcode":0,...}    (DingTalk custom robots)
  /dingtalk-err...  200 {"errcode":310000,...}
  /wecom...      200 {"errcode":0,...}    (WeCom group robots)
  /webhook...    200 "{}"
  /flaky/KEY/N...  500 to the first N requests for KEY, then 200
  /status/NAME...  the status in DIR/NAME (a number; 200 when there is
                 no such file): a server whose health the test switches
  /notfound...   404 "no_service"
  /redirect...   302 to /webhook/redirected
  /hang...       nothing: it sleeps longer than any test waits

It runs until killed.
"""
import base64
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIR = sys.argv[1]
LOCK = threading.Lock()
FLAKY = {}

SUCCESS = {
    "slack": (200, "text/plain", b"ok"),
    "teams": (202, None, b""),
    "feishu": (200, "application/json",
               b'{"code":0,"msg":"success","data":{}}'),
    "feishu-badsign": (200, "application/json",
                       b'{"code":19021,"msg":"sign match fail or timestamp'
                       b' is not within one hour from current time"}'),
    "dingtalk": (200, "application/json", b'{"errcode":0,"errmsg":"ok"}'),
    "dingtalk-err": (200, "application/json",
                     b'{"errcode":310000,"errmsg":"keywords not in content"}'),
    "wecom": (200, "application/json", b'{"errcode":0,"errmsg":"ok"}'),
    "webhook": (200, "application/json", b"{}"),
    "notfound": (404, "text/plain", b"no_service"),
}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def record(self, body):
        rec = {
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
            "body_b64": base64.b64encode(body).decode("ascii"),
            "time": time.time(),
        }
        with LOCK:
            with open(os.path.join(DIR, "requests.jsonl"), "a") as f:
                f.write(json.dumps(rec) + "\n")
                f.flush()

    def answer(self, status, ctype=None, body=b""):
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        self.record(body)
        parts = self.path.split("?", 1)[0].strip("/").split("/")
        first = parts[0]
        if first == "hang":
            time.sleep(120)
            return
        if first == "flaky" and len(parts) >= 3:
            with LOCK:
                seen = FLAKY.get(parts[1], 0)
                FLAKY[parts[1]] = seen + 1
            if seen < int(parts[2]):
                return self.answer(500, "text/plain", b"busy")
            return self.answer(200, "text/plain", b"ok")
        if first == "status" and len(parts) >= 2:
            try:
                with open(os.path.join(DIR, parts[1])) as f:
                    status = int(f.read().strip())
            except FileNotFoundError:
                status = 200
            return self.answer(status, "text/plain",
                               b"ok" if status < 300 else b"unavailable")
        if first == "redirect":
            self.send_response(302)
            self.send_header("Location", "/webhook/redirected")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if first in SUCCESS:
            return self.answer(*SUCCESS[first])
        return self.answer(404, "text/plain", b"no such hook")

    do_GET = do_POST


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    tmp = os.path.join(DIR, "port.tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, os.path.join(DIR, "port"))
    srv.serve_forever()


if __name__ == "__main__":
    main()
