"""Assertions shared by the test modules: a route at the router carries exactly what the
speaker sent, and samplers that watch the router's table over time."""
import os
import signal
import threading
import time

import netns
import routers


def assert_route_matches(bed, got, sent):
    """`got` (routers.Route at the router) against `sent` (the tool's route object)."""
    assert got is not None, 'route %s missing at %s' % (sent['prefix'], bed.kind)
    where = '%s %s: route %s: ' % (bed.kind, 'iBGP' if bed.ibgp else 'eBGP', sent['prefix'])
    assert got.as_path == bed.expected_as_path(sent), where + 'AS path %r' % got.as_path
    assert got.next_hop == sent['next_hop'], where + 'next hop %r' % got.next_hop
    assert got.communities == sorted(routers.normalize_community(c) for c in sent.get('communities', [])), \
        where + 'communities %r' % got.communities
    assert got.large_communities == sorted(sent.get('large_communities', [])), \
        where + 'large communities %r' % got.large_communities
    assert got.med == sent.get('med'), where + 'MED %r' % got.med
    if bed.ibgp:
        assert got.local_pref == sent.get('local_pref', 100), where + 'LOCAL_PREF %r' % got.local_pref
    else:
        # LOCAL_PREF is not sent on eBGP (RFC 4271 §5.1.5); BIRD shows its default 100.
        assert got.local_pref in (None, 100), where + 'LOCAL_PREF %r leaked over eBGP' % got.local_pref
    if 'origin' in sent:
        assert got.origin == sent['origin'], where + 'ORIGIN %r' % got.origin
    assert not got.stale, where + 'stale'


class Sampler:
    """Polls router.all_routes() in a thread: samples = [(monotonic t, {prefix: Route})]."""

    def __init__(self, router, interval=0.1):
        self.router, self.interval = router, interval
        self.samples = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _sample(self):
        try:
            r = self.router.all_routes()
        except Exception as e:              # the router's CLI must answer throughout
            r = e
        self.samples.append((time.monotonic(), r))

    def _run(self):
        while not self._stop.is_set():
            self._sample()
            time.sleep(self.interval)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join(timeout=30)
        # One sample after the block: under load a poll can take longer than the block's
        # own final check, and the state the block waited for must be in the record.
        self._sample()
        return False

    def first(self, pred, after=0.0):
        for t, r in self.samples:
            if t >= after and isinstance(r, dict) and pred(r):
                return t
        return None

    def gaps(self, prefix, after=0.0, until=None):
        """Samples (t) in [after, until] where prefix was absent."""
        return [t for t, r in self.samples
                if t >= after and (until is None or t <= until) and (not isinstance(r, dict) or prefix not in r)]


class Capture:
    """tcpdump of the BGP session on the router's side of the link, decoded by tshark after
    the fact: an independent record of what our speaker put on the wire. Not promiscuous
    (-p): the flag change reaches FRR's zebra as an interface event and bgpd resets its
    directly connected eBGP sessions."""
    FIELDS = ('frame.time_epoch', 'bgp.type', 'bgp.withdrawn_prefix', 'bgp.mp_unreach_nlri_ipv4_prefix',
              'bgp.mp_unreach_nlri_ipv6_prefix', 'bgp.nlri_prefix', 'bgp.mp_reach_nlri_ipv6_prefix',
              'bgp.notify.major_error', 'bgp.notify.minor_error_cease', 'bgp.notify.communication')

    def __init__(self, ns, ifname, workdir):
        self.ns, self.ifname = ns, ifname
        self.path = os.path.join(workdir, 'bgp-%s.pcap' % ifname)
        self.proc = None

    def __enter__(self):
        self.proc = self.ns.popen(['tcpdump', '-i', self.ifname, '-p', '-n', '-s', '0', '-U', '--immediate-mode',
                                   '-Z', 'root', '-w', self.path, 'tcp port 179'], log_path=self.path + '.log')
        routers.wait_for(lambda: 'listening on' in self._log() or self.proc.poll() is not None, 10,
                         'tcpdump did not start')
        if self.proc.poll() is not None:
            raise RuntimeError('tcpdump failed: %s' % self._log())
        return self

    def _log(self):
        with open(self.path + '.log', errors='replace') as f:
            return f.read()

    def __exit__(self, *exc):
        time.sleep(0.3)
        netns.stop_process(self.proc, sig=signal.SIGINT)
        return False

    def messages(self, src):
        """[{t, types, withdrawn, announced, notification: (code, subcode, text) | None}], one
        per frame sent by `src`."""
        ipf = 'ipv6.src' if ':' in src else 'ip.src'
        argv = ['tshark', '-r', self.path, '-d', 'tcp.port==179,bgp', '-Y', 'bgp && %s==%s' % (ipf, src),
                '-T', 'fields', '-E', 'separator=\t', '-E', 'aggregator=,']
        for f in self.FIELDS:
            argv += ['-e', f]
        out = netns.run(argv, timeout=60).stdout
        msgs = []
        for ln in out.splitlines():
            f = (ln.split('\t') + [''] * len(self.FIELDS))[:len(self.FIELDS)]
            lst = [x.split(',') if x else [] for x in f]
            notif = None
            if lst[7]:
                notif = (int(lst[7][0]), int(lst[8][0]) if lst[8] else None, f[9])
            msgs.append({'t': float(f[0]), 'types': [int(x) for x in lst[1]],
                         'withdrawn': set(lst[2] + lst[3] + lst[4]), 'announced': set(lst[5] + lst[6]),
                         'notification': notif})
        return msgs
