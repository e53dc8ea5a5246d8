"""Pacing sends: Allegro accepts one message per second per user (A1 newMessageInThreadPOST).

Source keys (A1…A5) are defined, with their public URLs, in docs/marketplace-contract.md.
"""

import contextlib
import threading
import time

SEND_INTERVAL = 1.0  # A1 newMessageInThreadPOST: "rate limited to 1 request per second for a user"


class _SendPacer:
    """At most one send per `interval` per Allegro user (A1: "rate limited to 1 request per second for a user").

    The next send starts `interval` after the previous one *finished*: the server then sees the two arrive at
    least `interval` apart whatever the network latency. Sends wait for one another (a lock).
    """

    def __init__(self, interval=SEND_INTERVAL, clock=time.monotonic, sleep=time.sleep):
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._last = None

    @contextlib.contextmanager
    def slot(self):
        with self._lock:
            if self._last is not None:
                wait = self._last + self.interval - self._clock()
                if wait > 0:
                    self._sleep(wait)
            try:
                yield
            finally:
                self._last = self._clock()


# One pacer per (API host, login) in this process, shared by every client of that user that does not inject its
# own clock. A client's `_pacer` is any object with this `slot()`: in Odoo it is replaced by a pacer whose state is a
# database row (models/responso_account_pacing.py), shared by every worker process.
_PACERS = {}
_PACERS_LOCK = threading.Lock()


def _shared_pacer(api_url, login):
    key = (api_url, (login or "").casefold())
    with _PACERS_LOCK:
        pacer = _PACERS.get(key)
        if pacer is None:
            pacer = _PACERS[key] = _SendPacer()
        return pacer
