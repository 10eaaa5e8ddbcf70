"""Every command shape of the real `gobgp` client that gobgp_compat_test.py runs, with
what GoBGP's own output of it looks like, for any speaker and any peers: the exit code,
no Go panic, and GoBGP's format (reference: cli/test/gobgp_recording).

gobgp_compat_test.py checks each shape against api_fixture's loopback topology (beside
its exact expectations there), and test/integration/test_gobgp_api.py against a bgplb
speaker whose peers are real routers (FRR, BIRD, gobgpd, ExaBGP).

A shape is a template with placeholders:
  {peer}       an Established peer          {down}     a configured peer that is not up
  {unknown}    an address no peer has       {prefix4}  an IPv4 prefix of the GLOBAL table
  {address4}   an address inside {prefix4}  {cover4}   a prefix covering {prefix4}
  {prefix6}    an IPv6 prefix of the GLOBAL table        {absent4}  a prefix not there
  {peerprefix} a prefix of {peer}'s address family (adj-in/adj-out default to it)
  {new4}, {new6} prefixes to add and delete
"""
import json
import re
import subprocess
import time

# A Go runtime failure: the client crashed instead of printing.
PANIC = re.compile(r'^panic:|^goroutine \d+|interface conversion|invalid memory address|SIGSEGV', re.M)

RIB_HEAD = r'^   Network +Next Hop +AS_PATH +Age +Attrs$'
RIB_OR_EMPTY = r'(%s|^Network not in table$)' % RIB_HEAD
ADJ_IN_OR_EMPTY = r'(^   ID  Network +Next Hop +AS_PATH +Age +Attrs$|^Network not in table$)'
ADJ_OUT_OR_EMPTY = r'(^   ID  Network +Next Hop +AS_PATH +Attrs$|^Network not in table$)'
NEIGHBOR_HEAD = r'^Peer +AS +Up/Down +State +\|#Received +Accepted$'
SUMMARY4 = [r'^Table afi:AFI_IP safi:SAFI_UNICAST$', r'^Destination: \d+, Path: \d+$']
SUMMARY6 = [r'^Table afi:AFI_IP6 safi:SAFI_UNICAST$', r'^Destination: \d+, Path: \d+$']
NEIGHBOR_DETAIL = [r'^BGP neighbor is {peer}, remote AS \d+$', r'^  BGP version 4, remote router ID \S+$',
                   r'^  BGP state = ESTABLISHED, up for ', r'^  Neighbor capabilities:$',
                   r'^    multiprotocol:$', r'^  Message statistics:$', r'^    Total: +\d+ +\d+$',
                   r'^    Accepted: +\d+$']
JSON = 'json'

