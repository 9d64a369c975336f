#!/usr/bin/python3
"""An FTP (or, with --cert, explicit FTPS) server for imgdeploy's tests.

Serves --root read-only to anonymous users on 127.0.0.1 (pyftpdlib). The
first line on stdout is the port (--port 0 picks a free one). SIGTERM stops it.
"""

import argparse
import logging
import signal
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
from pyftpdlib.servers import FTPServer


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--root", required=True)
    parser.add_argument("--cert", help="PEM certificate + key: require TLS (FTPS)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)

    authorizer = DummyAuthorizer()
    authorizer.add_anonymous(args.root, perm="elr")
    handler = TLS_FTPHandler if args.cert else FTPHandler
    if args.cert:
        handler.certfile = args.cert
        handler.tls_control_required = True
        handler.tls_data_required = True
    handler.authorizer = authorizer
    handler.passive_ports = None
    handler.masquerade_address = None
    server = FTPServer(("127.0.0.1", args.port), handler)
    signal.signal(signal.SIGTERM, lambda *_: server.close_all())
    print(server.address[1], flush=True)
    try:
        server.serve_forever(handle_exit=False)
    except (KeyboardInterrupt, OSError):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
