#!/usr/bin/env python3
"""Checks `bgplbctl decode` against the public BGP vectors in this folder (README.md).

usage: check_vectors.py BGPLBCTL DATA_DIR

Every output line must be valid JSON in the shape docs/decode.md describes. For the
vectors with an expected decode, every field of `expect` is compared with ours after
mapping its names onto ours; a field this script does not know how to check is itself
reported, so nothing is skipped silently. Deliberate departures from an expectation are
listed in EXCEPTIONS with the reason. Randomly corrupted copies of the vectors (fixed
seed) must each still give one valid JSON object and never crash bgplbctl. Exit status
0 when everything agrees, 1 otherwise.
"""

import base64
import ipaddress
import json
import os
import random
import subprocess
import sys

# ------------------------------------------------------------------ name mappings

TYPE_NAMES = {
    "OPEN": "open",
    "UPDATE": "update",
    "NOTIFICATION": "notification",
    "KEEPALIVE": "keepalive",
    "ROUTE-REFRESH": "route_refresh",
}
SEGMENT_NAMES = {
    "SEQ": "sequence",
    "SET": "set",
    "CONFED_SEQ": "confed_sequence",
    "CONFED_SET": "confed_set",
}
# Attribute type code -> our key in "attributes"; any other code goes to "unknown".
ATTRIBUTE_KEYS = {
    1: "origin", 2: "as_path", 3: "next_hop", 4: "med", 5: "local_pref",
    6: "atomic_aggregate", 7: "aggregator", 8: "communities", 9: "originator_id",
    10: "cluster_list", 14: "mp_reach", 15: "mp_unreach", 16: "extended_communities",
    17: "as4_path", 18: "as4_aggregator", 32: "large_communities",
}
# expect keys that say nothing about the decoded content.
#  length: the header length, implied by the hex we feed in.
#  attrs:  flags and lengths of each attribute on the wire; our JSON does not carry
#          them, so only which attributes are present is checked (check_presence).
SKIPPED_EXPECT_KEYS = {"length", "attrs"}

ERROR_ACTIONS = {"session_reset", "treat_as_withdraw", "attribute_discard", "afi_safi_disable"}
MESSAGE_TYPES = {"open", "update", "notification", "keepalive", "route_refresh", "error"}

# Expectations we do not follow because the RFC says otherwise. Each entry replaces the
# vector's `expect` with what we must print instead, and that is checked: every key
# given must equal ours ("rfc7606" is compared on the keys given, its reason is free
# text). vector id -> (reason, replacement).
EXCEPTIONS = {
    # The vectors are ExaBGP's and Wireshark's parses, which do not judge validity.
    "exa-004": (
        "NEXT_HOP 255.255.255.255 is not a valid host address: RFC 4271 §6.3 makes it "
        "an Invalid NEXT_HOP error and RFC 7606 §7.3 says treat-as-withdraw; the "
        "attribute is dropped",
        {"type": "update", "withdrawn": [], "nlri": ["10.0.0.7/32"],
         "attributes": {"origin": "igp", "as_path": [], "local_pref": 100,
                        "large_communities": ["1:2:3", "10:11:12"]},
         "rfc7606": {"action": "treat_as_withdraw", "code": 3, "subcode": 8}}),
    "exa-024": (
        "flags 0x60 (not Optional) declare attribute 153 well-known, and we do not "
        "recognize it: RFC 4271 §6.3 Unrecognized Well-known Attribute, data = the "
        "attribute; RFC 7606 does not soften this",
        {"type": "error", "code": 3, "subcode": 2, "action": "session_reset",
         "data": "60990400000064"}),
    "exa-025": (
        "as exa-024, with the Extended Length bit (flags 0x70)",
        {"type": "error", "code": 3, "subcode": 2, "action": "session_reset",
         "data": "7099000400000064"}),
}


def check_replacement(replacement, got):
    diffs = []
    for key, want in replacement.items():
        have = got.get(key) if isinstance(got, dict) else None
        if key == "rfc7606" and isinstance(have, dict):
            have = {k: have.get(k) for k in want}
        if have != want:
            diffs.append((key, have, want))
    return diffs