# (template, exit code, patterns; JSON: the output parses as JSON)
READ_ONLY = [
    ('global', 0, [r'^AS: +\d+$', r'^Router-ID: \S+$']),
    ('global -j', 0, JSON),
    ('global rib', 0, [RIB_OR_EMPTY]),
    ('global rib -j', 0, JSON),
    ('global rib -a ipv4', 0, [RIB_OR_EMPTY]),
    ('global rib -a ipv6', 0, [RIB_OR_EMPTY]),
    ('global rib -a ipv6 -j', 0, JSON),
    ('global rib {prefix4}', 0, [RIB_HEAD]),
    ('global rib {prefix4} -j', 0, JSON),
    ('global rib {address4}', 0, [RIB_HEAD]),
    ('global rib -a ipv6 {prefix6}', 0, [RIB_HEAD]),
    ('global rib {cover4} longer-prefixes', 0, [RIB_HEAD]),
    ('global rib {prefix4} shorter-prefixes', 0, [RIB_HEAD]),
    ('global rib {absent4}', 0, [r'^Network not in table$']),
    ('global rib {absent4} -j', 0, [r'^\{\}$']),
    ('global rib foo', 1, [r'invalid CIDR/IP']),
    ('global rib summary', 0, SUMMARY4),
    ('global rib summary -j', 0, JSON),
    ('global rib summary -a ipv6', 0, SUMMARY6),
    ('neighbor', 0, [NEIGHBOR_HEAD, r'^{peer} +\d+ +[\dd: ]+ Establ +\| +\d+ +\d+$']),
    ('neighbor -j', 0, JSON),
    ('neighbor -q', 0, [r'^{peer}$']),
    ('neighbor -a ipv6', 0, [NEIGHBOR_HEAD]),
    ('neighbor {peer}', 0, NEIGHBOR_DETAIL),
    ('neighbor {peer} -j', 0, JSON),
    ('neighbor {down}', 0, [r'^BGP neighbor is {down}, remote AS \d+$', r'^  BGP state = (IDLE|CONNECT|ACTIVE)',
                            r'remote router ID unknown']),
    ('neighbor {down} -j', 0, JSON),
    ('neighbor {unknown}', 1, [r'^not found neighbor {unknown}$']),
    ('neighbor {unknown} -j', 1, [r'^\{"error":"not found neighbor {unknown}"\}$']),
    ('neighbor {peer} adj-in', 0, [ADJ_IN_OR_EMPTY]),
    ('neighbor {peer} adj-in -j', 0, JSON),
    ('neighbor {peer} adj-in summary', 0, [r'^Table afi:AFI_IP6? safi:SAFI_UNICAST$', r'^Destination: \d+, Path: \d+$']),
    ('neighbor {down} adj-in', 1, [r"^neighbor {down}'s BGP session is not established$"]),
    ('neighbor {peer} adj-out', 0, [ADJ_OUT_OR_EMPTY]),
    ('neighbor {peer} adj-out -j', 0, JSON),
    ('neighbor {peer} adj-out -a ipv6', 0, [ADJ_OUT_OR_EMPTY]),
    ('neighbor {peer} adj-out -a ipv4', 0, [ADJ_OUT_OR_EMPTY]),
    ('neighbor {peer} adj-out summary', 0, [r'^Table afi:AFI_IP6? safi:SAFI_UNICAST$', r'^Destination: \d+, Path: \d+$']),
    ('neighbor {peer} adj-out {peerprefix}', 0, [ADJ_OUT_OR_EMPTY]),
    ('neighbor {peer} local', 1, []),
]

# On the control connection (the Unix socket); no output but shutdown's warning.
CONTROL = [
    ('neighbor {peer} softreset', 0, [r'^$']),
    ('neighbor {peer} softresetin', 0, [r'^$']),
    ('neighbor {peer} softresetout', 0, [r'^$']),
    ('neighbor all softreset', 0, [r'^$']),
    ('neighbor {peer} disable', 0, [r'^$']),
    ('neighbor {peer} enable', 0, [r'^$']),
    ('neighbor {peer} reset', 0, [r'^$']),
    ('neighbor {peer} shutdown', 0, [r'^WARNING: command `shutdown` is deprecated\. use `disable` instead$']),
    ('neighbor {unknown} reset', 1, [r'^not found neighbor {unknown}$']),
]

# The route-changing commands (API writes on, Unix socket).
WRITES = [
    ('global rib add 10.5.0.0/33', 1, [r'invalid CIDR address']),
    ('global rib add 2001:db8::5/128', 1, [r'invalid ipv4 prefix']),
    ('global rib add {new4} community 65001:555', 0, [r'^$']),
    ('global rib -a ipv6 add {new6} nexthop 2001:db8::1 med 7', 0, [r'^$']),
    ('global rib del {new4}', 0, [r'^$']),
    ('global rib -a ipv6 del {new6}', 0, [r'^$']),
]

