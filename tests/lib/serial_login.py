#!/usr/bin/python3
"""Log in on a booting VM's serial console and run commands there.

serial_login.py --socket PATH --hostname NAME --log FILE --out DIR
                [--wrong-password] [--boot-timeout S] [--command-timeout S]
                NAME=COMMAND...

Connects to qemu's serial port (a unix socket, `-serial unix:PATH,server=on`),
waits for getty's `NAME login:` prompt, logs in as root with the password in
the environment variable SERIAL_LOGIN_PASSWORD (never on the command line,
never printed), runs each COMMAND through the shell and writes its output to
DIR/NAME and its exit status to DIR/NAME.rc, then powers the VM off and
waits until qemu closes the port. With --wrong-password it first checks that
a wrong password is refused. Everything the console printed goes to FILE.

Exit status 0 when all of that happened (whatever the commands' statuses);
otherwise 1 with one line on stderr saying what did not happen, followed by
the console's last lines.
"""
import argparse
import os
import re
import secrets
import select
import socket
import sys
import time


class Failure(Exception):
    pass


class Console:
    def __init__(self, path, log, connect_timeout):
        self.log = log
        self.buf = b""
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                self.sock.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > deadline:
                    raise Failure(f"no serial port at {path} after {connect_timeout} s")
                time.sleep(0.1)

    def _read(self, deadline, what):
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failure(f"timed out waiting for {what}")
        ready, _, _ = select.select([self.sock], [], [], left)
        if not ready:
            raise Failure(f"timed out waiting for {what}")
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.log.write(data)
        self.log.flush()
        self.buf += data

    def expect(self, patterns, timeout, what):
        """Waits for the first of PATTERNS (bytes regexes) in the output not
        yet consumed; consumes up to its end; returns (index, match)."""
        deadline = time.monotonic() + timeout
        compiled = [re.compile(p) for p in patterns]
        while True:
            found = [(m.start(), i, m) for i, p in enumerate(compiled) if (m := p.search(self.buf))]
            if found:
                _, i, m = min(found, key=lambda f: (f[0], f[1]))
                self.buf = self.buf[m.end():]
                return i, m
            try:
                self._read(deadline, what)
            except EOFError:
                raise Failure(f"the VM stopped before {what}") from None

    def send(self, text):
        self.sock.sendall(text.encode())

    def wait_closed(self, timeout, what):
        deadline = time.monotonic() + timeout
        try:
            while True:
                self._read(deadline, what)
        except EOFError:
            return


def login(con, hostname, user, password, timeout, expect_ok):
    prompt = rb"(\S+) login: "
    _, m = con.expect([prompt], timeout, "the login prompt")
    if m.group(1).decode(errors="replace") != hostname:
        raise Failure(f"the login prompt names host '{m.group(1).decode(errors='replace')}', not '{hostname}'")
    con.send(user + "\r")
    con.expect([rb"Password: "], 30, "the password prompt")
    con.send(password + "\r")
    shell = rb"root@" + re.escape(hostname.encode()) + rb":[^\r\n]*# "
    i, _ = con.expect([rb"Login incorrect", shell], 60, "the result of the login")
    if expect_ok and i == 0:
        raise Failure("login as root with the requested password: Login incorrect")
    if not expect_ok and i == 1:
        raise Failure("login as root with a wrong password succeeded")


def run(con, name, command, timeout):
    # The typed line shows "$((1))", the output "1": the echo never matches.
    tag = secrets.token_hex(4)
    con.send(f'echo "@@$((1))B{tag}"; {{ {command} ; }} 2>&1; echo "@@$((1))E{tag}:$?"\r')
    con.expect([rb"@@1B" + tag.encode() + rb"\r?\n"], timeout, f"the start of '{name}'")
    _, m = con.expect([rb"(?s)(.*?)@@1E" + tag.encode() + rb":(\d+)\r?\n"], timeout, f"the end of '{name}'")
    return m.group(1).replace(b"\r", b""), int(m.group(2))


def console_tail(path, lines=40):
    with open(path, "rb") as f:
        text = f.read()[-16384:].decode(errors="replace")
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).replace("\r", "")
    return "\n".join(text.splitlines()[-lines:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--socket", required=True)
    ap.add_argument("--hostname", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--wrong-password", action="store_true")
    ap.add_argument("--boot-timeout", type=float, default=300)
    ap.add_argument("--command-timeout", type=float, default=60)
    ap.add_argument("commands", nargs="*", metavar="NAME=COMMAND")
    args = ap.parse_args()
    password = os.environ.get("SERIAL_LOGIN_PASSWORD")
    if not password:
        print("serial_login: SERIAL_LOGIN_PASSWORD is not set", file=sys.stderr)
        return 2
    commands = []
    for c in args.commands:
        name, sep, command = c.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z0-9_-]+", name):
            print(f"serial_login: '{c}' is not NAME=COMMAND", file=sys.stderr)
            return 2
        commands.append((name, command))
    os.makedirs(args.out, exist_ok=True)

    start = time.monotonic()
    try:
        with open(args.log, "wb") as log:
            con = Console(args.socket, log, 30)
            if args.wrong_password:
                login(con, args.hostname, "root", "wrong-" + secrets.token_hex(6), args.boot_timeout, False)
                print(f"   wrong password refused ({time.monotonic() - start:.1f} s after power on)")
                login(con, args.hostname, "root", password, 60, True)
            else:
                login(con, args.hostname, "root", password, args.boot_timeout, True)
            logged_in = time.monotonic()
            print(f"   logged in as root {logged_in - start:.1f} s after power on")
            run(con, "quiet console", "dmesg -n 1", args.command_timeout)
            for name, command in commands:
                output, rc = run(con, name, command, args.command_timeout)
                with open(os.path.join(args.out, name), "wb") as f:
                    f.write(output)
                with open(os.path.join(args.out, name + ".rc"), "w") as f:
                    f.write(f"{rc}\n")
            ran = time.monotonic()
            con.send("poweroff\r")
            con.wait_closed(120, "the VM to power off")
            end = time.monotonic()
            print(f"   commands {ran - logged_in:.1f} s, power off {end - ran:.1f} s, "
                  f"{end - start:.1f} s in all")
    except Failure as e:
        print(f"serial_login: {e} ({time.monotonic() - start:.1f} s after power on); "
              f"the console's last lines:\n{console_tail(args.log)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
