"""Issue 13: three nodes each run `bgplb run --controller auto --datastore etcd://...` on a
3-member etcd cluster (etcd_cluster.py), with an FRR ToR. The objects go in with
`bgplbctl apply` and `bgplbctl delete`; one node's controller leads through etcd's
election and writes the ledger there.

Steps, each followed by the check that every running node's /v1/services equals the
ledger in etcd, `bgplbctl pools --datastore` counts as many addresses in use, exactly one
node leads and the others' last leader event names it, no service's addresses changed, and the ToR's FIB routes exactly the expected prefixes toward
exactly the expected nodes:

1. a seeded sequence of service edits (add, remove, move an endpoint);
2. kill -9 of the leading node in the middle of a burst of new services: another node
   leads within the lease TTL, the burst is allocated, nothing is renumbered; the killed
   node comes back and stands by; then SIGTERM of the leading node: it resigns and
   another leads at once (well before a lease could expire);
3. etcd's raft leader killed: quorum kept, the same node leads, an edit goes through; the
   member comes back;
4. two members killed: quorum lost. For twice the lease TTL and more, the ToR's routes and
   every node's view stay exactly as they were, every node's /readyz says the datastore is
   stale and why, and no node leads; when the members return everything converges on the
   same ledger and an edit goes through again.

A second rack (test_etcd_rack_survives_partitions_compaction_and_restart) cuts nodes off
etcd with blackhole routes in their namespace (BGP to the ToR stays up):

5. a standby node cut off: it keeps its routes and its view, its /readyz says the
   datastore is stale; the others go on (a service removed, one added, neither announced
   by the cut-off node), etcd compacts its history past the cut-off node's watch, and
   once the route is back the node lists again and converges without a flap: the ToR
   received no UPDATE from it all along;
6. the leading node cut off: it cannot renew its lease and steps down, another node leads
   within the TTL and allocates; back on the network, the node stands by;
7. every etcd member stopped and started again on its data: routes and views hold
   meanwhile, then everything converges on the same ledger and an edit goes through.

BGPLB_E2E_ETCD_STEPS (default 6) and BGPLB_E2E_ETCD_SEED (default 1313) shape step 1.
Prints the figures it sees (apply to FIB, takeover after kill -9, handover after SIGTERM)."""
import json
import os
import random
import time

import pytest

import etcd_cluster
import fabric
import manifests
from run_fabric import StoreFabric, converged, one_service_per_address, open_rack
from scenario import baseline

STEPS = int(os.environ.get('BGPLB_E2E_ETCD_STEPS', '6'))
SEED = int(os.environ.get('BGPLB_E2E_ETCD_SEED', '1313'))
PREFIX = '/e2e'
LEASE_TTL = 5.0  # four etcd election timeouts and more (docs/etcd.md)
PARAMS = 'lease-ttl=5s&timeout=1s'
CONVERGE = 20.0