# gobgp_encoder_vectors.txt: descriptions (substring match) whose message was encoded
# for a session other than the default (4-octet AS, no ADD-PATH).
GOBGP_CONTEXTS = [
    ("2-byte AS_PATH (no AS4 cap)", ["--two-octet-as"]),
    ("ADD-PATH path-id", ["--add-path", "ipv4"]),
]
# gobgp_encoder_vectors.txt messages that are malformed per the RFC, so they must not
# decode cleanly whatever GoBGP's encoder produced: description -> (code, subcode,
# action, reason).
GOBGP_MALFORMED = {
    "gobgp helper NewTestBGPUpdateMessage (many families/attrs)": (
        3, 1, "session_reset",
        "MP_REACH_NLRI appears four times: RFC 7606 §3(g) requires Malformed Attribute "
        "List and a session reset (it also has ORIGIN 3, RFC 7606 §7.1, which is less "
        "severe)"),
}


# ------------------------------------------------------------------ running bgplbctl

class Runner:
    def __init__(self, bgplbctl):
        self.bgplbctl = bgplbctl

    def decode(self, hex_lines, args):
        """Returns (exit code, [parsed JSON or an error string per output line], stderr)."""
        proc = subprocess.run(
            [self.bgplbctl, "decode", *args],
            input="".join(h + "\n" for h in hex_lines).encode(),
            capture_output=True, timeout=120)
        outputs = []
        for raw in proc.stdout.splitlines():
            try:
                outputs.append(json.loads(raw.decode("utf-8")))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                outputs.append("invalid JSON line (%s): %r" % (e, raw[:200]))
        return proc.returncode, outputs, proc.stderr.decode("utf-8", "replace")

    def decode_each(self, ids, hex_lines, args, failures):
        """Decodes a batch; returns {id: (json, exit code of the batch)} for every input.

        When the batch crashes, prints the wrong number of lines or anything on standard
        error (a sanitizer report, say), each message is run alone to find the culprit."""
        rc, outputs, stderr = self.decode(hex_lines, args)
        if rc in (0, 1) and len(outputs) == len(hex_lines) and not stderr:
            if rc != (1 if any(not is_clean(o) for o in outputs) else 0):
                failures.append("bgplbctl decode %s on %d messages (%s...): exit code %d "
                                "disagrees with its output" % (
                                    " ".join(args), len(ids), ids[0], rc))
            return {i: o for i, o in zip(ids, outputs)}
        result = {}
        for vid, h in zip(ids, hex_lines):
            rc1, out1, err1 = self.decode([h], args)
            if rc1 not in (0, 1) or len(out1) != 1 or err1:
                failures.append("%s: bgplbctl decode %s exited %d with %d lines; stderr: %s" % (
                    vid, " ".join(args), rc1, len(out1), err1.strip()[:300]))
                continue
            if rc1 != (0 if is_clean(out1[0]) else 1):
                failures.append("%s: exit code %d disagrees with the output" % (vid, rc1))
            result[vid] = out1[0]
        return result


def is_clean(obj):
    return isinstance(obj, dict) and obj.get("type") != "error" and "rfc7606" not in obj


# ------------------------------------------------------------------ schema of our output

