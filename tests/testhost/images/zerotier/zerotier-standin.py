#!/usr/bin/python3
"""TEST FIXTURE, not ZeroTier: stands in for docker.io/zyclonite/zerotier on the test host.

It keeps the part of the ZeroTier controller's contract that ZTNet and the deployment rely on:
- on start, writes /var/lib/zerotier-one/authtoken.secret (mode 0600) when it is missing, and an
  identity.public, and keeps both when they exist (the data directory is a kept volume);
- answers the local JSON API on TCP 127.0.0.1:$ZT_PRIMARY_PORT (9993): GET /status and
  /controller only with the right X-ZT1-Auth header (or ?auth=), 401 otherwise;
- holds UDP $ZT_PRIMARY_PORT open like the real service;
- exits at once on SIGTERM/SIGINT (it runs as PID 1 without an init).
"""
import json
import os
import secrets
import signal
import socket
import string
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

HOME = "/var/lib/zerotier-one"
PORT = int(os.environ.get("ZT_PRIMARY_PORT", "9993"))
VERSION = "1.14.2"


def stop(_signum, _frame):
    os._exit(0)


def read_or_create(path, make, mode):
    try:
        with open(path, encoding="ascii") as f:
            return f.read().strip()
    except FileNotFoundError:
        value = make()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(value)
        return value


class Api(BaseHTTPRequestHandler):
    server_version = "ZeroTierOne-standin"

    def log_message(self, fmt, *args):
        sys.stderr.write("zerotier-standin: " + (fmt % args) + "\n")

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        given = self.headers.get("X-ZT1-Auth") or parse_qs(url.query).get("auth", [""])[0]
        if not secrets.compare_digest(given.encode(), TOKEN.encode()):
            self.reply(401, {"error": "authtoken missing or wrong"})
        elif url.path == "/status":
            self.reply(200, {"address": ADDRESS, "online": True, "version": VERSION, "tcpFallbackActive": False})
        elif url.path == "/controller":
            self.reply(200, {"controller": True, "apiVersion": 4, "clock": 0})
        elif url.path == "/controller/network":
            self.reply(200, [])
        else:
            self.reply(404, {"error": "not found"})


def main():
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    os.makedirs(HOME, exist_ok=True)
    global TOKEN, ADDRESS
    TOKEN = read_or_create(os.path.join(HOME, "authtoken.secret"),
                           lambda: "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(24)), 0o600)
    ADDRESS = read_or_create(os.path.join(HOME, "identity.public"), lambda: secrets.token_hex(5), 0o644).split(":")[0]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("0.0.0.0", PORT))
    threading.Thread(target=lambda: [udp.recvfrom(2048) for _ in iter(int, 1)], daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Api)
    print(f"zerotier-standin: {ADDRESS} answers on 127.0.0.1:{PORT} (test fixture)", flush=True)
    server.serve_forever()


TOKEN = ""
ADDRESS = ""
if __name__ == "__main__":
    main()
