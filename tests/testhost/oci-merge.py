#!/usr/bin/python3
"""Merges single-image OCI layouts (from `podman save --format oci-dir`) into one layout whose
index names each manifest with its full image name: the test host's registry serves it.

usage: oci-merge.py OUT_DIR NAME=LAYOUT_DIR...
"""
import json
import os
import shutil
import sys

out = sys.argv[1]
blobs = os.path.join(out, "blobs", "sha256")
os.makedirs(blobs, exist_ok=True)
manifests = []
for arg in sys.argv[2:]:
    name, _, src = arg.partition("=")
    with open(os.path.join(src, "index.json"), encoding="utf-8") as f:
        (desc,) = json.load(f)["manifests"]
    srcblobs = os.path.join(src, "blobs", "sha256")
    for b in os.listdir(srcblobs):
        if not os.path.exists(os.path.join(blobs, b)):
            shutil.copyfile(os.path.join(srcblobs, b), os.path.join(blobs, b))
    manifests.append({"mediaType": desc["mediaType"], "digest": desc["digest"], "size": desc["size"],
                      "annotations": {"org.opencontainers.image.ref.name": name}})
with open(os.path.join(out, "oci-layout"), "w", encoding="utf-8") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
with open(os.path.join(out, "index.json"), "w", encoding="utf-8") as f:
    json.dump({"schemaVersion": 2, "manifests": manifests}, f, indent=1)