def check_schema(obj):
    """Problems with the shape of one output object (docs/decode.md), as strings."""
    if not isinstance(obj, dict):
        return [obj if isinstance(obj, str) else "not a JSON object"]
    problems = []
    t = obj.get("type")
    if t not in MESSAGE_TYPES:
        return ["unknown type %r" % (t,)]

    def need(keys, where=obj, what=t):
        for k in keys:
            if k not in where:
                problems.append("%s object lacks %r" % (what, k))

    if t == "error":
        need(["code", "subcode", "action", "reason", "data"])
        if obj.get("action") not in ERROR_ACTIONS:
            problems.append("error action %r" % (obj.get("action"),))
    elif t == "open":
        need(["version", "my_as", "hold_time", "bgp_id", "capabilities"])
        for c in obj.get("capabilities", []):
            need(["code", "name"], c, "capability")
    elif t == "update":
        need(["withdrawn", "attributes", "nlri"])
        attrs = obj.get("attributes", {})
        for k in attrs:
            if k not in ATTRIBUTE_KEYS.values() and k != "unknown":
                problems.append("unknown attribute key %r" % k)
        mp = attrs.get("mp_reach")
        if mp is not None:
            need(["afi", "safi"], mp, "mp_reach")
            if not (("next_hops" in mp and "nlri" in mp) or
                    ("next_hop_hex" in mp and "nlri_hex" in mp)):
                problems.append("mp_reach has neither next_hops/nlri nor the _hex forms")
        mu = attrs.get("mp_unreach")
        if mu is not None:
            need(["afi", "safi"], mu, "mp_unreach")
            if "withdrawn" not in mu and "withdrawn_hex" not in mu:
                problems.append("mp_unreach has neither withdrawn nor withdrawn_hex")
        if "rfc7606" in obj:
            need(["action", "code", "subcode", "reason"], obj["rfc7606"], "rfc7606")
            if obj["rfc7606"].get("action") not in ERROR_ACTIONS:
                problems.append("rfc7606 action %r" % (obj["rfc7606"].get("action"),))
    elif t == "notification":
        need(["code", "subcode", "data"])
    elif t == "route_refresh":
        need(["afi", "safi", "subtype"])
    return problems


# ------------------------------------------------------------------ expected vs ours

def capability_value_hex(c):
    """Re-encodes one of our capability objects into its value bytes, as hex."""
    name = c.get("name")
    if name == "unknown":
        return c["hex"]
    if name == "multiprotocol":
        return "%04x00%02x" % (c["afi"], c["safi"])
    if name in ("route_refresh", "route_refresh_cisco", "enhanced_route_refresh",
                "extended_message"):
        return ""
    if name == "extended_next_hop":
        return "".join("%04x%04x%04x" % (e["nlri_afi"], e["nlri_safi"], e["next_hop_afi"])
                       for e in c["entries"])
    if name == "graceful_restart":
        head = (0x8000 if c["restarting"] else 0) | (0x4000 if c["notification"] else 0)
        return "%04x" % (head | c["restart_time"]) + "".join(
            "%04x%02x%02x" % (f["afi"], f["safi"], 0x80 if f["forwarding"] else 0)
            for f in c["families"])
    if name == "four_octet_as":
        return "%08x" % c["as"]
    if name == "add_path":
        sr = {"receive": 1, "send": 2, "both": 3}
        return "".join("%04x%02x%02x" % (f["afi"], f["safi"], sr[f["send_receive"]])
                       for f in c["families"])
    if name == "fqdn":
        h, d = c["hostname"].encode(), c["domain"].encode()
        return ("%02x" % len(h)) + h.hex() + ("%02x" % len(d)) + d.hex()
    return None


def compare_capability(exp, got, where, diffs):
    if exp.get("code") != got.get("code"):
        diffs.append((where + ".code", got.get("code"), exp.get("code")))
        return
    handled = {"code"}
    if "afi" in exp or "safi" in exp:
        handled |= {"afi", "safi"}
        for k in ("afi", "safi"):
            if exp.get(k) != got.get(k):
                diffs.append((where + "." + k, got.get(k), exp.get(k)))
    if "asn" in exp:
        handled.add("asn")
        if exp["asn"] != got.get("as"):
            diffs.append((where + ".as", got.get("as"), exp["asn"]))
    if "hex" in exp:
        handled.add("hex")
        mine = capability_value_hex(got)
        if mine != exp["hex"].lower():
            diffs.append((where + " value (re-encoded from our fields)", mine, exp["hex"]))
    if "add_path" in exp:
        handled.add("add_path")
        names = {1: "receive", 2: "send", 3: "both"}
        want = [{"afi": a, "safi": s, "send_receive": names.get(sr, sr)}
                for a, s, sr in exp["add_path"]]
        if got.get("families") != want:
            diffs.append((where + ".families", got.get("families"), want))
    if "afi_safi" in exp or "restart_flags" in exp or "restart_time" in exp:
        handled |= {"afi_safi", "restart_flags", "restart_time"}
        flags = exp.get("restart_flags", 0)
        want = {
            "restart_time": exp.get("restart_time"),
            "restarting": bool(flags & 0x8),
            "notification": bool(flags & 0x4),
            "families": [{"afi": a, "safi": s, "forwarding": bool(f & 0x80)}
                         for a, s, f in exp.get("afi_safi", [])],
        }
        for k, v in want.items():
            if got.get(k) != v:
                diffs.append((where + "." + k, got.get(k), v))
    if len(exp) == 1 and capability_value_hex(got) not in ("", None):
        diffs.append((where + " value", capability_value_hex(got), "empty"))
    for k in set(exp) - handled:
        diffs.append((where + "." + k, "(not checked: unknown expect key)", exp[k]))