class EtcdFabric(StoreFabric):
    """The rack on etcd: objects stored with `bgplbctl apply` and `bgplbctl delete` (run in
    the etcd namespace)."""

    def __init__(self, kind, bgplb, bgplbctl):
        super().__init__(kind, bgplb, bgplbctl)
        self.etcd = etcd_cluster.Cluster(self.topo, self.tor_ns, self.bridge, self.dir, fabric.PREFIXLEN)

    def uri(self):
        return self.etcd.uri(PREFIX, PARAMS)

    def datastore_args(self):
        return ['--datastore', self.uri()]

    def start(self, cluster, speakers_first=True):
        self.etcd.start()
        self.etcd.wait_ready()
        self.apply(cluster)
        return super().start(cluster, speakers_first=True)

    def put(self, paths):
        self.bgplbctl_run(['apply'] + [a for p in paths for a in ('-f', p)])

    def remove(self, obj):
        meta = obj['metadata']
        ns = ['-n', meta['namespace']] if meta.get('namespace') else []
        self.bgplbctl_run(['delete', obj['kind'], meta['name']] + ns)

    def partition(self, name, cut=True):
        """Cuts node `name` off every etcd member (blackhole routes in its namespace; its
        BGP session to the ToR stays up), or restores it."""
        for _, addr in etcd_cluster.MEMBERS:
            self.node_ns[name].run(['ip', 'route', 'add' if cut else 'del', 'blackhole', addr + '/32'])

    def bgplbctl_run(self, args):
        return self.etcd.ns.run([self.bgplbctl] + args + ['--datastore', self.uri()])

    def ledger(self):
        """{address: 'namespace/name'} of the ledger's service keys in etcd."""
        out = {}
        for value in self.etcd.get_prefix(PREFIX + '/v1/ledger/services/').values():
            item = json.loads(value)
            for ip in item['ips']:
                out[ip] = '%s/%s' % (item['namespace'], item['name'])
        return out

    def pools(self):
        """`bgplbctl pools --datastore ... -j`: {pool: addresses assigned} as the leader last
        wrote them to etcd."""
        r = self.etcd.ns.run([self.bgplbctl, 'pools', '--datastore', self.uri(), '-j'], check=False)
        if r.returncode != 0:
            return {'error': r.stderr.strip()}
        return {p['name']: p['assigned_ipv4'] for p in json.loads(r.stdout)['pools']}

    def logs(self, n=40):
        return super().logs(n) + '\n' + self.etcd.logs(n // 2)

    def close(self):
        # The nodes first (a stopping leader resigns through etcd), then etcd, then the rest.
        for name in list(self.speakers):
            self.stop_node(name)
        self.etcd.stop()
        super().close()


@pytest.fixture
def rack():
    yield from open_rack(EtcdFabric, etcd_cluster.missing_reason)


def log_time(line):
    """The timestamp that starts a log line ("2026-12-06T12:56:21.402+00:00 level=...")."""
    return line.split(' ', 1)[0]


def by_service(ledger):
    out = {}
    for ip, svc in ledger.items():
        out.setdefault(svc, set()).add(ip)
    return out


class Checks:
    """The checks every step ends with, and the edits the steps make. `known` remembers
    each service's addresses as first seen: a service is never renumbered."""

    def __init__(self, f, rng):
        self.f, self.rng = f, rng
        self.known = {}
        self.apply_to_fib_ms = []
        self.extra = 0

    def problem_now(self):
        return self.routes_problem() or self.leader_problem()

    def routes_problem(self):
        """Every view is the ledger, the ToR routes what it must, the pools count it."""
        f = self.f
        p = converged(f)
        if p is None:
            ledger = f.ledger()
            want, got = f.expected_fib(ledger), f.pool_fib()
            if want != got:
                p = 'the ToR routes %r, want %r' % (got, want)
            elif f.pools() != {'main': len(ledger)}:
                p = 'bgplbctl pools says %r, the ledger holds %d addresses' % (f.pools(), len(ledger))
        return p

    def leader_problem(self):
        """One node leads, and every other one names it in its last leader event."""
        f = self.f
        if len(f.leaders()) != 1:
            return 'leaders: %r' % sorted(f.leaders())
        [lead] = f.leaders()
        for name in sorted(set(f.speakers) - {lead}):
            last = (f.leader_events(name) or ['(none)'])[-1]
            if 'reason="not leading: %s pid ' % lead not in last:
                return 'node %s does not say that %s leads: %s' % (name, lead, last.strip())
        return None

    def settle(self, what):
        f = self.f
        end = time.monotonic() + CONVERGE
        problem = 'not checked'
        while time.monotonic() < end:
            f.check_alive()
            problem = self.problem_now()
            if problem is None:
                break
            time.sleep(0.2)
        assert problem is None, 'after %s: %s\n%s' % (what, problem, f.logs())
        conflicts = one_service_per_address(f)
        assert not conflicts, 'after %s: addresses with two services: %r' % (what, conflicts)
        ledger = f.ledger()
        self.not_renumbered(ledger, what)
        print('ok after %s: %d addresses, leader %s' % (what, len(ledger), sorted(f.leaders())))
        return ledger

    def not_renumbered(self, ledger, what):
        for svc, ips in by_service(ledger).items():
            assert self.known.setdefault(svc, ips) == ips, 'after %s: %s renumbered from %s to %s' % (
                what, svc, sorted(self.known[svc]), sorted(ips))

    def add(self, node=None, policy=None):
        self.extra += 1
        name = 'x%d' % self.extra
        node = node or self.rng.choice([n for n, _ in fabric.NODES])
        policy = policy or self.rng.choice(['Local', 'Cluster'])
        t = self.f.edit(lambda c: c.services.__setitem__(name, manifests.Service(
            name, policy, '10.96.1.%d' % self.extra, [manifests.Endpoint(node, '10.244.9.%d' % self.extra)])))
        return name, t

    def timed_add(self, what):
        """Adds a service with a ready endpoint; the time from `bgplbctl apply` (its start)
        until the ToR's FIB has a new pool route with that service's next hops."""
        f = self.f
        old = set(f.pool_fib())
        name, t = self.add()
        want = f.expected_hops(f.cluster.services[name])
        end = t + CONVERGE
        while time.monotonic() < end:
            new = {p: h for p, h in f.pool_fib().items() if p not in old}
            if new and all(h == want for h in new.values()):
                self.apply_to_fib_ms.append((time.monotonic() - t) * 1000)
                break
            time.sleep(0.01)
        return '%s %s' % (what, name)

    def wait(self, cond, timeout, what):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.f.check_alive()
            if cond():
                return time.monotonic()
            time.sleep(0.1)
        raise AssertionError('timed out (%.0fs) waiting until %s\n%s' % (timeout, what, self.f.logs()))


def test_etcd_rack_survives_controller_and_etcd_failures(rack):
    f = rack
    rng = random.Random(SEED)
    c = Checks(f, rng)
    figures = {}
    settle, add, timed_add = c.settle, c.add, c.timed_add

    f.start(baseline())
    f.wait_sessions()
    settle('start')

    # 1. Seeded edits.
    for step in range(STEPS):
        kind = rng.choice(['add', 'add', 'remove', 'move'])
        xs = sorted(s for s in f.cluster.services if s.startswith('x'))
        if kind == 'add' or not xs:
            what = timed_add('adding')
        elif kind == 'remove':
            name = rng.choice(xs)
            f.edit(lambda c: c.services.pop(name))
            what = 'removing %s' % name
        else:
            name, node = rng.choice(xs), rng.choice([n for n, _ in fabric.NODES])

            def move(c):
                c.services[name].endpoints[0].node = node
            f.edit(move)
            what = 'moving the endpoint of %s to %s' % (name, node)
        print('step %d: %s' % (step, what))
        settle(what)

    # 2. kill -9 of the leading node in the middle of a burst.
    [leader] = f.leaders()
    burst = [add()[0]]
    killed = time.monotonic()
    f.kill_node(leader)
    burst += [add()[0], add()[0]]
    end = killed + LEASE_TTL + 5
    while time.monotonic() < end and not f.leaders():
        time.sleep(0.05)
    took = time.monotonic() - killed
    assert f.leaders(), 'no node leads %.1fs after kill -9 of %s\n%s' % (took, leader, f.logs())
    print('takeover after kill -9 of %s: %s leads after %.0f ms (lease TTL %.0f ms)' % (
        leader, sorted(f.leaders()), took * 1000, LEASE_TTL * 1000))
    figures['takeover_ms'] = took * 1000
    assert took <= LEASE_TTL + 2.0, 'takeover took %.1fs, lease TTL %.0fs' % (took, LEASE_TTL)
    ledger = settle('kill -9 of the leading node %s during a burst of %s' % (leader, ', '.join(burst)))
    assert all('e2e/' + b in by_service(ledger) for b in burst), 'the burst not allocated: %r' % ledger
    f.start_node(leader)
    settle('%s restarted' % leader)
    assert f.leaders() != {leader}, 'the restarted node took the leadership back'

    # 2b. SIGTERM of the leading node: it resigns (revokes its lease), another leads at once.
    [leader] = f.leaders()
    stopped = time.monotonic()
    f.stop_node(leader)
    end = stopped + LEASE_TTL + 5
    while time.monotonic() < end and not f.leaders():
        time.sleep(0.01)
    took = time.monotonic() - stopped
    print('handover after SIGTERM of %s: %s leads after %.0f ms' % (leader, sorted(f.leaders()), took * 1000))
    figures['handover_ms'] = took * 1000
    assert took < LEASE_TTL - 1.0, 'handover after SIGTERM took %.1fs: the lease expired, nobody resigned' % took
    settle('SIGTERM of the leading node %s' % leader)
    f.start_node(leader)
    settle('%s restarted' % leader)

    # 3. etcd's raft leader killed: quorum kept.
    member = f.etcd.leader() or 'm1'
    leading = f.leaders()
    f.etcd.kill(member)
    print('killed etcd member %s (raft leader)' % member)
    end = time.monotonic() + 10
    while time.monotonic() < end and not f.etcd.leader():
        time.sleep(0.1)
    print('etcd member %s leads the raft now' % f.etcd.leader())
    settle('%s (%s)' % (timed_add('adding'), 'etcd member %s down' % member))
    assert f.leaders() == leading, 'the controller moved from %s to %s when etcd member %s went: %s' % (
        sorted(leading), sorted(f.leaders()), member, [f.leader_events(n)[-1].strip() for n in sorted(f.speakers)])
    f.etcd.start(member)
    f.etcd.wait_ready()
    settle('etcd member %s back' % member)

    # 4. Quorum lost: two members killed.
    before_ledger, before_fib = f.ledger(), f.pool_fib()
    before_leader = f.leaders()
    lost = f.etcd.running()[:2]
    for m in lost:
        f.etcd.kill(m)
    print('killed etcd members %s: no quorum' % lost)
    hold = 2 * LEASE_TTL + 4
    end = time.monotonic() + hold
    while time.monotonic() < end:
        f.check_alive()
        assert f.pool_fib() == before_fib, 'without quorum the ToR routes %r, before %r' % (f.pool_fib(), before_fib)
        for name in f.speakers:
            v = f.view(name)
            assert v == before_ledger, 'without quorum node %s sees %r, the ledger was %r' % (name, v, before_ledger)
        time.sleep(0.25)
    for name in f.speakers:
        code, body = f.readyz(name)
        assert code != 200 and 'datastore stale' in body, 'node %s readyz without quorum: %s %s' % (name, code, body)
    print('readyz without quorum: %s' % f.readyz(sorted(f.speakers)[0])[1][:200])
    assert not f.leaders(), 'leading without quorum: %r' % f.leaders()
    for name in before_leader:
        print('%s: %s' % (name, f.leader_events(name)[-1].strip()))
    for m in lost:
        f.etcd.start(m)
    f.etcd.wait_ready()
    after = settle('quorum back (%s restarted)' % lost)
    assert after == before_ledger, 'the ledger changed across the quorum loss: %r -> %r' % (before_ledger, after)
    for name in f.speakers:
        code, body = f.readyz(name)
        assert code == 200, 'node %s not ready after quorum returned: %s %s' % (name, code, body)
    settle(timed_add('adding after the quorum returned'))

    lat = sorted(c.apply_to_fib_ms)
    print('figures: takeover %.0f ms, handover %.0f ms; bgplbctl apply -> ToR FIB for %d new services: min %.0f ms, median %.0f ms, '
          'max %.0f ms' % (figures['takeover_ms'], figures['handover_ms'], len(lat), lat[0], lat[len(lat) // 2], lat[-1]))


def test_etcd_rack_survives_partitions_compaction_and_restart(rack):
    f = rack
    c = Checks(f, random.Random(SEED + 1))
    f.start(baseline())
    f.wait_sessions()
    c.settle('start')

    # 5. A standby cut off etcd while the others go on and etcd compacts past its watch.
    # The services changed meanwhile are Local with their endpoint elsewhere, so the cut
    # node announces nothing new when it is back: any UPDATE it sends would be a flap.
    [lead] = f.leaders()
    cut = sorted(set(f.speakers) - {lead})[0]
    elsewhere = lead
    first, _ = c.add(node=elsewhere, policy='Local')
    c.settle('adding %s' % first)
    held = f.view(cut)
    updates = f.router.counters(f.node_addr[cut])['updates_received']
    assert updates > 0, 'the ToR counts no UPDATE from %s, which announces %r' % (cut, held)
    f.partition(cut)
    print('cut %s off etcd' % cut)
    c.wait(lambda: (f.readyz(cut)[0] or 200) != 200, 15, '%s says its datastore is stale' % cut)
    code, body = f.readyz(cut)
    assert 'datastore stale' in body, 'node %s readyz while cut off: %s %s' % (cut, code, body)
    f.edit(lambda cl: cl.services.pop(first))
    second, _ = c.add(node=elsewhere, policy='Local')
    others = sorted(set(f.speakers) - {cut})
    c.wait(lambda: all(f.view(n) == f.ledger() for n in others) and 'e2e/' + second in by_service(f.ledger())
           and 'e2e/' + first not in by_service(f.ledger()), CONVERGE,
           'the connected nodes see %s gone and %s added' % (first, second))
    assert f.view(cut) == held, 'node %s changed its view while cut off: %r -> %r' % (cut, held, f.view(cut))
    assert f.leaders() == {lead}, 'the leader moved while a standby was cut off: %r' % f.leaders()
    rev = f.etcd.compact()
    print('etcd compacted at revision %d while %s was cut off' % (rev, cut))
    time.sleep(1)
    assert f.view(cut) == held, 'node %s changed its view while cut off: %r' % (cut, f.view(cut))
    f.partition(cut, cut=False)
    c.settle('%s back after etcd compacted past its watch' % cut)
    assert f.readyz(cut)[0] == 200, 'node %s not ready once back: %s' % (cut, f.readyz(cut))
    sent = f.router.counters(f.node_addr[cut])['updates_received'] - updates
    assert sent == 0, 'node %s sent %d UPDATEs across the partition and its healing: a flap' % (cut, sent)

    # 6. The leading node cut off: it steps down, another leads and allocates.
    [lead] = f.leaders()
    f.partition(lead)
    t0 = time.monotonic()
    print('cut the leading node %s off etcd' % lead)
    c.wait(lambda: f.leaders() - {lead}, LEASE_TTL + 5, 'another node leads')
    took = time.monotonic() - t0
    c.wait(lambda: lead not in f.leaders(), LEASE_TTL + 5, '%s steps down' % lead)
    print('%s steps down, %s leads %.0f ms after the cut (lease TTL %.0f ms): %s' % (
        lead, sorted(f.leaders()), took * 1000, LEASE_TTL * 1000, f.leader_events(lead)[-1].strip()))
    assert took <= LEASE_TTL + 3.0, 'takeover took %.1fs, lease TTL %.0fs' % (took, LEASE_TTL)
    # Never two leaders: the cut-off node's client gives up its lease no later than etcd
    # expires it, so it steps down before the next one leads (the logs' clocks are one).
    [new_lead] = f.leaders()
    events = f.leader_events(lead)
    led = max(i for i, e in enumerate(events) if 'leading=yes' in e)
    stepped_down = log_time(events[led + 1])
    took_over = log_time(f.leader_events(new_lead)[-1])
    print('%s stepped down at %s: %s' % (lead, stepped_down, events[led + 1].strip()))
    print('%s took over at %s' % (new_lead, took_over))
    assert stepped_down <= took_over, '%s still led at %s when %s took over at %s' % (
        lead, stepped_down, new_lead, took_over)
    third, _ = c.add()
    c.wait(lambda: 'e2e/' + third in by_service(f.ledger()), CONVERGE, 'the new leader allocates %s' % third)
    c.not_renumbered(f.ledger(), 'the leader was cut off')
    f.partition(lead, cut=False)
    c.settle('the old leader %s back' % lead)
    assert lead not in f.leaders(), 'the old leader took the lead back'

    # 7. Every etcd member stopped, then started again on its data.
    before_ledger, before_fib = f.ledger(), f.pool_fib()
    f.etcd.stop()
    print('stopped every etcd member')
    end = time.monotonic() + 2 * LEASE_TTL
    while time.monotonic() < end:
        f.check_alive()
        assert f.pool_fib() == before_fib, 'without etcd the ToR routes %r, before %r' % (f.pool_fib(), before_fib)
        time.sleep(0.25)
    for name in f.speakers:
        assert f.view(name) == before_ledger, 'without etcd node %s sees %r' % (name, f.view(name))
    f.etcd.start()
    f.etcd.wait_ready()
    after = c.settle('etcd restarted on its data')
    assert after == before_ledger, 'the ledger changed across the etcd restart: %r -> %r' % (before_ledger, after)
    c.settle(c.timed_add('adding after the etcd restart'))
