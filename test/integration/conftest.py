"""Fixtures for the interop suite: a test bed is two namespaces joined by one veth,
our speaker in `spk` (10.0.0.1, fd00::1), a real router in `rtr` (10.0.0.2, fd00::2).

Skips (with the reason) when not root, when a router's binaries are missing, or when
$BGPLB_ANNOUNCER is unset or not built. SIGTERM/SIGHUP become KeyboardInterrupt so that
pytest tears fixtures down; netns.cleanup_all() (atexit) removes whatever is left.
"""
import contextlib
import os
import shutil
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import announcer  # noqa: E402
import netns  # noqa: E402
import routers  # noqa: E402

ROUTER_KINDS = ('gobgpd', 'bird', 'frr')
SPEAKER_AS, ROUTER_AS = 65001, 65002
SPEAKER_AS4, ROUTER_AS4 = 4200000001, 4200000002

_active_beds = []


def pytest_configure(config):
    netns.prepare_pytest_run()
    kind, path = announcer.announcer_setting()
    if kind == 'bgplb' and not path.endswith('.py'):
        os.environ['BGPLB_ANNOUNCER'] = netns.snapshot_binary(path)


def environment_problem():
    if os.geteuid() != 0:
        return 'needs root (network namespaces, veth, TCP MD5)'
    if not shutil.which('ip'):
        return 'iproute2 (ip) is not installed'
    kind, why = announcer.announcer_setting()
    if kind is None:
        return why
    return None


def router_problem(kind):
    missing = routers.ROUTERS[kind].missing_binaries()
    if missing:
        return '%s not installed (%s)' % (kind, ', '.join(missing))
    return None


def require(kind):
    why = environment_problem() or router_problem(kind)
    if why:
        pytest.skip(why)


@pytest.fixture(params=ROUTER_KINDS)
def router_kind(request):
    require(request.param)
    return request.param


class Bed:
    """One speaker, one router, one link. `transport` picks the session's address family."""

    def __init__(self, router_kind, transport='ipv4', speaker_as=SPEAKER_AS, router_as=ROUTER_AS,
                 speaker_password=None, router_password=None, graceful_restart=None, drain=None,
                 hold_time=9, router_hold_time=None, routes=(), speaker_passive=False,
                 router_passive=False, router_gr=True, router_port=179, speaker_port=179):
        self.kind, self.transport = router_kind, transport
        self.speaker_as, self.router_as = speaker_as, router_as
        self.ibgp = speaker_as == router_as
        self.topo = netns.Topology('bgplb')
        self.stack = contextlib.ExitStack()
        self.stack.callback(self.topo.close)
        self.spk_ns = self.topo.add_ns('spk')
        self.rtr_ns = self.topo.add_ns('rtr')
        self.topo.link(self.spk_ns, self.rtr_ns)
        self.spk_addr = self.spk_ns.addr(transport)
        self.rtr_addr = self.rtr_ns.addr(transport)
        self.nh = {'ipv4': self.spk_ns.addr('ipv4'), 'ipv6': self.spk_ns.addr('ipv6')}
        rcfg = routers.RouterConfig(
            asn=router_as, router_id=self.rtr_ns.addr('ipv4'), port=router_port,
            peers=[routers.PeerConfig(address=self.spk_addr, asn=speaker_as, local_address=self.rtr_addr,
                                      passive=router_passive, password=router_password, port=speaker_port,
                                      hold_time=router_hold_time or hold_time, graceful_restart=router_gr)])
        self.router = routers.make_router(router_kind, self.rtr_ns, rcfg)
        self.stack.callback(self.router.close)
        peer = {'address': self.rtr_addr, 'asn': router_as, 'local_address': self.spk_addr,
                'passive': speaker_passive, 'hold_time': hold_time, 'connect_retry': 1, 'port': router_port}
        if speaker_password:
            peer['password'] = speaker_password
        scfg = announcer.speaker_config(speaker_as, self.spk_ns.addr('ipv4'), [peer], routes=routes,
                                        graceful_restart=graceful_restart, drain=drain,
                                        listen={'address': self.spk_addr, 'port': speaker_port}
                                        if speaker_port != 179 else None)
        self.speaker = announcer.make_speaker(self.spk_ns, scfg)
        self.stack.callback(self.speaker.close)

    def start(self):
        self.router.start()
        self.speaker.start()
        return self

    def wait_up(self, timeout=40):
        def up():
            if not self.speaker.alive():
                raise AssertionError('speaker exited (%s) before the session came up\n%s' % (
                    self.speaker.proc.poll() if self.speaker.proc else None, self.speaker.log_tail()))
            return self.router.session_state(self.spk_addr) == 'established'
        routers.wait_for(up, timeout, lambda: '%s: session with %s not established (now %r)' % (
            self.kind, self.spk_addr, self.router.session_state(self.spk_addr)))
        self.speaker.wait_state(self.rtr_addr, timeout=10)

    def route(self, prefix, **kw):
        """A route object for the tool, next hop = the speaker's address of its family."""
        fam = routers._family(prefix)
        r = {'prefix': prefix, 'next_hop': self.nh[fam]}
        r.update(kw)
        return r

    def expected_as_path(self, route):
        """eBGP: our AS, then the route's prepends; iBGP: the prepends only (RFC 4271 §5.1.2)."""
        pre = list(route.get('as_path_prepend', []))
        return pre if self.ibgp else [self.speaker_as] + pre

    def logs(self):
        return '\n'.join([self.speaker.log_tail(), self.router.log_tail()])

    def close(self):
        self.stack.close()

    def __enter__(self):
        _active_beds.append(self)
        try:
            return self.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __exit__(self, *exc):
        if self in _active_beds:
            _active_beds.remove(self)
        self.close()
        return False


@pytest.fixture
def bed_factory():
    """bed_factory(kind, **options) -> a started Bed, closed after the test."""
    beds = []

    def make(kind, **kw):
        b = Bed(kind, **kw)
        beds.append(b)
        return b.__enter__()
    yield make
    for b in reversed(beds):
        b.__exit__(None, None, None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and _active_beds:
        for b in _active_beds:
            try:
                rep.sections.append(('logs of %s bed' % b.kind, b.logs()))
            except Exception as e:      # never hide the real failure
                rep.sections.append(('logs', 'could not read logs: %r' % e))