def map_path(path):
    return [{"type": SEGMENT_NAMES.get(t, t), "asns": asns} for t, asns in path]


def map_aggregator(agg):
    return {"as": agg[0], "address": agg[1]}


def normalise_ip(text):
    """IPv4-mapped IPv6 compares equal to its IPv4 form."""
    try:
        a = ipaddress.ip_address(text)
    except ValueError:
        return text
    if a.version == 6 and a.ipv4_mapped is not None:
        return str(a.ipv4_mapped)
    return str(a)


def compare_mp(exp, got, kind, diffs):
    where = "attributes." + kind
    if got is None:
        diffs.append((where, None, exp))
        return
    for k, v in exp.items():
        if k == "snpa":
            # RFC 4760 §3: the old SNPA count octet is now Reserved and ignored; we
            # do not print it.
            continue
        ours_key = {"next_hop": "next_hops"}.get(k, k)
        ours = got.get(ours_key)
        if k == "next_hop":
            if ours is None or [normalise_ip(x) for x in ours] != [normalise_ip(x) for x in v]:
                diffs.append((where + ".next_hops", ours, v))
        elif ours != v:
            diffs.append((where + "." + ours_key, ours, v))


def check_presence(exp_attrs, got_attrs, diffs):
    """The attributes on the wire (expect.attrs) are the ones we print, and no others."""
    want, unknown_codes = set(), []
    for a in exp_attrs:
        key = ATTRIBUTE_KEYS.get(a["code"])
        if key:
            want.add(key)
        else:
            unknown_codes.append(a["code"])
    have = set(got_attrs) - {"unknown"}
    if want != have:
        diffs.append(("attributes (which are present)", sorted(have), sorted(want)))
    mine = [u.get("code") for u in got_attrs.get("unknown", [])]
    if mine != unknown_codes:
        diffs.append(("attributes.unknown codes", mine, unknown_codes))


