"""Bodies the fakes stream instead of holding in memory: large files, for the download size cap tests."""

from dataclasses import dataclass

_BLOCK = b"x" * (1024 * 1024)


@dataclass(frozen=True)
class Stream:
    """`size` bytes of filler, written 1 MiB at a time; `declare_length` False: no Content-Length, the body ends
    when the connection closes (a server that does not say how large the file is)."""

    size: int
    declare_length: bool = True

    def send(self, handler):
        """Send the body on a BaseHTTPRequestHandler whose status line and other headers are written."""
        if self.declare_length:
            handler.send_header("Content-Length", str(self.size))
        else:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        left = self.size
        try:
            while left > 0:
                chunk = _BLOCK[:min(left, len(_BLOCK))]
                handler.wfile.write(chunk)
                left -= len(chunk)
        except (BrokenPipeError, ConnectionResetError):  # the client stopped reading (the size cap)
            handler.close_connection = True
        return self.size - left
