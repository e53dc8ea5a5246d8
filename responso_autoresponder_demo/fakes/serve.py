"""The demo's fake marketplaces in a process of their own, which every Odoo worker reaches on 127.0.0.1.

Under `--workers`, the process that writes a buyer message on the fake is rarely the one whose cron sends the
answer: the fakes therefore live here, once per machine and database, not in each worker's memory. Besides the fake
Allegro and eBay (each on its own port), a control port answers:

* ``GET /urls`` → ``{"allegro": url, "ebay": url}``;
* ``POST /call`` ``{"fake": "allegro"|"ebay", "method": name, "args": [...], "kwargs": {...}}`` → ``{"result": …}``,
  for the set-up methods of the fakes (``add_thread``, ``add_message``, ``issue_tokens``…); keyword arguments named
  ``at``, ``created`` or ``created_at`` are ISO date-times; ``len_sent`` and ``has`` (a thread, issue or
  conversation id) read their state.

Run: ``python3 serve.py --watch-pid <pid> --login <seller login>``; it prints ``{"control": url}`` on its first line
and stops when the watched process (the Odoo server) is gone. Standard library only; loopback only.
"""

import argparse
import json
import os
import sys
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

if __package__ in (None, ""):  # run as a script: the fakes are its neighbours
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from allegro_server import FakeAllegro
    from ebay_server import FakeEbay
else:
    from .allegro_server import FakeAllegro
    from .ebay_server import FakeEbay

ALLOWED = {"add_thread", "add_message", "add_issue", "add_issue_message", "add_conversation", "issue_tokens",
           "issue_token", "has_conversation"}
DATE_KWARGS = ("at", "created", "created_at")


class FakeMarketplaces:
    def __init__(self, login):
        self.fakes = {"allegro": FakeAllegro(login=login), "ebay": FakeEbay(seller=login)}
        self.lock = threading.Lock()

    def call(self, request):
        fake = self.fakes[request["fake"]]
        method, args, kwargs = request["method"], request.get("args") or [], dict(request.get("kwargs") or {})
        for name in DATE_KWARGS:
            if isinstance(kwargs.get(name), str):
                kwargs[name] = datetime.fromisoformat(kwargs[name])
        if method == "len_sent":
            return len(fake.sent)
        if method == "has":
            return args[0] in getattr(fake, "threads", {}) or args[0] in getattr(fake, "issues", {}) \
                or (hasattr(fake, "has_conversation") and fake.has_conversation(args[0]))
        if method not in ALLOWED:
            raise ValueError("not a set-up method: %s" % method)
        return getattr(fake, method)(*args, **kwargs)


def control_server(marketplaces):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # quiet
            pass

        def _answer(self, status, payload):
            body = json.dumps(payload, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/urls":
                allegro = marketplaces.fakes["allegro"]
                return self._answer(200, dict({code: fake.url for code, fake in marketplaces.fakes.items()},
                                              allegro_client=[allegro.client_id, allegro.client_secret]))
            return self._answer(404, {"error": "not found"})

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            try:
                request = json.loads(self.rfile.read(length).decode() or "{}")
                return self._answer(200, {"result": marketplaces.call(request)})
            except Exception as exc:  # noqa: BLE001 -- a demo server answers every error
                return self._answer(400, {"error": "%s: %s" % (type(exc).__name__, exc)})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server


def _alive(pid):
    """Whether the process runs (a zombie, dead but not yet reaped by its parent, does not)."""
    if os.path.isdir("/proc/self"):
        try:
            with open("/proc/%d/stat" % pid) as fh:
                return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watch-pid", type=int, required=True)
    parser.add_argument("--login", default="myshop-demo")
    args = parser.parse_args()
    marketplaces = FakeMarketplaces(args.login)
    server = control_server(marketplaces)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdout.write(json.dumps({"control": "http://127.0.0.1:%d" % server.server_address[1]}) + "\n")
    sys.stdout.flush()
    while _alive(args.watch_pid):
        time.sleep(1)
    server.shutdown()
    for fake in marketplaces.fakes.values():
        fake.stop()


if __name__ == "__main__":
    main()
