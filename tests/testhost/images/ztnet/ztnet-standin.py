#!/usr/bin/python3
"""TEST FIXTURE, not ZTNet: stands in for docker.io/sinamics/ztnet on the test host.

It keeps the part of ZTNet's contract the deployment must satisfy:
- listens on $HOSTNAME:$PORT, like Next.js (so HOSTNAME must be 0.0.0.0 in a pod);
- GET /api/auth/ok answers 200 {"ok":true} only when, right now,
  * it can log in to PostgreSQL over TCP at $POSTGRES_HOST:$POSTGRES_PORT as $POSTGRES_USER
    with $POSTGRES_PASSWORD (delivered from the podman secret) to $POSTGRES_DB,
  * $NEXTAUTH_SECRET has at least 32 characters and $NEXTAUTH_URL is set,
  * it can read /var/lib/zerotier-one/authtoken.secret and $ZT_ADDR/status answers 200 with
    that token in X-ZT1-Auth;
  otherwise 503 with the failed checks (never a secret value);
- exits at once on SIGTERM/SIGINT (it runs as PID 1 without an init).
Secrets stay in the environment: the psql child gets the password as PGPASSWORD, never as an argument.
"""
import json
import os
import signal
import subprocess
import sys
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN_FILE = "/var/lib/zerotier-one/authtoken.secret"


def stop(_signum, _frame):
    os._exit(0)


def env(name):
    return os.environ.get(name, "")


def check_database():
    child = {k: v for k, v in os.environ.items() if not k.startswith("NEXTAUTH_")}
    child.update(PGHOST=env("POSTGRES_HOST"), PGPORT=env("POSTGRES_PORT"), PGUSER=env("POSTGRES_USER"),
                 PGPASSWORD=env("POSTGRES_PASSWORD"), PGDATABASE=env("POSTGRES_DB"), PGCONNECT_TIMEOUT="5")
    if not child["PGPASSWORD"]:
        return "POSTGRES_PASSWORD is empty"
    r = subprocess.run(["psql", "-X", "-w", "-q", "-t", "-A", "-c", "SELECT 1"], env=child,
                       capture_output=True, text=True, timeout=15, check=False)
    if r.returncode != 0 or r.stdout.strip() != "1":
        return "cannot log in to PostgreSQL: " + (r.stderr.strip().splitlines() or ["no output"])[-1]
    return None


def check_zerotier():
    try:
        with open(TOKEN_FILE, encoding="ascii") as f:
            token = f.read().strip()
    except OSError as e:
        return f"cannot read {TOKEN_FILE}: {e.strerror}"
    try:
        req = urllib.request.Request(env("ZT_ADDR").rstrip("/") + "/status", headers={"X-ZT1-Auth": token})
        with urllib.request.urlopen(req, timeout=5) as r:
            if r.status != 200:
                return f"ZT_ADDR/status answered {r.status}"
    except Exception as e:  # noqa: BLE001
        return f"ZT_ADDR/status failed: {e}"
    return None


def problems():
    found = []
    if len(env("NEXTAUTH_SECRET")) < 32:
        found.append("NEXTAUTH_SECRET is shorter than 32 characters")
    if not env("NEXTAUTH_URL").startswith("https://"):
        found.append("NEXTAUTH_URL is not an https URL")
    for check in (check_database, check_zerotier):
        p = check()
        if p:
            found.append(p)
    return found


class App(BaseHTTPRequestHandler):
    server_version = "ztnet-standin"

    def log_message(self, fmt, *args):
        sys.stderr.write("ztnet-standin: " + (fmt % args) + "\n")

    def reply(self, code, body, kind="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/api/auth/ok":
            found = problems()
            if found:
                self.reply(503, {"ok": False, "problems": found})
            else:
                self.reply(200, {"ok": True})
        elif path == "/":
            self.reply(200, b"<!doctype html><title>ZTNet stand-in</title><p>ztnet-infra test fixture</p>\n",
                       "text/html; charset=utf-8")
        else:
            self.reply(404, {"error": "not found"})


def main():
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = env("HOSTNAME"), int(env("PORT") or "3000")
    server = ThreadingHTTPServer((host, port), App)
    print(f"ztnet-standin: listening on {host}:{port} (test fixture)", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
