"""The real `gobgp` client (and bgplbctl) against a bgplb speaker whose peers are real
routers: FRR, BIRD, gobgpd and ExaBGP, each in a namespace of its own, all linked to the
speaker's namespace (api/test/api_speaker, path in $BGPLB_API_SPEAKER).

Real routers send capabilities bgplb's own sessions never do (FRR and BIRD: long-lived
graceful restart; FRR: hostname, extended message, Cisco route refresh; ...). Every command
shape the API compat test runs (api/test/gobgp_client.py) must exit as GoBGP's does, without
a Go panic, in GoBGP's format, for every one of these peers; control commands go over the
owner-only Unix socket and are audited.

The routers' OPENs are captured on the wire and are the test vectors of the capability
conversion (api/test/vectors/open/<router>.hex, checked by api_capability_test): a router
whose OPEN no longer has the capabilities of its vector fails here. BGPLB_UPDATE_GOLDEN=1
rewrites the vectors from this run (then regenerate the conversion's golden files).

  link 0  speaker 10.0.0.1      FRR 10.0.0.2        AS 65002  IPv4 session, hostname tor-frr
  link 1  speaker fd00:0:0:1::1 BIRD fd00:0:0:1::2  AS 65003  IPv6 session
  link 2  speaker 10.0.2.1      gobgpd 10.0.2.2     AS 65004
  link 3  speaker 10.0.3.1      ExaBGP 10.0.3.2     AS 65005  ExaBGP connects, the speaker listens
  and a peer 10.0.9.9 (AS 65009) that never comes up.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

import netns
import routers
from conftest import environment_problem
from exabgp_peer import ExaBGP

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'api', 'test'))
import gobgp_client  # noqa: E402

SPEAKER_AS = 65001
KINDS = ('frr', 'bird', 'gobgpd', 'exabgp')
ASN = {'frr': 65002, 'bird': 65003, 'gobgpd': 65004, 'exabgp': 65005}
DOWN = '10.0.9.9'
VECTORS = os.path.join(ROOT, 'api', 'test', 'vectors', 'open')


def problem():
    why = environment_problem()
    if why:
        return why
    speaker = os.environ.get('BGPLB_API_SPEAKER', '')
    if not os.access(speaker, os.X_OK):
        return 'BGPLB_API_SPEAKER (api/test/api_speaker) is not set or not built'
    missing = [b for k in ('frr', 'bird', 'gobgpd') for b in routers.ROUTERS[k].missing_binaries()]
    missing += ExaBGP.missing_binaries() + [b for b in ('tcpdump', 'tshark') if not shutil.which(b)]
    if missing:
        return 'not installed: %s' % ', '.join(missing)
    return None


class Rack:
    """The speaker and its four routers, up; `opens` = {kind: OPEN octets} from the wire."""

    def __init__(self):
        self.topo = netns.Topology('bgplb')
        self.procs, self.closers, self.opens = [], [], {}
        self.spk = self.topo.add_ns('spk')
        self.ns = {k: self.topo.add_ns(k[:3]) for k in KINDS}
        for k in KINDS:
            self.topo.link(self.spk, self.ns[k])
        fam = {'bird': 'ipv6'}
        self.addr = {k: self.ns[k].addr(fam.get(k, 'ipv4'), link=i) for i, k in enumerate(KINDS)}
        self.local = {k: self.spk.addr(fam.get(k, 'ipv4'), link=i) for i, k in enumerate(KINDS)}
        self.dir = netns.make_tempdir('api')
        os.chmod(self.dir, 0o700)
        self.socket = os.path.join(self.dir, 'api.sock')
        self.audit = os.path.join(self.dir, 'audit.log')
        self.pcap = os.path.join(self.dir, 'opens.pcap')

    # ---- bring-up
    def start(self):
        cap = self.spk.popen(['tcpdump', '-i', 'any', '-p', '-n', '-s', '0', '-U', '-w', self.pcap, 'tcp port 179'],
                             log_path=self.pcap + '.log')
        self.procs.append(cap)
        routers.wait_for(lambda: os.path.exists(self.pcap) or cap.poll() is not None, 10, 'tcpdump did not start')
        self._start_routers()
        argv = [netns.snapshot_binary(os.environ['BGPLB_API_SPEAKER']), '--asn', str(SPEAKER_AS),
                '--router-id', self.spk.addr('ipv4'), '--listen', '0.0.0.0', '--api', '127.0.0.1:50051',
                '--control-socket', self.socket, '--audit-log', self.audit, '--allow-writes']
        for k in KINDS:
            argv += ['--peer', '%s,%d,%s%s' % (self.addr[k], ASN[k], self.local[k], ',passive' if k == 'exabgp' else '')]
        argv += ['--peer', '%s,65009,%s' % (DOWN, self.spk.addr('ipv4'))]
        with open(os.path.join(self.dir, 'api_speaker.err'), 'wb') as err:
            self.speaker = self.spk.popen(argv, stdout=subprocess.PIPE, stderr=err)
        ready = self.speaker.stdout.readline().decode()
        assert ready.startswith('ready'), 'api_speaker did not start: %r\n%s' % (ready, self.logs())
        self.tcp = gobgp_client.Client(['-p', '50051'], self.spk.argv([]))
        self.unix = gobgp_client.Client(['--target', 'unix://' + self.socket], self.spk.argv([]))
        for k in KINDS:
            assert gobgp_client.wait_established(self.tcp, self.addr[k], 60), \
                '%s did not come up\n%s\n%s' % (k, self.tcp.run('neighbor')[1], self.logs())
        self._announce_from_routers()
        time.sleep(2)       # the routers' routes arrive, and every OPEN is in the capture
        netns.stop_process(cap, sig=signal.SIGINT)
        self.opens = self._opens_from_capture()
        return self

    def _start_routers(self):
        def cfg(k):
            fams = ('ipv6',) if k == 'bird' else ('ipv4', 'ipv6')   # BIRD: IPv6 routes on the IPv6 session
            return routers.RouterConfig(asn=ASN[k], router_id=self.ns[k].addr('ipv4', link=KINDS.index(k)), peers=[
                routers.PeerConfig(address=self.local[k], asn=SPEAKER_AS, local_address=self.addr[k], families=fams)])
        frr = routers.FRR(self.ns['frr'], cfg('frr'))
        self.closers.append(frr.close)
        frr.launch(frr.write_zebra_conf('tor-frr'), frr.bgpd_lines('tor-frr'))
        bird = routers.Bird(self.ns['bird'], cfg('bird'))
        self.closers.append(bird.close)
        bird.start()
        gobgpd = routers.GoBGP(self.ns['gobgpd'], cfg('gobgpd'))
        self.closers.append(gobgpd.close)
        gobgpd.start()
        exa = ExaBGP(self.ns['exabgp'], self.addr['exabgp'], self.local['exabgp'], ASN['exabgp'], SPEAKER_AS,
                     router_id=self.addr['exabgp'],
                     routes=['route 10.20.5.0/24 next-hop %s med 5 community [ 65005:1 ]' % self.addr['exabgp']])
        self.closers.append(exa.close)
        exa.start()
        self.routers = {'frr': frr, 'bird': bird, 'gobgpd': gobgpd, 'exabgp': exa}

    def _announce_from_routers(self):
        r = self.routers
        netns.run(['vtysh', '--vty_socket', r['frr'].dir, '-d', 'bgpd', '-c', 'configure terminal',
                   '-c', 'router bgp %d' % ASN['frr'], '-c', 'address-family ipv4 unicast',
                   '-c', 'network 10.20.2.0/24'])
        r['gobgpd'].cli('global', 'rib', 'add', '10.20.4.0/24', 'community', '65004:4')

    def _opens_from_capture(self):
        """{kind: the first OPEN each router sent us}, and 'bgplb': ours to FRR."""
        out = netns.run(['tshark', '-r', self.pcap, '-d', 'tcp.port==179,bgp', '-Y', 'bgp.type == 1',
                         '-T', 'fields', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'tcp.payload'], timeout=60).stdout
        by_src = {}
        for ln in out.splitlines():
            v4, v6, payload = (ln.split('\t') + ['', '', ''])[:3]
            src = v4 or v6
            data = bytes.fromhex(payload.replace(':', ''))
            while len(data) >= 19:      # the OPEN among the messages of the segment
                n = int.from_bytes(data[16:18], 'big')
                if data[18] == 1:
                    by_src.setdefault(src, data[:n])
                    break
                data = data[n:]
        opens = {k: by_src.get(self.addr[k]) for k in KINDS}
        opens['bgplb'] = by_src.get(self.local['frr'])
        return opens

    # ---- teardown and diagnostics
    def logs(self):
        out = []
        for fn in sorted(os.listdir(self.dir)):
            if fn.endswith(('.log', '.err')):
                with open(os.path.join(self.dir, fn), errors='replace') as f:
                    out.append('--- %s\n%s' % (fn, f.read()[-4000:]))
        return '\n'.join(out)

    def close(self):
        if getattr(self, 'speaker', None) is not None:
            netns.stop_process(self.speaker)
        for p in self.procs:
            netns.stop_process(p)
        for c in reversed(self.closers):
            c()
        netns.remove_tempdir(self.dir)
        self.topo.close()


@pytest.fixture(scope='module')
def rack():
    why = problem()
    if why:
        pytest.skip(why)
    r = Rack()
    try:
        yield r.start()
    finally:
        r.close()


def values(rack, kind):
    v = dict(gobgp_client.SAMPLE)
    v.update(peer=rack.addr[kind], down=DOWN, peerprefix=v['prefix6'] if ':' in rack.addr[kind] else v['prefix4'])
    return v


def collect(failures):
    def report(what, ok, detail=''):
        if not ok:
            failures.append('%s\n%s' % (what, detail))
    return report


@pytest.mark.parametrize('kind', KINDS)
def test_read_only_commands(rack, kind):
    failures = []
    gobgp_client.check_shapes(rack.tcp, gobgp_client.READ_ONLY, values(rack, kind), collect(failures))
    assert not failures, '\n\n'.join(failures)


@pytest.mark.parametrize('kind', KINDS)
def test_capabilities_shown(rack, kind):
    """What the router sent, as gobgp shows it; FRR and BIRD send LLGR (code 71)."""
    _, out = rack.tcp.run('neighbor %s' % rack.addr[kind])
    assert not gobgp_client.PANIC.search(out), out
    assert re.search(r'^    4-octet-as:\tadvertised and received$', out, re.M), out
    if kind in ('frr', 'bird'):
        assert re.search(r'^    long-lived-graceful-restart:\t(advertised and )?received$', out, re.M), out
    if kind == 'frr':
        assert re.search(r'^         name: tor-frr, domain: $', out, re.M), out


def test_routers_routes_in_adj_in(rack):
    _, out = rack.tcp.run('neighbor %s adj-in' % rack.addr['gobgpd'])
    assert re.search(r'10\.20\.4\.0/24 +%s +65004 .*\{Communities: 65004:4\}' % re.escape(rack.addr['gobgpd']), out), out
    _, out = rack.tcp.run('neighbor %s adj-in' % rack.addr['exabgp'])
    assert re.search(r'10\.20\.5\.0/24 +%s +65005 .*\{Med: 5\} \{Communities: 65005:1\}' % re.escape(rack.addr['exabgp']),
                     out), out
    _, out = rack.tcp.run('neighbor %s adj-in' % rack.addr['frr'])
    assert re.search(r'10\.20\.2\.0/24 +%s +65002 ' % re.escape(rack.addr['frr']), out), out


def test_bgplbctl_prints_what_gobgp_prints(rack):
    ctl = os.environ.get('BGPLB_BGPLBCTL')
    if not ctl or not os.access(ctl, os.X_OK):
        pytest.skip('BGPLB_BGPLBCTL (bgplbctl) is not set or not built')
    mine = gobgp_client.Client(['-p', '50051'], rack.spk.argv([]), gobgp=ctl)
    failures = []
    for kind in KINDS:
        for cmd in ('neighbor', 'neighbor %s' % rack.addr[kind], 'neighbor %s -j' % rack.addr[kind],
                    'neighbor %s adj-in' % rack.addr[kind], 'neighbor %s adj-out' % rack.addr[kind]):
            want, got = rack.tcp.run(cmd), mine.run(cmd)
            if want[0] != got[0] or gobgp_client.masked(want[1]) != gobgp_client.masked(got[1]):
                failures.append('%s\ngobgp (exit %d):\n%s\nbgplbctl (exit %d):\n%s' % (cmd, *want, *got))
    assert not failures, '\n\n'.join(failures)


def test_monitors(rack):
    failures = []
    gobgp_client.check_monitors(rack.tcp, values(rack, 'frr'), collect(failures))
    assert not failures, '\n\n'.join(failures)


@pytest.mark.parametrize('kind', KINDS)
def test_control_commands(rack, kind):
    """On the Unix socket: each works and the session comes back; over TCP: refused."""
    v = values(rack, kind)
    failures = []
    report = collect(failures)
    code, out = rack.tcp.run('neighbor %s reset' % v['peer'])
    report('reset over TCP is refused', code == 1 and 'code = PermissionDenied' in out and 'Unix socket' in out, out)
    for template, want_code, patterns in gobgp_client.CONTROL:
        cmd = gobgp_client.fill(template, v)
        code, out = rack.unix.run(cmd)
        bad = gobgp_client.problems(cmd, code, out, want_code, patterns, v)
        report('gobgp %s' % cmd, not bad, '\n'.join(bad))
        back = cmd.endswith('disable') or gobgp_client.wait_established(rack.tcp, v['peer'], 60)
        if want_code == 0 and not back:
            report('%s: %s comes back after %s' % (kind, v['peer'], cmd), False, rack.tcp.run('neighbor')[1])
    with open(rack.audit) as f:
        audit = f.read()
    report('the TCP attempt is audited as refused', re.search(
        r'rpc=ResetPeer transport=tcp caller="127\.0\.0\.1:\d+" .*request="address=%s .*allowed=0 status=7'
        % re.escape(v['peer']), audit) is not None, audit)
    report('the Unix calls are audited with uid and pid', re.search(
        r'rpc=DisablePeer transport=unix caller="uid=0 pid=\d+" uid=0 pid=\d+ request="address=%s.*allowed=1 status=0'
        % re.escape(v['peer']), audit) is not None, audit)
    assert not failures, '\n\n'.join(failures)


def test_writes(rack):
    failures = []
    v = values(rack, 'frr')
    gobgp_client.check_shapes(rack.unix, gobgp_client.WRITES, v, collect(failures))
    code, out = rack.tcp.run('global rib add 10.5.0.9/32')
    if code != 1 or 'Unix socket' not in out:
        failures.append('AddPath over TCP not refused: %d %s' % (code, out))
    assert not failures, '\n\n'.join(failures)


def opens_vector(path):
    with open(path) as f:
        return bytes.fromhex(''.join(f.read().split()))


def capability_codes(open_msg):
    """Capability codes of an OPEN (RFC 5492 in RFC 4271 §4.2 optional parameters)."""
    i, end, codes = 29, 29 + open_msg[28], []
    while i < end:
        ptype, plen = open_msg[i], open_msg[i + 1]
        j = i + 2
        while ptype == 2 and j < i + 2 + plen:
            codes.append(open_msg[j])
            j += 2 + open_msg[j + 1]
        i += 2 + plen
    return codes


@pytest.mark.parametrize('kind', KINDS + ('bgplb',))
def test_open_is_a_vector(rack, kind):
    got = rack.opens.get(kind)
    assert got, 'no OPEN from %s in the capture' % kind
    path = os.path.join(VECTORS, '%s.hex' % kind)
    if os.environ.get('BGPLB_UPDATE_GOLDEN') == '1':
        os.makedirs(VECTORS, exist_ok=True)
        with open(path, 'w') as f:
            f.write(got.hex() + '\n')
    assert os.path.exists(path), '%s missing: run with BGPLB_UPDATE_GOLDEN=1' % path
    want = opens_vector(path)
    assert sorted(capability_codes(got)) == sorted(capability_codes(want)), \
        '%s now sends capabilities %s, the vector has %s: BGPLB_UPDATE_GOLDEN=1 refreshes it' % (
            kind, capability_codes(got), capability_codes(want))
