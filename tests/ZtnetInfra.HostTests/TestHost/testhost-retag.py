#!/usr/bin/python3
"""TEST FIXTURE: moves a tag of the guest's registry fixture to another build, as a registry does
when a new build of a pinned tag is pushed. testhost-registry.py serves <root>/index.json, read
once at its start: restart testhost-registry.service after a change.

usage: testhost-retag.py TAG FROM_TAG   TAG names the build FROM_TAG names (another digest)
       testhost-retag.py TAG --broken   TAG names a new build of itself whose entrypoint does not
                                        exist (its container cannot start: podman run fails)
       testhost-retag.py --restore      index.json as the image was built
Prints the config digest (podman's image ID) of the build TAG names afterwards.
"""
import hashlib
import json
import os
import shutil
import sys

ROOT = "/var/lib/testhost-registry"
INDEX = os.path.join(ROOT, "index.json")
ORIGINAL = INDEX + ".orig"
REF = "org.opencontainers.image.ref.name"


def blob(digest):
    return os.path.join(ROOT, "blobs", "sha256", digest.split(":", 1)[1])


def put(data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(blob(digest), "wb") as f:
        f.write(data)
    return digest


if not os.path.exists(ORIGINAL):
    shutil.copyfile(INDEX, ORIGINAL)
if sys.argv[1] == "--restore":
    shutil.copyfile(ORIGINAL, INDEX)
    sys.exit(0)
with open(INDEX, encoding="utf-8") as f:
    index = json.load(f)
by_name = {m["annotations"][REF]: m for m in index["manifests"]}
target = by_name[sys.argv[1]]
if sys.argv[2] == "--broken":
    with open(blob(target["digest"]), encoding="utf-8") as f:
        manifest = json.load(f)
    with open(blob(manifest["config"]["digest"]), encoding="utf-8") as f:
        config = json.load(f)
    config.setdefault("config", {})["Entrypoint"] = ["/testhost-broken-build-has-no-such-file"]
    config_data = json.dumps(config).encode()
    manifest["config"]["digest"] = put(config_data)
    manifest["config"]["size"] = len(config_data)
    manifest_data = json.dumps(manifest).encode()
    target.update(digest=put(manifest_data), size=len(manifest_data))
else:
    source = by_name[sys.argv[2]]
    target.update(digest=source["digest"], size=source["size"], mediaType=source["mediaType"])
with open(INDEX + ".tmp", "w", encoding="utf-8") as f:
    json.dump(index, f)
os.replace(INDEX + ".tmp", INDEX)
with open(blob(target["digest"]), encoding="utf-8") as f:
    print(json.load(f)["config"]["digest"].split(":", 1)[1])