def compare_expect(exp, got):
    """Returns [(field, ours, expected)] for every disagreement."""
    diffs = []
    if not isinstance(got, dict):
        return [("*", got, "a JSON object")]
    want_type = TYPE_NAMES.get(exp.get("type"), exp.get("type"))
    if got.get("type") != want_type:
        return [("type", "%s (%s)" % (got.get("type"), got.get("reason", "")), want_type)]
    if "rfc7606" in got:
        diffs.append(("rfc7606", got["rfc7606"], "a clean decode"))
    attrs = got.get("attributes", {})

    for key, value in exp.items():
        if key in SKIPPED_EXPECT_KEYS or key == "type":
            continue
        if want_type == "open" and key == "capabilities":
            mine = got.get("capabilities", [])
            if len(mine) != len(value):
                diffs.append(("capabilities", [c.get("code") for c in mine],
                              [c.get("code") for c in value]))
            for i, (e, g) in enumerate(zip(value, mine)):
                compare_capability(e, g, "capabilities[%d]" % i, diffs)
        elif want_type != "update":
            if got.get(key) != value:
                diffs.append((key, got.get(key), value))
        elif key in ("withdrawn", "nlri"):
            if got.get(key) != value:
                diffs.append((key, got.get(key), value))
        elif key == "eor":
            want = {"afi": value[0], "safi": value[1]}
            if got.get("end_of_rib") != want:
                diffs.append(("end_of_rib", got.get("end_of_rib"), want))
        elif key == "origin":
            if attrs.get("origin") != value.lower():
                diffs.append(("attributes.origin", attrs.get("origin"), value.lower()))
        elif key in ("as_path", "as4_path"):
            if attrs.get(key) != map_path(value):
                diffs.append(("attributes." + key, attrs.get(key), map_path(value)))
        elif key in ("aggregator", "as4_aggregator"):
            if attrs.get(key) != map_aggregator(value):
                diffs.append(("attributes." + key, attrs.get(key), map_aggregator(value)))
        elif key == "ext_communities":
            want = [v.lower() for v in value]
            if attrs.get("extended_communities") != want:
                diffs.append(("attributes.extended_communities",
                              attrs.get("extended_communities"), want))
        elif key == "unknown_attrs":
            # Our "flags" are as received with the Extended Length bit cleared (that bit
            # only says how the length was encoded).
            want = [{"code": u["code"], "flags": int(u["flags"], 16) & ~0x10,
                     "hex": u["hex"].lower()} for u in value]
            if attrs.get("unknown") != want:
                diffs.append(("attributes.unknown", attrs.get("unknown"), want))
        elif key in ("mp_reach", "mp_unreach"):
            compare_mp(value, attrs.get(key), key, diffs)
        elif key in ("next_hop", "med", "local_pref", "atomic_aggregate", "communities",
                     "large_communities", "originator_id", "cluster_list"):
            if attrs.get(key) != value:
                diffs.append(("attributes." + key, attrs.get(key), value))
        else:
            diffs.append((key, "(not checked: unknown expect key)", value))

    if want_type == "update":
        if "eor" not in exp and "end_of_rib" in got:
            diffs.append(("end_of_rib", got["end_of_rib"], None))
        if "attrs" in exp:
            check_presence(exp["attrs"], attrs, diffs)
    return diffs


# ------------------------------------------------------------------ the suites

def context_args(ctx):
    args = []
    if ctx and ctx.get("asn4") is False:
        args.append("--two-octet-as")
    families = {tuple(f) for f in (ctx or {}).get("add_path_rx", [])}
    v4, v6 = (1, 1) in families, (2, 1) in families
    if families - {(1, 1), (2, 1)}:
        raise ValueError("add_path_rx %s: only IPv4/IPv6 unicast are supported" % families)
    if v4 and v6:
        args += ["--add-path", "both"]
    elif v4:
        args += ["--add-path", "ipv4"]
    elif v6:
        args += ["--add-path", "ipv6"]
    return args


def load_jsonl(path):
    """The vectors of a JSON-lines file; those without an id get file:line."""
    vectors = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                v = json.loads(line)
                v.setdefault("id", "%s:%d" % (os.path.basename(path), number))
                vectors.append(v)
    return vectors


def run_jsonl(runner, path, with_expect):
    """Returns (vector count, failure strings, how many decoded cleanly)."""
    vectors = load_jsonl(path)
    failures = []
    clean = 0
    groups = {}
    for v in vectors:
        groups.setdefault(tuple(context_args(v.get("context"))), []).append(v)
    for args, vs in groups.items():
        outputs = runner.decode_each([v["id"] for v in vs], [v["hex"] for v in vs],
                                     list(args), failures)
        for v in vs:
            got = outputs.get(v["id"])
            if got is None:
                continue
            clean += is_clean(got)
            for p in check_schema(got):
                failures.append("%s: output schema: %s" % (v["id"], p))
            if not with_expect:
                continue
            if v["id"] in EXCEPTIONS:
                reason, replacement = EXCEPTIONS[v["id"]]
                print("  exception %s: %s" % (v["id"], reason))
                diffs = check_replacement(replacement, got)
            else:
                diffs = compare_expect(v["expect"], got)
            for field, ours, expected in diffs:
                failures.append("%s [%s]: %s: ours %s, expected %s" % (
                    v["id"], " ".join(args) or "default context", field,
                    json.dumps(ours), json.dumps(expected)))
    return len(vectors), failures, clean