# Streams: killed by `timeout` (exit 124) after the given seconds.
MONITORS = [
    ('monitor global rib --current', [r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \[ROUTE\] \S+ via \S+ aspath \[[\d ]*\] attrs \[']),
    ('monitor global rib --current -j', JSON),
    ('monitor neighbor {peer}', []),
]


def templates():
    """Every template above, with the placeholders as written."""
    return [t for t, *_ in READ_ONLY + CONTROL + WRITES] + [t for t, _ in MONITORS]


def fill(template, values):
    return template.format(**values)


class Client:
    """The gobgp client with connection arguments, run by `argv_prefix` (e.g. `ip netns exec NS`)."""

    def __init__(self, conn, argv_prefix=(), gobgp='gobgp'):
        self.conn, self.prefix, self.gobgp = list(conn), list(argv_prefix), gobgp

    def argv(self, cmd):
        return [*self.prefix, self.gobgp, *self.conn, *cmd.split()]

    def run(self, cmd, timeout=20):
        r = subprocess.run(self.argv(cmd), capture_output=True, text=True, timeout=timeout)
        return r.returncode, r.stdout + r.stderr

    def stream(self, cmd, seconds):
        """A monitor run for `seconds` and then killed: (exit code, output)."""
        r = subprocess.run([*self.prefix, 'timeout', str(seconds), self.gobgp, *self.conn, *cmd.split()],
                           capture_output=True, text=True, timeout=seconds + 20)
        return r.returncode, r.stdout + r.stderr


def problems(cmd, code, out, want_code, patterns, values):
    """What is wrong with one run: [] when it exited as expected, did not panic and has
    every pattern (or parses as JSON)."""
    bad = []
    if PANIC.search(out):
        bad.append('the client panicked')
    if code != want_code:
        bad.append('exit %d, expected %d' % (code, want_code))
    if patterns == JSON:
        try:
            json.loads(out)
        except ValueError as e:
            bad.append('not JSON (%s)' % e)
    else:
        for p in patterns:
            p = p.replace('{', '{{').replace('}', '}}')
            for k in values:                  # only placeholders are filled, regex braces stay
                p = p.replace('{{%s}}' % k, re.escape(str(values[k])))
            p = p.replace('{{', '{').replace('}}', '}')
            if re.search(p, out, re.M) is None:
                bad.append('no line matching %r' % p)
    return ['gobgp %s: %s\n%s' % (cmd, b, out) for b in bad]


def check_shapes(client, shapes, values, report):
    """Runs every shape with `values` and calls report(description, ok, detail)."""
    for template, want_code, patterns in shapes:
        cmd = fill(template, values)
        code, out = client.run(cmd)
        bad = problems(cmd, code, out, want_code, patterns, values)
        report('shape: gobgp %s' % cmd, not bad, '\n'.join(bad))


def check_monitors(client, values, report, seconds=3):
    for template, patterns in MONITORS:
        cmd = fill(template, values)
        code, out = client.stream(cmd, seconds)
        bad = problems(cmd, code, out, 124, [] if patterns == JSON else patterns, values)
        if patterns == JSON:
            lines = [ln for ln in out.splitlines() if ln]
            try:
                ok = bool(lines) and all(isinstance(json.loads(ln), list) for ln in lines)
            except ValueError:
                ok = False
            if not ok:
                bad.append('gobgp %s: not one JSON array per line\n%s' % (cmd, out))
        report('shape: gobgp %s streams' % cmd, not bad, '\n'.join(bad))


def wait_established(client, peer, seconds=60):
    """Polls `gobgp neighbor` until `peer` is Established again; True when it is."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        _, out = client.run('neighbor')
        if re.search(r'^%s +\d+ +[\dd: ]+ Establ' % re.escape(peer), out, re.M):
            return True
        time.sleep(0.3)
    return False


# Values that fill every placeholder (for shape_of).
SAMPLE = {'peer': '10.0.0.2', 'peerprefix': '10.1.0.1/32', 'down': '10.0.9.9', 'unknown': '10.9.9.9', 'prefix4': '10.1.0.1/32',
          'address4': '10.77.1.2', 'cover4': '10.0.0.0/8', 'prefix6': '2001:db8::1/128', 'absent4': '172.16.0.1/32',
          'new4': '10.5.0.1/32', 'new6': '2001:db8::5/128'}
_ADDRESS = re.compile(r'^(\d+\.\d+\.\d+\.\d+|[0-9a-f]*:[0-9a-f:]*)(/\d+)?$')


def shape_of(cmd):
    """A command with every address and prefix replaced by X (valid ones: 10.5.0.0/33 is
    a shape of its own)."""
    return ' '.join('X' if _ADDRESS.match(w) and not w.endswith('/33') else w for w in cmd.split())


def shapes():
    return {shape_of(fill(t, SAMPLE)) for t in templates()}


def masked(text):
    """Output with what changes from run to run (times, ages, message counters) masked."""
    text = re.sub(r'(\d+d )?\d\d:\d\d:\d\d', 'T', text)
    text = re.sub(r'"(age|seconds)":\d+', r'"\1":T', text)
    text = re.sub(r'^(    [A-Z][A-Za-z ]+:)[\d ]+$', r'\1 N', text, flags=re.M)
    return re.sub(r'"messages":\{"received":\{[^}]*\},"sent":\{[^}]*\}\}', '"messages":N', text)
