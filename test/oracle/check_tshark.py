#!/usr/bin/env python3
"""tshark as an independent oracle for our BGP encoder.

usage: check_tshark.py ENCODE_SAMPLES

Runs encode_samples (one JSON line per sample: name, session, hex messages, expected
tshark fields), writes the messages into a pcap with `text2pcap -T 179,179`, decodes it
with `tshark -T json`, and checks that
  - every message is one BGP PDU with the expected type and length, at most 4096 octets,
    and Wireshark reports no malformed packet or expert info of warning level or worse;
  - every expected field (message fields, and per path attribute: type code, flags,
    fields) has exactly the expected values in packet order;
  - path attributes come in the order RFC 7606 §5.1 and RFC 4271 §5 ask for (MP_REACH /
    MP_UNREACH first, then ascending type code), and an attribute
    longer than 255 octets has the Extended Length bit.
Exit 0 when all agree, 1 otherwise, 77 (meson: skipped) when tshark is not installed.
"""

import ipaddress
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
EXPERT_WARNING = 0x00600000  # PI_WARN in Wireshark's expert.h
EXTENDED_LENGTH = 0x10
MAX_MESSAGE = 4096


class Obj(list):
    """A JSON object as its (key, value) pairs: tshark repeats keys."""


def load_tshark_json(text):
    return json.loads(text, object_pairs_hook=Obj)


def get(node, key):
    return [v for k, v in node if k == key]


def flatten(node, out, skip=()):
    for k, v in node:
        if k in skip:
            continue
        items = v if isinstance(v, list) and not isinstance(v, Obj) else [v]
        for item in items:
            if isinstance(item, Obj):
                flatten(item, out, skip)
            else:
                out.setdefault(k, []).append(item)
    return out


def walk_experts(node, found):
    for k, v in node:
        if k == "_ws.expert" and isinstance(v, Obj):
            sev = get(v, "_ws.expert.severity")
            msg = get(v, "_ws.expert.message")
            found.append((int(sev[0]) if sev else 0, msg[0] if msg else "?"))
        if isinstance(v, Obj):
            walk_experts(v, found)
    return found


def norm(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float)):
        return v
    s = str(v)
    try:
        return int(s, 0)
    except ValueError:
        pass
    try:
        return float(s)
    except ValueError:
        pass
    try:
        return str(ipaddress.ip_address(s))
    except ValueError:
        return s


def same(a, b):
    a, b = norm(a), norm(b)
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and \
            math.isclose(a, b, rel_tol=1e-5)
    return a == b


def same_list(xs, ys):
    return len(xs) == len(ys) and all(same(x, y) for x, y in zip(xs, ys))


def compare_fields(where, expected, got, failures):
    for field, want in expected.items():
        have = got.get(field, [])
        if not same_list(want, have):
            failures.append("%s: %s: tshark %s, expected %s" % (
                where, field, json.dumps(have), json.dumps(want)))


def text2pcap_input(hex_messages):
    lines = []
    for h in hex_messages:
        b = bytes.fromhex(h)
        for off in range(0, len(b), 16):
            lines.append("%06x %s" % (off, " ".join("%02x" % x for x in b[off:off + 16])))
    return "\n".join(lines) + "\n"


def tshark_decode(hex_messages, four_octet_as, workdir, tag):
    dump = os.path.join(workdir, tag + ".txt")
    pcap = os.path.join(workdir, tag + ".pcap")
    with open(dump, "w") as f:
        f.write(text2pcap_input(hex_messages))
    subprocess.run(["text2pcap", "-q", "-T", "179,179", dump, pcap], check=True,
                   capture_output=True)
    asn_len = "4 octet" if four_octet_as else "2 octet"
    proc = subprocess.run(["tshark", "-n", "-r", pcap, "-o", "bgp.asn_len:" + asn_len,
                           "-T", "json"], capture_output=True, check=True)
    return load_tshark_json(proc.stdout.decode("utf-8"))