def parse_gobgp(path):
    """[(description, gobgp json, hex)] from gobgp_encoder_vectors.txt."""
    out, desc, gjson = [], None, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("# gobgp-json:"):
                gjson = json.loads(line[len("# gobgp-json:"):])
            elif line.startswith("#"):
                desc = line[1:].strip()
            elif line:
                out.append((desc, gjson, line))
                desc, gjson = None, None
    return out


def gobgp_prefixes(items):
    return [i["prefix"] for i in (items or [])]


def plain_routes(routes):
    return [r["prefix"] if isinstance(r, dict) else r for r in routes]


def compare_gobgp(g, got):
    """A few fields of GoBGP's own decode against ours: [(field, ours, gobgp)]."""
    diffs = []
    t = got.get("type")
    if t == "keepalive":
        return diffs
    if t == "notification":
        data = base64.b64decode(g["Data"]).hex() if g.get("Data") else ""
        for field, ours, theirs in (("code", got["code"], g["ErrorCode"]),
                                    ("subcode", got["subcode"], g["ErrorSubcode"]),
                                    ("data", got["data"], data)):
            if ours != theirs:
                diffs.append((field, ours, theirs))
        return diffs
    if t == "route_refresh":
        for field, ours, theirs in (("afi", got["afi"], g["AFI"]), ("safi", got["safi"], g["SAFI"]),
                                    ("subtype", got["subtype"], g["Demarcation"])):
            if ours != theirs:
                diffs.append((field, ours, theirs))
        return diffs
    if t == "open":
        for field, theirs in (("version", g["Version"]), ("my_as", g["MyAS"]),
                              ("hold_time", g["HoldTime"]), ("bgp_id", g["ID"])):
            if got[field] != theirs:
                diffs.append((field, got[field], theirs))
        caps = [c for p in g["OptParams"] for c in p["Capability"]]
        mine = got["capabilities"]
        if [c["code"] for c in mine] != [c["code"] for c in caps]:
            diffs.append(("capabilities codes", [c["code"] for c in mine],
                          [c["code"] for c in caps]))
            return diffs
        for i, (m, c) in enumerate(zip(mine, caps)):
            if c["code"] == 1 and (m["afi"] << 16 | m["safi"]) != c["value"]:
                diffs.append(("capabilities[%d] afi<<16|safi" % i,
                              m["afi"] << 16 | m["safi"], c["value"]))
            if c["code"] == 65 and m["as"] != c["value"]:
                diffs.append(("capabilities[%d].as" % i, m["as"], c["value"]))
            if c["code"] == 64:
                want = {"restart_time": c["time"], "restarting": bool(c["flags"] & 8),
                        "notification": bool(c["flags"] & 4)}
                for k, v in want.items():
                    if m[k] != v:
                        diffs.append(("capabilities[%d].%s" % (i, k), m[k], v))
            if c["code"] == 69:
                names = {1: "receive", 2: "send", 3: "both"}
                want = [{"afi": x["family"] >> 16, "safi": x["family"] & 0xffff,
                         "send_receive": names[x["mode"]]} for x in c["tuples"]]
                if m["families"] != want:
                    diffs.append(("capabilities[%d].families" % i, m["families"], want))
        return diffs
    if t != "update":
        return [("type", t, "a message")]

    attrs = got["attributes"]
    if plain_routes(got["withdrawn"]) != gobgp_prefixes(g.get("WithdrawnRoutes")):
        diffs.append(("withdrawn", got["withdrawn"], g.get("WithdrawnRoutes")))
    if plain_routes(got["nlri"]) != gobgp_prefixes(g.get("NLRI")):
        diffs.append(("nlri", got["nlri"], g.get("NLRI")))
    seg_names = {1: "set", 2: "sequence", 3: "confed_sequence", 4: "confed_set"}
    for a in g.get("PathAttributes") or []:
        code = a["type"]
        if code == 1:
            want = ["igp", "egp", "incomplete"][a["value"]]
            if attrs.get("origin") != want:
                diffs.append(("attributes.origin", attrs.get("origin"), want))
        elif code == 2:
            want = [{"type": seg_names[s["segment_type"]], "asns": s["asns"]}
                    for s in a["as_paths"]]
            if attrs.get("as_path") != want:
                diffs.append(("attributes.as_path", attrs.get("as_path"), want))
        elif code == 3:
            if attrs.get("next_hop") != a["nexthop"]:
                diffs.append(("attributes.next_hop", attrs.get("next_hop"), a["nexthop"]))
        elif code == 4:
            if attrs.get("med") != a["metric"]:
                diffs.append(("attributes.med", attrs.get("med"), a["metric"]))
        elif code == 5:
            if attrs.get("local_pref") != a["value"]:
                diffs.append(("attributes.local_pref", attrs.get("local_pref"), a["value"]))
        elif code == 8:
            want = ["%d:%d" % (c >> 16, c & 0xffff) for c in a["communities"]]
            if attrs.get("communities") != want:
                diffs.append(("attributes.communities", attrs.get("communities"), want))
        elif code == 14:
            mp = attrs.get("mp_reach") or {}
            want = {"afi": a["afi"], "safi": a["safi"],
                    "next_hops": [normalise_ip(a["nexthop"])],
                    "nlri": gobgp_prefixes(a["value"])}
            mine = {"afi": mp.get("afi"), "safi": mp.get("safi"),
                    "next_hops": [normalise_ip(h) for h in mp.get("next_hops", [])],
                    "nlri": plain_routes(mp.get("nlri", []))}
            if mine != want:
                diffs.append(("attributes.mp_reach", mine, want))
        elif code == 15:
            mu = attrs.get("mp_unreach") or {}
            want = {"afi": a["afi"], "safi": a["safi"], "withdrawn": gobgp_prefixes(a["value"])}
            mine = {"afi": mu.get("afi"), "safi": mu.get("safi"),
                    "withdrawn": plain_routes(mu.get("withdrawn", []))}
            if mine != want:
                diffs.append(("attributes.mp_unreach", mine, want))
        elif code == 32:
            want = ["%d:%d:%d" % (x["ASN"], x["LocalData1"], x["LocalData2"]) for x in a["value"]]
            if attrs.get("large_communities") != want:
                diffs.append(("attributes.large_communities", attrs.get("large_communities"),
                              want))
    return diffs


