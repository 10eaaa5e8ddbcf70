#!/usr/bin/env python3
"""Failover at the ToR's FIB with BFD (on demand, root): the e2e rack (test/e2e/fabric.py:
three bgplb-speaker nodes, bgplb-controller, an FRR or BIRD ToR) with a BFDProfile of
--interval ms x --mult on the BGPPeer and BFD on the ToR toward node1 only. Each trial cuts
node1 (and node2, which has no BFD at the ToR, as the hold-time reference of the same
run) and takes the time from the cut until the ToR's kernel FIB holds none of the node's
routes; then restores the links and takes the time until each node's routes are back.

The FIB is followed with `ip -o monitor route` in the ToR's namespace (each line stamped
on arrival), starting from a dump, so the time is the moment the kernel told about the
last change, not a polling period. Cuts as in test/e2e/test_bfd.py:

  link-down  `ip link set <veth> down` inside the node namespace
  drop       nftables in the node namespace drops everything the node sends on its link

    sudo python3 test/bench/bfd/fib_failover.py --trials 10                 # FRR ToR
    sudo python3 test/bench/bfd/fib_failover.py --router bird --trials 10

Binaries from $BGPLB_BUILD_DIR (default build/), or $BGPLB_SPEAKER / $BGPLB_CONTROLLER.
Target (issue 14): with 100 ms x 3, node1's routes out of the FIB in under 400 ms.
"""
import argparse
import json
import os
import queue
import random
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, 'test', 'e2e'))
sys.path.insert(0, os.path.join(ROOT, 'test', 'integration'))

import fabric as fabric_mod  # noqa: E402
import netns  # noqa: E402
import routers  # noqa: E402
import scenario  # noqa: E402
import tor as tor_mod  # noqa: E402


