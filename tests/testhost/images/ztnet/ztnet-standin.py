#!/usr/bin/python3
"""TEST FIXTURE, not ZTNet: stands in for docker.io/sinamics/ztnet:0.8.2 on the test host.

What it keeps, and where each behaviour comes from (sinamics/ztnet v0.8.2):
- start-up as init-db.sh: DATABASE_URL is built as
  postgresql://$POSTGRES_USER:$POSTGRES_PASSWORD@$POSTGRES_HOST:$POSTGRES_PORT/$POSTGRES_DB?schema=public
  WITHOUT percent-encoding; then it loops, once a second, on
  `PGPASSWORD=$POSTGRES_PASSWORD psql -h $POSTGRES_HOST -p $POSTGRES_PORT -U $POSTGRES_USER
  -d $POSTGRES_DB -c '\\q'` until that login works (exactly those options); then
  `prisma migrate deploy`, which here connects with what the URL parses to (a password with '@',
  '/', '?', '#' or ':' breaks the URL as it breaks Prisma's), runs
  `CREATE EXTENSION IF NOT EXISTS pgcrypto` (prisma/migrations/20260414184507_better_auth: a
  trusted extension, which the database owner may create) and creates its tables and an enum type
  in schema public of $POSTGRES_DB when missing (so the role needs CREATE there: on PostgreSQL 15
  only the database owner or a superuser has it); a failed migration ends the container with
  exit 1, as `set -e` does upstream;
- the server binds $HOSTNAME:$PORT (Next.js standalone server.js; defaults 0.0.0.0 and 3000);
- the ZeroTier token is read ONCE at server start (src/utils/ztApi.ts, module scope): ZT_SECRET,
  else the file ZT_SECRET_FILE, else /var/lib/zerotier-one/authtoken.secret, not trimmed; a
  failed read logs "an error occurred while reading the ZT_SECRET" and the server runs on without
  it (upstream then fails every controller call until restarted);
- GET /api/auth/ok answers 200 {"ok":true} statically: better-auth's "ok" endpoint touches
  neither the database nor ZeroTier (src/pages/api/auth/[...all].ts hands /api/auth/* to it);
- no unauthenticated endpoint of ZTNet shows its own view of the controller: its controller calls
  are tRPC procedures behind a session, and /api/v1/* needs an x-ztnet-auth API token
  (src/pages/api/v1/stats/index.ts and the others). So this stand-in has none either: the token it
  read is used for nothing a test can reach;
- exits at once on SIGTERM/SIGINT (it runs as PID 1 without an init). The image has curl.
Stricter than upstream: refuses to start with an empty NEXTAUTH_SECRET (better-auth needs a
secret; upstream fails later and less clearly). The seed and the web UI are not modelled.
"""
import json
import os
import signal
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

# Tables of the first migration, enough for "created when missing" (not ZTNet's schema).
MIGRATION = """
CREATE EXTENSION IF NOT EXISTS pgcrypto;
DO $$ BEGIN CREATE TYPE public."Role" AS ENUM ('ADMIN', 'USER'); EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE TABLE IF NOT EXISTS public."_prisma_migrations" (
  id varchar(36) PRIMARY KEY, migration_name varchar(255) NOT NULL,
  finished_at timestamptz, applied_steps_count integer NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS public."User" (id text PRIMARY KEY DEFAULT gen_random_uuid()::text, email text UNIQUE, role public."Role");
INSERT INTO public."_prisma_migrations" (id, migration_name, finished_at, applied_steps_count)
  VALUES ('00000000-0000-0000-0000-000000000001', '0_testhost_standin', now(), 1)
  ON CONFLICT (id) DO NOTHING;
"""


def log(msg):
    print(f"ztnet-standin: {msg}", file=sys.stderr, flush=True)


def env(name, default=""):
    return os.environ.get(name) or default


def psql(args, pg, stdin=None):
    child = {k: v for k, v in os.environ.items() if not k.startswith(("NEXTAUTH_", "ZT_SECRET"))}
    child.update(pg)
    return subprocess.run(["psql", *args], env=child, input=stdin, capture_output=True, text=True, check=False)


def wait_for_postgres():
    while True:
        r = psql(["-h", env("POSTGRES_HOST"), "-p", env("POSTGRES_PORT"), "-U", env("POSTGRES_USER"),
                  "-d", env("POSTGRES_DB"), "-c", r"\q"],
                 {"PGPASSWORD": env("POSTGRES_PASSWORD")})
        if r.returncode == 0:
            return
        sys.stderr.write(r.stderr)
        log("Postgres is unavailable - sleeping")
        time.sleep(1)


def migrate():
    url = (f"postgresql://{env('POSTGRES_USER')}:{env('POSTGRES_PASSWORD')}@{env('POSTGRES_HOST')}:"
           f"{env('POSTGRES_PORT')}/{env('POSTGRES_DB')}?schema=public")
    try:
        u = urlsplit(url)
        pg = {"PGHOST": u.hostname or "", "PGPORT": str(u.port or 5432), "PGUSER": unquote(u.username or ""),
              "PGPASSWORD": unquote(u.password or ""), "PGDATABASE": unquote(u.path.lstrip("/"))}
        if not pg["PGHOST"] or "/" in pg["PGDATABASE"]:
            raise ValueError("no host or a bad database name")
    except ValueError as e:
        log(f"Error: P1013: The provided database string is invalid ({e}); the password is part of an unencoded URL")
        sys.exit(1)
    log("Applying migrations to the database...")
    r = psql(["-X", "-q", "-v", "ON_ERROR_STOP=1"], pg, MIGRATION)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        log("migrate deploy failed")
        sys.exit(1)
    log("Migrations applied successfully!")


def read_zt_secret():
    if os.environ.get("ZT_SECRET"):
        return os.environ["ZT_SECRET"]
    try:
        with open(env("ZT_SECRET_FILE", "/var/lib/zerotier-one/authtoken.secret"), encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        log("an error occurred while reading the ZT_SECRET")
        log(repr(e))
        return None


class App(BaseHTTPRequestHandler):
    server_version = "ztnet-standin"

    def log_message(self, fmt, *args):
        log(fmt % args)

    def reply(self, code, body, kind="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/api/auth/ok":
            self.reply(200, {"ok": True})
        elif path == "/":
            self.reply(200, b"<!doctype html><title>ZTNet stand-in</title><p>ztnet-infra test fixture</p>\n",
                       "text/html; charset=utf-8")
        else:
            self.reply(404, {"error": "not found"})


def main():
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    if not env("NEXTAUTH_SECRET"):
        log("NEXTAUTH_SECRET is empty: better-auth needs a secret (stand-in refuses to start)")
        sys.exit(1)
    wait_for_postgres()
    migrate()
    global ZT_SECRET
    ZT_SECRET = read_zt_secret()
    host, port = env("HOSTNAME", "0.0.0.0"), int(env("PORT", "3000"))
    server = ThreadingHTTPServer((host, port), App)
    log(f"listening on {host}:{port} (test fixture)")
    server.serve_forever()


ZT_SECRET = None
if __name__ == "__main__":
    main()