def run_gobgp(runner, path):
    vectors = parse_gobgp(path)
    failures = []
    clean = 0
    for n, (desc, gjson, hexstr) in enumerate(vectors):
        args = []
        for needle, extra in GOBGP_CONTEXTS:
            if needle in (desc or ""):
                args += extra
        vid = "gobgp#%d (%s)" % (n, desc)
        out = runner.decode_each([vid], [hexstr], args, failures).get(vid)
        if out is None:
            continue
        clean += is_clean(out)
        for p in check_schema(out):
            failures.append("%s: output schema: %s" % (vid, p))
        if desc in GOBGP_MALFORMED:
            code, subcode, action, why = GOBGP_MALFORMED[desc]
            print("  exception %s: must be %d/%d %s: %s" % (vid, code, subcode, action, why))
            got = (out.get("code"), out.get("subcode"), out.get("action")) \
                if out.get("type") == "error" else ("not an error", out.get("rfc7606"))
            if got != (code, subcode, action):
                failures.append("%s: ours %s, expected error %d/%d %s" % (
                    vid, json.dumps(got), code, subcode, action))
            continue
        if not is_clean(out):
            failures.append("%s: did not decode cleanly: %s" % (vid, json.dumps(out)))
            continue
        for field, ours, theirs in compare_gobgp(gjson, out):
            failures.append("%s: %s: ours %s, gobgp %s" % (
                vid, field, json.dumps(ours), json.dumps(theirs)))
    return len(vectors), failures, clean


