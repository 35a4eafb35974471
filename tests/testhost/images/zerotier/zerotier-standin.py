#!/usr/bin/python3
"""TEST FIXTURE, not ZeroTier: stands in for docker.io/zyclonite/zerotier:1.14.2 on the test host.

What it keeps, and where each behaviour comes from:
- entrypoint (zyclonite/zerotier-docker scripts/entrypoint.sh, done by entrypoint.sh here):
  local.conf is written only when ZT_OVERRIDE_LOCAL_CONF=true or it is missing, with
  settings.primaryPort = ZT_PRIMARY_PORT (9993) and settings.allowManagementFrom = the
  comma-separated entries of ZT_ALLOW_MANAGEMENT_FROM, each kept as written;
- the service reads settings from local.conf, not from the environment
  (ZeroTierOne service/OneService.cpp, applyLocalConfig: "allowManagementFrom");
- each allowManagementFrom entry parses as ZeroTier does (node/InetAddress.cpp fromString and
  containsAddress): "ip/bits" with bits after the slash; NO slash means bits 0, and an IPv4
  entry with 0 bits contains EVERY IPv4 address ("127.0.0.1" allows all of IPv4); an IPv6
  entry compares (remote & mask) with the entry as written, so "::" without bits allows every
  IPv6 address and "fd00::1/8" allows none; an entry without '.' or ':' is ignored;
- the management API on TCP 0.0.0.0:port and [::]:port (OneService.cpp: _controlPlane and
  _controlPlaneV6 bind_to_port; the IPv6 one is skipped when the namespace has no IPv6);
- authCheck (OneService.cpp): a loopback peer (127/8, ::1) is always allowed, others only when an
  allowManagementFrom entry contains them; /health and /sso need no token, the rest needs
  X-ZT1-Auth, else ?auth=, else "Authorization: Bearer" (the first present one decides);
  anything else gets 401 with body {} (1.14 has no 403: a refused address is 401 too);
- authtoken.secret: read at start when it exists (trimmed), else 24 characters of [a-z0-9]
  written with mode 0600 (OneService.cpp run()); never re-read while running;
- GET /status, /health, /controller, /controller/network answer with the fields ZTNet reads
  (src/utils/ztApi.ts); POST /controller/network/<address>______ makes a network whose ID is the
  controller's 10-hex-digit address and 6 more (ZeroTierOne controller/EmbeddedNetworkController.cpp);
  POST /controller/network/<nwid>/member/<member> adds or changes a member; GET lists them;
- the controller's database as FileDB keeps it (ZeroTierOne controller/FileDB.cpp): a network in
  controller.d/network/<nwid>.json, a member in controller.d/network/<nwid>/member/<member>.json,
  written on every change and read back at start, so a restored directory serves its networks;
- identity.secret and identity.public made once, read at start (node/Identity.cpp: "address:0:public"
  and "address:0:public:private"): the address is the controller's;
- UDP port held open like the real service; exits at once on SIGTERM/SIGINT (PID 1, no init).
Not kept: no ZeroTier protocol, no networks joined, no metrics token, no planet.
"""
import ipaddress
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
VERSION = (1, 14, 2)


def stop(_signum, _frame):
    os._exit(0)


def parse_entry(text):
    """InetAddress::fromString: (family, address bytes, bits) or None when ZeroTier ignores it."""
    addr, _, rest = text.partition("/")
    digits = "".join(c for c in rest[:10] if c.isdigit()) if rest[:1].isdigit() else ""
    bits = (int(digits) if digits else 0) & 0xFFFF
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET if "." in addr else None
    if fam is None:
        return None
    try:
        raw = socket.inet_pton(fam, addr)
    except OSError:  # inet_pton fails and leaves the address zeroed, family set: still used
        raw = bytes(16 if fam == socket.AF_INET6 else 4)
    return fam, raw, bits


