"""Issue 13: the etcd rack as a cluster deploys it, in separate processes: bgplb-speaker
on every node (the DaemonSet) and two bgplb-controller replicas, on node1 and node2 (the
Deployment), electing their leader through etcd (etcd_cluster.py, FRR ToR).

After every step every speaker's /v1/services equals the ledger in etcd, the ToR routes
exactly the expected prefixes toward exactly the expected nodes, one controller leads and
no service's addresses changed. Steps: start; a service added; kill -9 of the leading
controller in the middle of a burst (the other replica leads within the lease TTL, the
burst is allocated, the speakers never stop announcing what they had); the killed replica
back (it stands by); a speaker restarted (it reads the ledger from etcd and announces
again)."""
import os
import random
import signal
import time

import pytest

import etcd_cluster
import fabric
import netns
from run_fabric import one_service_per_address, open_rack, stop_gracefully
from scenario import baseline
from test_etcd_multinode import LEASE_TTL, SEED, Checks, EtcdFabric

REPLICAS = ('node1', 'node2')


class SplitFabric(EtcdFabric):
    """bgplb-speaker per node and two bgplb-controller replicas, all on etcd."""

    def __init__(self, kind, bgplb, bgplbctl):
        super().__init__(kind, bgplb, bgplbctl)
        speaker, controller = fabric.binaries()
        self.speaker_bin, self.controller_bin = netns.snapshot_binary(speaker), netns.snapshot_binary(controller)
        self.controllers = {}       # replica (the node it runs on) -> Popen

    def _start_controller(self):
        for name in REPLICAS:
            self.start_controller(name)

    def start_controller(self, name):
        self.controllers[name] = self.node_ns[name].popen(
            [self.controller_bin] + self.datastore_args() + ['--metrics-address', '%s:7473' % self.node_addr[name]],
            log_path=self.controller_log(name))

    def kill_controller(self, name):
        netns.stop_process(self.controllers.pop(name), sig=signal.SIGKILL, grace=2.0)

    def controller_log(self, name):
        return os.path.join(self.dir, 'controller-%s.log' % name)

    def start_node(self, name):
        self.speakers[name] = self.node_ns[name].popen(
            [self.speaker_bin] + self.datastore_args() +
            ['--node', name, '--metrics-address', '%s:7472' % self.node_addr[name], '--api-address', '',
             '--api-socket', os.path.join(self.dir, 'api-%s.sock' % name), '--shutdown-drain', '0',
             '--dataplane', 'off'],
            log_path=self.speaker_log(name))

    def leaders(self):
        """Running replicas whose log says they lead now."""
        return {n for n in self.controllers if 'leading=yes' in (self.leader_events(n) or ['-'])[-1]}

    def leader_events(self, name):
        try:
            with open(self.controller_log(name)) as f:
                return [ln for ln in f if 'event=leader ' in ln]
        except OSError:
            return []

    def check_alive(self):
        dead = {n: p.returncode for n, p in self.speakers.items() if p.poll() is not None}
        dead.update({'controller ' + n: p.returncode for n, p in self.controllers.items() if p.poll() is not None})
        if dead:
            raise AssertionError('exited early: %s\n%s' % (dead, self.logs()))
        return False

    def logs(self, n=40):
        out = [super().logs(n)]
        for name in REPLICAS:
            try:
                with open(self.controller_log(name), errors='replace') as f:
                    lines = f.read().splitlines()
            except OSError:
                continue
            out.append('--- controller-%s.log (last %d of %d lines)' % (name, min(n, len(lines)), len(lines)))
            out += lines[-n:]
        return '\n'.join(out)

    def close(self):
        for name in list(self.controllers):
            stop_gracefully(self.controllers.pop(name))
        super().close()


class SplitChecks(Checks):
    def leader_problem(self):
        leaders = self.f.leaders()
        return None if len(leaders) == 1 else 'leading controllers: %r' % sorted(leaders)


@pytest.fixture
def rack():
    yield from open_rack(SplitFabric, etcd_cluster.missing_reason)


def test_etcd_rack_of_separate_speakers_and_controllers(rack):
    f = rack
    c = SplitChecks(f, random.Random(SEED + 2))
    f.start(baseline())
    f.wait_sessions()
    c.settle('start')
    c.settle(c.timed_add('adding'))

    # kill -9 of the leading controller in the middle of a burst: the speakers keep
    # announcing throughout, the other replica leads within the TTL and allocates the burst.
    [lead] = f.leaders()
    held_fib = f.pool_fib()
    burst = [c.add()[0]]
    killed = time.monotonic()
    f.kill_controller(lead)
    burst += [c.add()[0], c.add()[0]]
    while time.monotonic() < killed + LEASE_TTL + 5 and not f.leaders():
        fib = f.pool_fib()
        moved = {p: fib.get(p) for p, h in held_fib.items() if fib.get(p) != h}
        assert not moved, 'without a controller the ToR routes changed: %r, before %r' % (moved, held_fib)
        time.sleep(0.05)
    took = time.monotonic() - killed
    assert f.leaders(), 'no controller leads %.1fs after kill -9 of the one on %s\n%s' % (took, lead, f.logs())
    print('controller takeover after kill -9 of the replica on %s: the one on %s leads after %.0f ms (lease TTL %.0f ms)'
          % (lead, sorted(f.leaders()), took * 1000, LEASE_TTL * 1000))
    assert took <= LEASE_TTL + 2.0, 'takeover took %.1fs, lease TTL %.0fs' % (took, LEASE_TTL)
    ledger = c.settle('kill -9 of the leading controller during a burst of %s' % ', '.join(burst))
    assert all('e2e/' + b in {v for v in ledger.values()} for b in burst), 'the burst not allocated: %r' % ledger
    f.start_controller(lead)
    c.settle('the killed replica back')
    assert f.leaders() != {lead}, 'the restarted replica took the lead back'

    # A speaker restarted: it reads the ledger from etcd and announces it again.
    name = fabric.NODES[2][0]
    f.stop_node(name)
    f.start_node(name)
    c.settle('speaker %s restarted' % name)
    assert not one_service_per_address(f)
