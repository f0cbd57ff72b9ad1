#!/usr/bin/python3
"""make_oci.py -- write small OCI image layouts for the registry tests.

usage: make_oci.py OUT_DIR

Writes one OCI layout per test image under OUT_DIR/<name>/ (oci-layout,
index.json, blobs/sha256/...) with the tag "1.0", and prints one line per
image: "<name> <digest the tag names> <user>" where the digest is the
top-level manifest's (the index's for a multi-platform image) and <user>
is what the amd64 config says ("-" when unset).  The images are real enough
for a registry and skopeo: one empty gzipped tar layer whose diff_id is in
the config.  Nothing here is random, so digests are stable across runs.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def empty_layer():
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT):
        pass
    tar = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as f:
        f.write(tar)
    return tar, gz.getvalue()


class Layout:
    def __init__(self, root):
        self.root = root
        os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(root, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)

    def blob(self, data):
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.root, "blobs", "sha256", digest), "wb") as f:
            f.write(data)
        return "sha256:" + digest, len(data)

    def image(self, arch, user):
        tar, gz = empty_layer()
        config = {"architecture": arch, "os": "linux",
                  "config": {"Env": ["PATH=/usr/bin"]},
                  "rootfs": {"type": "layers",
                             "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]}}
        if user is not None:
            config["config"]["User"] = user
        cdigest, csize = self.blob(json.dumps(config, sort_keys=True).encode())
        ldigest, lsize = self.blob(gz)
        manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                    "config": {"mediaType": OCI_CONFIG, "digest": cdigest, "size": csize},
                    "layers": [{"mediaType": OCI_LAYER, "digest": ldigest, "size": lsize}]}
        return self.blob(json.dumps(manifest, sort_keys=True).encode())

    def tag(self, media_type, digest, size, tag="1.0"):
        index = {"schemaVersion": 2, "manifests": [
            {"mediaType": media_type, "digest": digest, "size": size,
             "annotations": {"org.opencontainers.image.ref.name": tag}}]}
        with open(os.path.join(self.root, "index.json"), "w") as f:
            json.dump(index, f)


def single(out, name, user):
    lay = Layout(os.path.join(out, name))
    digest, size = lay.image("amd64", user)
    lay.tag(OCI_MANIFEST, digest, size)
    print(name, digest, "-" if user is None else user)


def multi(out, name):
    lay = Layout(os.path.join(out, name))
    amd, amd_size = lay.image("amd64", "1000")
    arm, arm_size = lay.image("arm64", "0")
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": arm, "size": arm_size,
         "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
        {"mediaType": OCI_MANIFEST, "digest": amd, "size": amd_size,
         "platform": {"architecture": "amd64", "os": "linux"}}]}
    digest, size = lay.blob(json.dumps(index, sort_keys=True).encode())
    lay.tag(OCI_INDEX, digest, size)
    print(name, digest, "1000")


def main():
    out = sys.argv[1]
    single(out, "unset", None)
    single(out, "root", "0")
    single(out, "uid", "1000")
    single(out, "named", "appuser")
    multi(out, "multi")


if __name__ == "__main__":
    main()