def contains(entry, remote):
    """InetAddress::containsAddress for an entry and the peer's address."""
    fam, raw, bits = entry
    peer = ipaddress.ip_address(remote.split("%")[0])
    if (peer.version == 6) != (fam == socket.AF_INET6):
        return False
    if fam == socket.AF_INET:
        if bits == 0:
            return True
        if bits > 32:  # undefined shift upstream; refuse
            return False
        return int(peer) >> (32 - bits) == int.from_bytes(raw, "big") >> (32 - bits)
    bits = min(bits, 128)
    mask = ((1 << bits) - 1) << (128 - bits) if bits else 0
    return (int(peer) & mask) == int.from_bytes(raw, "big")


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

    def allowed(self, url):
        remote = self.client_address[0]
        peer = ipaddress.ip_address(remote.split("%")[0])
        ip_ok = peer.is_loopback or any(contains(e, remote) for e in ALLOW)
        if not ip_ok:
            return False
        if url.path in ("/sso", "/health") or url.path.startswith("/app"):
            return True
        query = parse_qs(url.query)
        if "X-ZT1-Auth" in self.headers:
            given = self.headers["X-ZT1-Auth"]
        elif "auth" in query:
            given = query["auth"][0]
        elif "Authorization" in self.headers:
            scheme, _, given = self.headers["Authorization"].partition(" ")
            if scheme.lower() != "bearer":
                return False
        else:
            return False
        return secrets.compare_digest(given.encode(), TOKEN.encode())

    def status(self):
        return {"address": ADDRESS, "online": True, "version": "%d.%d.%d" % VERSION,
                "versionMajor": VERSION[0], "versionMinor": VERSION[1], "versionRev": VERSION[2],
                "tcpFallbackActive": False, "publicIdentity": ADDRESS + ":0:standin"}

    def do_GET(self):
        url = urlparse(self.path)
        if not self.allowed(url):
            self.reply(401, {})
        elif url.path == "/health":
            self.reply(200, {"online": True, "version": "%d.%d.%d" % VERSION, "clock": 0})
        elif url.path == "/status":
            self.reply(200, self.status())
        elif url.path == "/controller":
            self.reply(200, {"controller": True, "apiVersion": 4, "clock": 0})
        elif url.path == "/controller/network":
            self.reply(200, sorted(NETWORKS))
        elif url.path.startswith("/controller/network/") and url.path.count("/") == 3:
            nwid = url.path.rsplit("/", 1)[1]
            self.reply(200, NETWORKS[nwid]) if nwid in NETWORKS else self.reply(404, {})
        elif url.path.startswith("/controller/network/") and url.path.endswith("/member") and url.path.count("/") == 4:
            nwid = url.path.split("/")[3]
            self.reply(200, {m: 1 for m in MEMBERS.get(nwid, {})}) if nwid in NETWORKS else self.reply(404, {})
        elif url.path.startswith("/controller/network/") and url.path.count("/") == 5 and url.path.split("/")[4] == "member":
            _, _, _, nwid, _, mid = url.path.split("/")
            member = MEMBERS.get(nwid, {}).get(mid)
            self.reply(200, member) if member else self.reply(404, {})
        else:
            self.reply(404, {})

    def do_POST(self):
        url = urlparse(self.path)
        if not self.allowed(url):
            self.reply(401, {})
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}") if length else {}
        parts = url.path.split("/")
        if len(parts) == 4 and parts[1:3] == ["controller", "network"]:
            nwid = parts[3]
            if nwid.endswith("______"):
                nwid = nwid[:10] + secrets.token_hex(3)
            net = NETWORKS.setdefault(nwid, {"id": nwid, "nwid": nwid, "name": "", "private": True, "objtype": "network"})
            net.update({k: v for k, v in body.items() if k not in ("id", "nwid")})
            save(os.path.join(NETWORK_DIR, nwid + ".json"), net)
            self.reply(200, net)
        elif len(parts) == 6 and parts[1:3] == ["controller", "network"] and parts[4] == "member" and parts[3] in NETWORKS:
            nwid, mid = parts[3], parts[5]
            member = MEMBERS.setdefault(nwid, {}).setdefault(mid, {"id": mid, "address": mid, "nwid": nwid, "authorized": False, "objtype": "member"})
            member.update({k: v for k, v in body.items() if k not in ("id", "address", "nwid")})
            save(os.path.join(NETWORK_DIR, nwid, "member", mid + ".json"), member)
            self.reply(200, member)
        else:
            self.reply(404, {})


def save(path, obj):
    """FileDB::save: the object's JSON, written on every change (a temp file renamed into place)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(obj, f)
    os.replace(path + ".tmp", path)


def load():
    """FileDB's start: every network and member file under controller.d/network."""
    if not os.path.isdir(NETWORK_DIR):
        return
    for entry in sorted(os.listdir(NETWORK_DIR)):
        if entry.endswith(".json"):
            with open(os.path.join(NETWORK_DIR, entry), encoding="utf-8") as f:
                NETWORKS[entry[:-5]] = json.load(f)
    for nwid in NETWORKS:
        mdir = os.path.join(NETWORK_DIR, nwid, "member")
        for entry in sorted(os.listdir(mdir)) if os.path.isdir(mdir) else []:
            if entry.endswith(".json"):
                with open(os.path.join(mdir, entry), encoding="utf-8") as f:
                    MEMBERS.setdefault(nwid, {})[entry[:-5]] = json.load(f)


class V6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()


def main():
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    os.makedirs(HOME, exist_ok=True)
    global TOKEN, ADDRESS, ALLOW
    try:
        with open(os.path.join(HOME, "local.conf"), encoding="utf-8") as f:
            settings = json.load(f).get("settings", {})
    except (FileNotFoundError, ValueError):
        settings = {}
    port = int(settings.get("primaryPort", 9993))
    amf = settings.get("allowManagementFrom", [])
    ALLOW = [e for e in (parse_entry(str(x)) for x in (amf if isinstance(amf, list) else [])) if e]
    TOKEN = read_or_create(os.path.join(HOME, "authtoken.secret"),
                           lambda: "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(24)), 0o600)
    public = read_or_create(os.path.join(HOME, "identity.public"), lambda: secrets.token_hex(5) + ":0:" + secrets.token_hex(32), 0o644)
    read_or_create(os.path.join(HOME, "identity.secret"), lambda: public + ":" + secrets.token_hex(32), 0o600)
    ADDRESS = public.split(":")[0]
    load()
    # zerotier-cli finds the port in this file, as with the real service (OneService.cpp).
    with open(os.path.join(HOME, "zerotier-one.port"), "w", encoding="ascii") as f:
        f.write(str(port))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("0.0.0.0", port))
    threading.Thread(target=lambda: [udp.recvfrom(2048) for _ in iter(int, 1)], daemon=True).start()
    servers = [ThreadingHTTPServer(("0.0.0.0", port), Api)]
    try:
        servers.append(V6Server(("::", port), Api))
    except OSError as e:
        print(f"zerotier-standin: no IPv6 control plane: {e}", flush=True)
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print(f"zerotier-standin: {ADDRESS} answers on port {port}, allowManagementFrom {amf} (test fixture)", flush=True)
    servers[0].serve_forever()


TOKEN = ""
ADDRESS = ""
ALLOW = []
NETWORKS = {}
MEMBERS = {}
NETWORK_DIR = os.path.join(HOME, "controller.d", "network")
if __name__ == "__main__":
    main()
