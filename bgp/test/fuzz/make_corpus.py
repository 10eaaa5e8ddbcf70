#!/usr/bin/env python3
"""Regenerates the BGP fuzz targets' seed corpora from the public vectors in test/vectors.

corpus/fuzz_bgp_message/: every whole message (and GoBGP's bad-length corpus) as raw bytes.
corpus/fuzz_bgp_update/:  every UPDATE body, prefixed by the context octet fuzz_bgp_update reads
                 (bit 0 two-octet AS, 2 ADD-PATH IPv4, 3 ADD-PATH IPv6).
Run from anywhere; files are named by the SHA-1 of their content, so re-running is
idempotent and new vectors only add files.
"""
import hashlib
import json
import pathlib
import shutil

here = pathlib.Path(__file__).resolve().parent
vectors = here.parents[2] / "test" / "vectors"
messages = here / "corpus" / "fuzz_bgp_message"
updates = here / "corpus" / "fuzz_bgp_update"


def put(folder, data):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def context_octet(ctx):
    octet = 0 if ctx.get("asn4", True) else 1
    for afi, safi in ctx.get("add_path_rx", []):
        if (afi, safi) == (1, 1):
            octet |= 4
        if (afi, safi) == (2, 1):
            octet |= 8
    return octet


def add(raw, ctx):
    put(messages, raw)
    if len(raw) >= 19 and raw[18] == 2:
        put(updates, bytes([context_octet(ctx)]) + raw[19:])


for name in ["exabgp_vectors.jsonl", "exabgp_other_families.jsonl",
             "realworld_vectors.jsonl", "realworld_other_families.jsonl"]:
    for line in (vectors / name).read_text().splitlines():
        if line.strip():
            v = json.loads(line)
            add(bytes.fromhex(v["hex"]), v.get("context") or {})

for line in (vectors / "gobgp_encoder_vectors.txt").read_text().splitlines():
    if line and not line.startswith("#"):
        add(bytes.fromhex(line), {})

for f in sorted((vectors / "bad-len").iterdir()):
    put(messages, f.read_bytes())

print("message:", len(list(messages.iterdir())),
      "update:", len(list(updates.iterdir())))