def run_bad_len(runner, folder):
    """Each file as is (its marker is not all ones) and with the marker repaired."""
    failures = []
    clean = 0
    names = sorted(os.listdir(folder))
    for name in names:
        with open(os.path.join(folder, name), "rb") as f:
            raw = f.read()
        repaired = b"\xff" * 16 + raw[16:]
        for label, data in (("as is", raw), ("marker repaired", repaired)):
            vid = "bad-len/%s (%s)" % (name, label)
            out = runner.decode_each([vid], [data.hex()], [], failures).get(vid)
            if out is None:
                continue
            clean += is_clean(out)
            for p in check_schema(out):
                failures.append("%s: output schema: %s" % (vid, p))
            length = int.from_bytes(data[16:18], "big") if len(data) >= 18 else None
            bad_marker = data[:16] != b"\xff" * 16
            bad_length = length is None or length != len(data) or not 19 <= length <= 4096
            kind = (out.get("code"), out.get("subcode")) if out.get("type") == "error" else None
            if bad_marker:
                # RFC 4271 §6.1: Connection Not Synchronized (a length error found
                # first is as good).
                if kind not in ((1, 1), (1, 2)):
                    failures.append("%s: ours %s, expected error 1/1 (bad marker)" % (
                        vid, json.dumps(out)))
            elif bad_length:
                if kind != (1, 2):
                    failures.append("%s: ours %s, expected error 1/2 (length %s, %d bytes)" % (
                        vid, json.dumps(out), length, len(data)))
    return len(names) * 2, failures, clean


def mutate(message, rng):
    """One random corruption of a message: octets overwritten, or the message cut short
    or lengthened with its header length field kept consistent."""
    m = bytearray(message)
    kind = rng.randrange(4)
    if kind == 0:
        for _ in range(rng.randrange(1, 4)):
            m[rng.randrange(16, len(m))] = rng.randrange(256)
    elif kind == 1:
        m = m[:rng.randrange(19, len(m) + 1)]
    elif kind == 2:
        at = rng.randrange(19, len(m) + 1)
        m[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8)))
    else:
        m[rng.randrange(16, len(m))] = rng.choice([0x00, 0x01, 0x7f, 0x80, 0xff])
    if kind in (1, 2):
        m[16:18] = len(m).to_bytes(2, "big")
    return bytes(m)


def run_mutations(runner, data, per_vector=10, seed=7606):
    """Corrupted copies of the vectors: one valid JSON object each, never a crash."""
    rng = random.Random(seed)
    sources = [v for name in ("exabgp_vectors.jsonl", "realworld_vectors.jsonl",
                              "exabgp_other_families.jsonl")
               for v in load_jsonl(os.path.join(data, name))]
    ids, messages = [], []
    for v in sources:
        for k in range(per_vector):
            ids.append("%s~%d" % (v["id"], k))
            messages.append(mutate(bytes.fromhex(v["hex"]), rng).hex())
    failures = []
    clean = 0
    for args in ([], ["--add-path", "both"], ["--two-octet-as"]):
        outputs = runner.decode_each(ids, messages, args, failures)
        for vid, out in outputs.items():
            clean += is_clean(out)
            for p in check_schema(out):
                failures.append("%s [%s] (mutated): output schema: %s" % (vid, " ".join(args), p))
    return len(messages) * 3, failures, clean


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    runner, data = Runner(argv[1]), argv[2]
    def jsonl(name, with_expect):
        return lambda: run_jsonl(runner, os.path.join(data, name), with_expect)

    suites = [
        ("exabgp_vectors.jsonl", jsonl("exabgp_vectors.jsonl", True)),
        ("realworld_vectors.jsonl", jsonl("realworld_vectors.jsonl", True)),
        ("exabgp_other_families.jsonl", jsonl("exabgp_other_families.jsonl", False)),
        ("realworld_other_families.jsonl", jsonl("realworld_other_families.jsonl", False)),
        ("gobgp_encoder_vectors.txt",
         lambda: run_gobgp(runner, os.path.join(data, "gobgp_encoder_vectors.txt"))),
        ("bad-len/", lambda: run_bad_len(runner, os.path.join(data, "bad-len"))),
        ("mutated copies of the vectors", lambda: run_mutations(runner, data)),
    ]
    total_failures = 0
    for name, run in suites:
        count, failures, clean = run()
        total_failures += len(failures)
        print("%-32s %4d inputs (%3d decode cleanly), %3d failures" % (
            name, count, clean, len(failures)))
        for f in failures:
            print("  FAIL " + f)
    print("total failures: %d" % total_failures)
    return 1 if total_failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
