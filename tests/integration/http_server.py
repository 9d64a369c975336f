#!/usr/bin/python3
"""A misbehaving HTTP/1.1 server for testing imgdeploy's HTTP source.

Serves the files of --root on 127.0.0.1. The first path component picks a
behaviour:

  /ok/<file>          normal; honours "Range: bytes=N-" (206 + Content-Range)
  /drop/<file>        the first request for each file announces the full
                      Content-Length but closes after about half the bytes;
                      later requests are served normally
  /dropalways/<file>  every response closes after about 1/4 of its range
  /stall/<file>       sends the headers and some bytes, then hangs (until the
                      server shuts down) without closing
  /norange/<file>     ignores Range (always 200 with the whole file); the first
                      response for each file drops halfway, like /drop
  /status/<code>      replies with that status and the body "NOT AN IMAGE"
  /nolength/<file>    200 without Content-Length, ended by closing

Usage: http_server.py --port 0 --root DIR [--cert PEM]
With --cert (a PEM file holding certificate and key) it serves HTTPS.
The first line on stdout is the port it listens on (--port 0 picks a free
one). SIGTERM and SIGINT stop it cleanly (exit status 0).
"""

import argparse
import http.server
import os
import re
import signal
import ssl
import sys
import threading

CHUNK = 64 * 1024
STALL_SECONDS = 600

stopping = threading.Event()
first_seen_lock = threading.Lock()
first_seen = set()  # (mode, file) pairs that already had their first request


def first_request(mode, name):
    """True exactly once per (mode, file): the request that gets dropped."""
    with first_seen_lock:
        if (mode, name) in first_seen:
            return False
        first_seen.add((mode, name))
        return True


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root = "."

    def log_message(self, format, *args):  # noqa: A002 (base class name)
        pass  # Quiet: tests read our stdout and stderr is noise.

    def do_GET(self):
        self.route()

    def route(self):
        parts = self.path.split("?")[0].split("/")
        if len(parts) != 3 or parts[0] != "":
            return self.send_status(404)
        mode, name = parts[1], parts[2]
        if mode == "status" and name.isdigit():
            return self.send_status(int(name))
        data = self.load(name)
        if data is None:
            return self.send_status(404)
        start = self.range_start(len(data))
        offset = start or 0
        if mode == "ok":
            self.send_body(data, start)
        elif mode == "drop":
            cut = len(data) // 2 if first_request(mode, name) else None
            self.send_body(data, start, cut)
        elif mode == "dropalways":
            self.send_body(data, start, offset + max(1, (len(data) - offset) // 4))
        elif mode == "stall":
            self.send_body(data, start, offset + min(CHUNK, len(data) - offset), stall=True)
        elif mode == "norange":
            cut = len(data) // 2 if first_request(mode, name) else None
            self.send_body(data, None, cut)
        elif mode == "nolength":
            self.send_body(data, None, with_length=False)
        else:
            self.send_status(404)

    def load(self, name):
        if name in ("", ".", "..") or "/" in name:
            return None
        path = os.path.join(self.root, name)
        if not os.path.isfile(path):
            return None
        with open(path, "rb") as f:
            return f.read()

    def range_start(self, size):
        """The N of "Range: bytes=N-" when it is inside the file, else None."""
        m = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
        if m and int(m.group(1)) < size:
            return int(m.group(1))
        return None

    def send_status(self, code):
        body = b"NOT AN IMAGE"
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_body(self, data, start, cut=None, stall=False, with_length=True):
        """Sends data[start:] (200 when start is None, else 206); stops and
        closes the connection at byte `cut` of the file when given."""
        self.send_response(200 if start is None else 206)
        start = start or 0
        self.send_header("Content-Type", "application/octet-stream")
        if with_length:
            self.send_header("Content-Length", str(len(data) - start))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        end = len(data) if cut is None else max(start, cut)
        for pos in range(start, end, CHUNK):
            self.wfile.write(data[pos:min(pos + CHUNK, end)])
        self.wfile.flush()
        if stall:
            stopping.wait(STALL_SECONDS)
        if cut is not None or stall:
            self.close_connection = True


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)
        # A client that goes away (cancelled, refused an error body) is normal.


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--root", required=True)
    parser.add_argument("--cert", help="PEM certificate + key: serve HTTPS")
    args = parser.parse_args()

    # serve_forever runs in a thread: shutdown() must not be called from the
    # thread that serves, and signal handlers run in the main thread. The
    # handlers are in place before the port is printed, so a caller may stop
    # us as soon as it has read the port.
    stop_requested = threading.Event()
    for signo in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signo, lambda *_: stop_requested.set())
    Handler.root = args.root
    server = Server(("127.0.0.1", args.port), Handler)
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    serving = threading.Thread(target=server.serve_forever)
    serving.start()
    while not stop_requested.wait(3600):
        pass
    stopping.set()
    server.shutdown()
    serving.join()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