class FibMonitor:
    """The ToR's IPv4 FIB as {prefix: set(gateways)}, kept from `ip -o monitor route`
    lines, each applied with the monotonic time it arrived at."""

    def __init__(self, ns):
        self.lines = queue.Queue()
        self.proc = ns.popen(['ip', '-o', '-4', 'monitor', 'route'], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        threading.Thread(target=self._read, daemon=True).start()
        time.sleep(0.2)     # subscribed before the dump below
        self.fib = {p: set(h) for p, h in tor_mod.fib(ns).items()}

    def _read(self):
        for raw in self.proc.stdout:
            self.lines.put((time.monotonic(), raw.decode(errors='replace')))

    def apply(self, line):
        f = line.replace('\\', ' ').split()
        deleted = bool(f) and f[0] == 'Deleted'
        if deleted:
            f = f[1:]
        if not f or 'table' in f and f[f.index('table') + 1] != 'main' or f[0] in ('local', 'broadcast', 'multicast'):
            return
        dst = f[0] if '/' in f[0] else f[0] + '/32'
        hops = {f[i + 1] for i, w in enumerate(f[:-1]) if w == 'via'}
        if deleted:
            self.fib.pop(dst, None)
        elif hops:
            self.fib[dst] = hops
        else:
            self.fib.pop(dst, None)

    def wait_gone(self, address, timeout):
        """Applies lines until no prefix goes via `address`; the arrival time of that line."""
        end = time.monotonic() + timeout
        while any(address in h for h in self.fib.values()):
            try:
                t, line = self.lines.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                raise RuntimeError('routes via %s still in the FIB after %.0f s: %r' % (address, timeout, self.fib))
            self.apply(line)
            if not any(address in h for h in self.fib.values()):
                return t
        return time.monotonic()

    def drain(self):
        while True:
            try:
                self.apply(self.lines.get_nowait()[1])
            except queue.Empty:
                return

    def close(self):
        netns.stop_process(self.proc)


def settled(f, interval_ms):
    s = f.speaker_bfd('node1').get('sessions', [])
    return bool(s) and s[0].get('state') == 'Up' and not s[0].get('poll') and \
        s[0].get('tx_interval_us') == interval_ms * 1000 and not s[0].get('bgp_held_down')


def trial(f, mon, method, hold_reference, ip_local):
    addr = f.node_addr
    cut = ['node1'] + (['node2'] if hold_reference else [])
    time.sleep(0.3 + random.random() * 0.2)         # a random phase of the BFD interval
    mon.drain()
    t0 = time.monotonic()
    for n in cut:
        f.cut(n, method)
    t1 = time.monotonic()
    t_cut = t0 if len(cut) == 1 else (t0 + t1) / 2
    out = {}
    try:
        out['bfd_ms'] = (mon.wait_gone(addr['node1'], 10) - t_cut) * 1000
        if hold_reference:
            out['hold_ms'] = (mon.wait_gone(addr['node2'], 30) - t_cut) * 1000
    finally:
        for n in cut:
            f.restore(n, method)
    t_back = time.monotonic()
    for n in cut:
        routers.wait_for(lambda: n in f.hops(ip_local), 60, '%s not back in the FIB 60 s after the link' % n, interval=0.02)
        out['back_%s_s' % n] = time.monotonic() - t_back
    return out


def summary(values):
    return {'min': round(min(values), 1), 'median': round(statistics.median(values), 1), 'max': round(max(values), 1),
            'all': [round(v, 1) for v in values]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--router', choices=sorted(tor_mod.TORS), default='frr')
    ap.add_argument('--trials', type=int, default=5)
    ap.add_argument('--interval', type=int, default=100, help='BFD transmit and receive interval, ms (both sides)')
    ap.add_argument('--mult', type=int, default=3)
    ap.add_argument('--methods', default=','.join(fabric_mod.CUT_METHODS))
    ap.add_argument('--no-hold-reference', action='store_true', help='cut node1 only')
    a = ap.parse_args()
    why = fabric_mod.problem(a.router)
    if why:
        sys.exit(why)
    speaker, controller = fabric_mod.binaries()
    f = fabric_mod.Fabric(a.router, netns.snapshot_binary(speaker), netns.snapshot_binary(controller),
                          bfd=tor_mod.Bfd(peers=(dict(fabric_mod.NODES)['node1'],), interval_ms=a.interval, mult=a.mult))
    cluster = scenario.baseline()
    cluster.bfd_profile = {'receiveInterval': a.interval, 'transmitInterval': a.interval, 'detectMultiplier': a.mult}
    results = {'router': a.router, 'bfd': '%d ms x %d' % (a.interval, a.mult), 'hold_time_s': 9,
               'loadavg_before': os.getloadavg()[0]}
    mon = None
    try:
        f.start(cluster)
        f.wait_sessions()
        ip_local = f.service_ip(scenario.LOCAL)
        f.wait_hops(ip_local, {'node1', 'node2'}, what='baseline')
        mon = FibMonitor(f.tor_ns)
        for method in a.methods.split(','):
            runs = []
            for _ in range(a.trials):
                routers.wait_for(lambda: settled(f, a.interval), 60, lambda: 'node1 BFD not settled: %r' % f.speaker_bfd('node1'))
                runs.append(trial(f, mon, method, not a.no_hold_reference, ip_local))
            r = {'trials': len(runs), 'node1_bfd_ms': summary([x['bfd_ms'] for x in runs]),
                 'node1_back_after_restore_s': summary([x['back_node1_s'] for x in runs])}
            if not a.no_hold_reference:
                r['node2_hold_ms'] = summary([x['hold_ms'] for x in runs])
                r['node2_back_after_restore_s'] = summary([x['back_node2_s'] for x in runs])
            results[method] = r
    except BaseException:
        print(f.logs(), file=sys.stderr)
        raise
    finally:
        if mon:
            mon.close()
        f.close()
    results['loadavg_after'] = os.getloadavg()[0]
    print(json.dumps(results, indent=1))


if __name__ == '__main__':
    main()