def check_packet(where, packet, hexstr, expect, failures):
    """Checks one message; returns its message-scope fields (for concatenation)."""
    layers = get(get(packet, "_source")[0], "layers")[0]
    for sev, msg in sorted(set(walk_experts(layers, []))):
        if sev >= EXPERT_WARNING:
            failures.append("%s: Wireshark expert info: %s" % (where, msg))
    bgps = get(layers, "bgp")
    if len(bgps) != 1:
        failures.append("%s: %d BGP PDUs in the packet, expected 1" % (where, len(bgps)))
        return {}
    bgp = bgps[0]
    size = len(hexstr) // 2
    if size > MAX_MESSAGE:
        failures.append("%s: %d octets, more than %d" % (where, size, MAX_MESSAGE))
    for field, want in (("bgp.type", expect["type"]), ("bgp.length", size)):
        have = get(bgp, field)
        if not same_list([want], have):
            failures.append("%s: %s: tshark %s, expected %s" % (where, field, have, want))

    attrs = []
    for container in get(bgp, "bgp.update.path_attributes"):
        for node in get(container, "bgp.update.path_attribute"):
            fields = flatten(node, {})
            attrs.append((norm(fields.get("bgp.update.path_attribute.type_code", ["-1"])[0]),
                          norm(fields.get("bgp.update.path_attribute.flags", ["-1"])[0]),
                          norm(fields.get("bgp.update.path_attribute.length", ["-1"])[0]),
                          fields))
    want_codes = [a["type_code"] for a in expect["attributes"]]
    have_codes = [a[0] for a in attrs]
    if have_codes != want_codes:
        if sorted(have_codes) == sorted(want_codes):
            failures.append("%s: attributes in order %s, expected %s (RFC 7606 §5.1: MP "
                            "attributes first; RFC 4271 §5: then ascending type code)" % (
                                where, have_codes, want_codes))
        else:
            failures.append("%s: attribute type codes: tshark %s, expected %s" % (
                where, have_codes, want_codes))
    by_code = {a[0]: a for a in attrs}
    for want in expect["attributes"]:
        code = want["type_code"]
        if code not in by_code:
            continue
        _, flags, length, fields = by_code[code]
        aw = "%s: attribute %d" % (where, code)
        if flags & ~EXTENDED_LENGTH != want["flags"]:
            failures.append("%s: flags 0x%02x, expected 0x%02x (Extended Length aside)" % (
                aw, flags, want["flags"]))
        if length > 255 and not flags & EXTENDED_LENGTH:
            failures.append("%s: length %d without the Extended Length bit" % (aw, length))
        compare_fields(aw, want["fields"], fields, failures)
    return flatten(bgp, {}, skip={"bgp.update.path_attributes"})


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    missing = [t for t in ("tshark", "text2pcap") if shutil.which(t) is None]
    if missing:
        print("SKIP: %s not installed (Debian package tshark; scripts/install-deps.sh "
              "installs it)" % " and ".join(missing))
        return SKIP

    proc = subprocess.run([argv[1]], capture_output=True, text=True)
    if proc.returncode != 0 or proc.stderr:
        print("FAIL: encode_samples exited %d: %s" % (proc.returncode, proc.stderr.strip()))
        return 1
    samples = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]

    failures = []
    with tempfile.TemporaryDirectory(prefix="bgplb-tshark-") as workdir:
        for four_octet_as in (True, False):
            group = [s for s in samples if s["four_octet_as"] == four_octet_as]
            if not group:
                continue
            messages = [h for s in group for h in s["hex"]]
            packets = tshark_decode(messages, four_octet_as, workdir,
                                    "asn4" if four_octet_as else "asn2")
            if len(packets) != len(messages):
                failures.append("tshark read %d packets for %d messages" % (
                    len(packets), len(messages)))
                continue
            at = 0
            for s in group:
                concatenated = {}
                for i, h in enumerate(s["hex"]):
                    where = s["name"] if len(s["hex"]) == 1 else "%s [message %d/%d]" % (
                        s["name"], i + 1, len(s["hex"]))
                    fields = check_packet(where, packets[at], h, s["expect"], failures)
                    at += 1
                    for k, v in fields.items():
                        concatenated.setdefault(k, []).extend(v)
                compare_fields(s["name"], s["expect"]["fields"], concatenated, failures)

    for s in samples:
        print("sample: %s (%d message%s)" % (s["name"], len(s["hex"]),
                                            "" if len(s["hex"]) == 1 else "s"))
    for f in failures:
        print("FAIL " + f)
    print("%d samples, %d failures" % (len(samples), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
