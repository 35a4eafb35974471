#!/usr/bin/python3
"""TEST FIXTURE: a read-only container registry (Docker Registry HTTP API v2, pull side only)
that serves the OCI image layout baked into the test host at build time.

The test host has no outbound network. registries.conf sends docker.io to this server, so the
plan's own `podman run` pulls its images exactly as it would on a real server, with nothing
preloaded into the service user's storage. Serves 127.0.0.1:5000 only.

Layout: <root>/index.json lists manifests with annotation org.opencontainers.image.ref.name set
to the full image name ("docker.io/library/caddy:2.11.4-alpine"); blobs under blobs/sha256/.
"""
import json
import os
import re
import shutil
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = sys.argv[1] if len(sys.argv) > 1 else "/var/lib/testhost-registry"
LISTEN = ("127.0.0.1", int(os.environ.get("TESTHOST_REGISTRY_PORT", "5000")))
REGISTRY = "docker.io"
PATH_RE = re.compile(r"^/v2/(?P<name>[a-z0-9._/-]+)/(?P<kind>manifests|blobs)/(?P<ref>[A-Za-z0-9._:+-]+)$")

with open(os.path.join(ROOT, "index.json"), encoding="utf-8") as f:
    INDEX = json.load(f)
TAGS = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in INDEX["manifests"]}
MANIFESTS = {m["digest"]: m for m in INDEX["manifests"]}


def blob_path(digest):
    algo, _, hexpart = digest.partition(":")
    if algo != "sha256" or not re.fullmatch(r"[0-9a-f]{64}", hexpart):
        return None
    p = os.path.join(ROOT, "blobs", "sha256", hexpart)
    return p if os.path.isfile(p) else None


class Registry(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "testhost-registry"

    def log_message(self, fmt, *args):
        sys.stderr.write("registry: " + (fmt % args) + "\n")

    def send(self, code, kind, path=None, body=b"", digest=None, head=False):
        size = os.path.getsize(path) if path else len(body)
        self.send_response(code)
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(size))
        if digest:
            self.send_header("Docker-Content-Digest", digest)
        self.end_headers()
        if head:
            return
        if path:
            with open(path, "rb") as f:
                shutil.copyfileobj(f, self.wfile, 1 << 20)
        else:
            self.wfile.write(body)

    def error(self, code, what):
        body = json.dumps({"errors": [{"code": what, "message": what.lower().replace("_", " ")}]}).encode()
        self.send(code, "application/json", body=body, head=self.command == "HEAD")

    def handle_get(self, head):
        if self.path in ("/v2", "/v2/"):
            return self.send(200, "application/json", body=b"{}", head=head)
        m = PATH_RE.match(self.path.split("?", 1)[0])
        if not m:
            return self.error(404, "NAME_UNKNOWN")
        name, kind, ref = m["name"], m["kind"], m["ref"]
        if kind == "manifests":
            desc = MANIFESTS.get(ref) if ref.startswith("sha256:") else TAGS.get(f"{REGISTRY}/{name}:{ref}")
            path = blob_path(desc["digest"]) if desc else None
            if not path:
                return self.error(404, "MANIFEST_UNKNOWN")
            return self.send(200, desc["mediaType"], path=path, digest=desc["digest"], head=head)
        path = blob_path(ref)
        if not path:
            return self.error(404, "BLOB_UNKNOWN")
        return self.send(200, "application/octet-stream", path=path, digest=ref, head=head)

    def do_GET(self):
        self.handle_get(head=False)

    def do_HEAD(self):
        self.handle_get(head=True)


if __name__ == "__main__":
    print(f"registry: serving {len(TAGS)} images from {ROOT} on {LISTEN[0]}:{LISTEN[1]}", flush=True)
    ThreadingHTTPServer(LISTEN, Registry).serve_forever()
