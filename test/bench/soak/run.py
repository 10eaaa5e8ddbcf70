#!/usr/bin/python3
"""Soak benchmark (issue 15 §6): `bgplb run` for a long time against a BIRD and an FRR ToR
with N services under continuous endpoint churn, peer resets and manifest reloads.

Topology: one node namespace with two links, BIRD 2 on one, FRR on the other (one eBGP
session each). The manifests: a pool, two BGPPeers, N Local services with one ready
endpoint on the node; C of them ("churn services") keep their EndpointSlice in a file of
their own.

While it runs:
  - every --gap seconds one churn service's endpoint flips ready <-> not ready (a file
    rename, as an editor or a sync tool writes it): a withdraw or an announce;
  - every --reset-every seconds one ToR resets its session (BIRD `restart`, FRR `clear bgp`),
    alternating; the changes made while that session is not back are left out of that
    router's latencies (the new session's initial update carries them) and counted apart;
  - every --reload-every seconds the whole manifest directory is re-read (SIGHUP) and
    the big services file is rewritten with the same content (a rename);
  - every --sample seconds: RSS (VmRSS), peak RSS (VmHWM), open file descriptors, threads,
    CPU seconds of the bgplb process.

At the end: the curves (one row per sample), "flat after warm-up" judged between the end
of the warm-up (--warmup) and the end of the run, and every churn change's latency from
just before its rename to the UPDATE carrying that prefix on each ToR's wire (tcpdump in
the router's namespace, tshark afterwards). A change that never reaches a ToR's wire while
its session was up counts as missing (an infinite latency, inside p99). With an ASan
build (--bgplb build-asan/...), the leak report at exit is read from bgplb's log.

Run as root from the source root after building:
  python3 test/bench/soak/run.py --bgplb build/speaker/cmd/bgplb --minutes 30 --services 10000
"""
import argparse
import json
import mmap
import math
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'integration'))
sys.path.insert(0, os.path.join(HERE, '..'))
import netns  # noqa: E402
import routers  # noqa: E402

NODE_AS, BIRD_AS, FRR_AS = 64512, 64500, 64501
from bench_common import ADVERTISE_ALL_ON_N1, POOL, pct, service_doc, slice_doc, write_atomic  # noqa: E402

NS = 'soak'


def services_doc(n):
    return ''.join(service_doc(i, NS) for i in range(n))


def write_manifests(d, n, churn, bird_addr, frr_addr):
    peers = ''.join('''---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: %s, namespace: metallb-system}
spec: {myASN: %d, peerASN: %d, peerAddress: %s, holdTime: 9s}
''' % (name, NODE_AS, asn, addr) for name, asn, addr in (('bird', BIRD_AS, bird_addr), ('frr', FRR_AS, frr_addr)))
    write_atomic(os.path.join(d, 'bgp.yaml'), '''apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: soak, namespace: metallb-system}
spec: {addresses: [%s/12]}
%s''' % (POOL, peers) + ADVERTISE_ALL_ON_N1)
    write_atomic(os.path.join(d, 'services.yaml'), services_doc(n))
    write_atomic(os.path.join(d, 'slices.yaml'), ''.join(slice_doc(i, True, NS) for i in range(churn, n)))
    for i in range(churn):
        write_atomic(os.path.join(d, 'churn-%d.yaml' % i), slice_doc(i, True, NS))


def proc_sample(pid):
    out = {}
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            k, _, v = line.partition(':')
            if k in ('VmRSS', 'VmHWM'):
                out[k] = int(v.split()[0]) / 1024
            elif k == 'Threads':
                out[k] = int(v)
    out['fds'] = len(os.listdir('/proc/%d/fd' % pid))
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    out['cpu'] = (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    return out


def wire(pcap, src):
    """(time, prefix, kind) for every NLRI / withdrawn route in UPDATEs from `src`."""
    r = subprocess.run(['tshark', '-r', pcap, '-Y', 'bgp.type == 2 && ip.src == %s' % src, '-T', 'fields',
                        '-e', 'frame.time_epoch', '-e', 'bgp.withdrawn_prefix', '-e', 'bgp.nlri_prefix'],
                       capture_output=True, text=True, check=True)
    out = []
    for line in r.stdout.splitlines():
        cols = line.split('\t') + ['', '']
        t = float(cols[0])
        out += [(t, p, 'withdraw') for p in filter(None, cols[1].split(','))]
        out += [(t, p, 'announce') for p in filter(None, cols[2].split(','))]
    return out



def latencies(changes, routes, down, prefix_of):
    """Per change: latency in ms (inf when missing); changes inside a `down` window (the
    session resetting) are skipped and counted. Also, for each missing change that the
    next change of the same service reverted (every change flips), how many ms later that
    reversal came: a pair that cancels out inside one coalescing window leaves nothing to
    send, and stays counted as missing all the same."""
    by_prefix = {}
    for t, p, kind in routes:
        by_prefix.setdefault(p, []).append((t, kind))
    lat, skipped, reverted = [], 0, []
    for idx, (t, svc, kind, next_t) in enumerate(changes):
        if any(a - 0.05 <= t <= b for a, b in down):
            skipped += 1
            continue
        end = next_t if next_t is not None else t + 5.0
        hit = next((u for u, k in by_prefix.get(prefix_of(svc), ()) if t <= u < end and k == kind), None)
        lat.append(math.inf if hit is None else (hit - t) * 1000)
        if hit is None and next_t is not None:
            reverted.append((next_t - t) * 1000)
    return lat, skipped, reverted


def is_asan_build(path):
    """Whether the binary carries AddressSanitizer's runtime (its __asan_init symbol)."""
    with open(path, 'rb') as f:
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return m.find(b'__asan_init') >= 0


def summary(name, lat, skipped, target):
    if not lat:
        return '%s: no changes measured' % name
    finite = [x for x in lat if x != math.inf]
    missing = len(lat) - len(finite)
    over = sum(1 for x in lat if x > target)
    return ('%s: n=%d  p50 %.2f ms  p99 %.2f ms  max %s  over %g ms: %d  missing: %d  (during its resets, left out: %d)' % (
        name, len(lat), statistics.median(lat), pct(lat, 0.99),
        'inf' if missing else '%.2f ms' % max(finite), target, over, missing, skipped))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--bgplb', default='build/speaker/cmd/bgplb')
    ap.add_argument('--minutes', type=float, default=30)
    ap.add_argument('--services', type=int, default=10000)
    ap.add_argument('--churn', type=int, default=100, help='services whose endpoint flips')
    ap.add_argument('--gap', type=float, default=0.2, help='seconds between endpoint changes')
    ap.add_argument('--reset-every', type=float, default=120, help='seconds between ToR session resets')
    ap.add_argument('--reload-every', type=float, default=300, help='seconds between manifest reloads')
    ap.add_argument('--sample', type=float, default=10, help='seconds between process samples')
    ap.add_argument('--warmup', type=float, default=2, help='minutes before the flatness window starts')
    ap.add_argument('--target-ms', type=float, default=10, help='change-to-wire latency target')
    ap.add_argument('--seed', type=int, default=15)
    ap.add_argument('--extra', default='', help='more bgplb run arguments')
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit('run as root (network namespaces)')
    for tool in ('tcpdump', 'tshark'):
        if subprocess.run(['which', tool], capture_output=True).returncode != 0:
            sys.exit('%s is missing (scripts/install-deps.sh installs it)' % tool)
    bgplb = os.path.abspath(a.bgplb)
    rnd = random.Random(a.seed)
    a.churn = min(a.churn, a.services)

    with netns.Topology(tag='bgplbsk') as topo:
        node, rb, rf = topo.add_ns('node'), topo.add_ns('bird'), topo.add_ns('frr')
        kb, kf = topo.link(node, rb), topo.link(node, rf)
        node_b, bird_addr = node.addr('ipv4', kb), rb.addr('ipv4', kb)
        node_f, frr_addr = node.addr('ipv4', kf), rf.addr('ipv4', kf)
        work = netns.make_tempdir('soak')
        mdir = os.path.join(work, 'manifests')
        os.makedirs(mdir)
        write_manifests(mdir, a.services, a.churn, bird_addr, frr_addr)
        bird = routers.Bird(rb, routers.RouterConfig(asn=BIRD_AS, router_id=bird_addr, peers=[routers.PeerConfig(
            address=node_b, asn=NODE_AS, local_address=bird_addr, passive=True, hold_time=9,
            families=('ipv4',), graceful_restart=False)]), workdir=os.path.join(work, 'bird'))
        frr = routers.FRR(rf, routers.RouterConfig(asn=FRR_AS, router_id=frr_addr, peers=[routers.PeerConfig(
            address=node_f, asn=NODE_AS, local_address=frr_addr, passive=True, hold_time=9,
            families=('ipv4',), graceful_restart=False)]), workdir=os.path.join(work, 'frr'))
        for r in (bird, frr):
            os.makedirs(r.dir, exist_ok=True)
            os.chmod(r.dir, 0o755)
            r.start()
        caps = {}
        for name, ns, link in (('bird', rb, kb), ('frr', rf, kf)):
            pcap = os.path.join(work, '%s.pcap' % name)
            caps[name] = (pcap, ns.popen(['tcpdump', '-i', ns.ifname(link), '-w', pcap, '-U', '-s', '0',
                                          'tcp port 179'], log_path=os.path.join(work, 'tcpdump-%s.log' % name)))
        time.sleep(1.0)

        log = os.path.join(work, 'bgplb.log')
        t0 = time.time()
        spk = node.popen([bgplb, 'run', '-f', mdir, '--state', os.path.join(work, 'state'), '--node', 'n1',
                          '--metrics-address', '127.0.0.1:7472', '--shutdown-drain', '0'] + a.extra.split(),
                         log_path=log)
        peer_of = {'bird': node_b, 'frr': node_f}

        def established(r, name):
            return r.session_state(peer_of[name]) == 'established'

        while not (established(bird, 'bird') and established(frr, 'frr')):
            if time.time() - t0 > 120 or spk.poll() is not None:
                sys.exit('sessions did not come up: see %s' % work)
            time.sleep(0.1)
        addr_of = {}
        status = os.path.join(work, 'state', 'status.json')
        while len(addr_of) < a.churn:
            if time.time() - t0 > 120:
                sys.exit('the controller assigned no address to the churn services: see %s' % work)
            try:
                with open(status) as f:
                    for svc in json.load(f).get('services', []):
                        m = re.fullmatch(r's(\d+)', svc.get('name', ''))
                        if m and int(m.group(1)) < a.churn and svc.get('ingress'):
                            addr_of[int(m.group(1))] = svc['ingress'][0]
            except (OSError, ValueError):
                pass
            time.sleep(0.2)
        print('sessions up %.2f s after launch; soak for %g min (work dir %s)' % (time.time() - t0, a.minutes, work),
              flush=True)

        ready = [True] * a.churn
        changes = []                      # (time, service, kind)
        down = {'bird': [], 'frr': []}    # (from, to) while that ToR's session was resetting
        samples = []
        start = time.time()
        end = start + a.minutes * 60
        next_reset, next_reload, next_sample = start + a.reset_every, start + a.reload_every, start
        resetting = None                  # (name, since)
        turn = 0
        while time.time() < end:
            now = time.time()
            if spk.poll() is not None:
                sys.exit('bgplb exited (%s) during the soak: see %s' % (spk.returncode, log))
            if now >= next_sample:
                s = proc_sample(spk.pid)
                s['t'] = now - start
                samples.append(s)
                next_sample += a.sample
            if resetting is None and now >= next_reset:
                name = ('bird', 'frr')[turn % 2]
                turn += 1
                if name == 'bird':
                    bird.birdc('restart %s' % bird._proto_of(node_b), check=False)
                else:
                    frr.vtysh('clear bgp %s' % node_f, check=False)
                resetting = (name, time.time())
                next_reset += a.reset_every
            if resetting is not None:
                name, since = resetting
                r = bird if name == 'bird' else frr
                if time.time() - since > 1.0 and established(r, name):
                    down[name].append((since, time.time() + 1.0))  # and its initial update
                    resetting = None
            if now >= next_reload:
                write_atomic(os.path.join(mdir, 'services.yaml'), services_doc(a.services))
                spk.send_signal(signal.SIGHUP)
                next_reload += a.reload_every
            i = rnd.randrange(a.churn)
            ready[i] = not ready[i]
            t = time.time()
            write_atomic(os.path.join(mdir, 'churn-%d.yaml' % i), slice_doc(i, ready[i], NS))
            changes.append((t, i, 'announce' if ready[i] else 'withdraw'))
            time.sleep(a.gap)
        if resetting is not None:
            down[resetting[0]].append((resetting[1], time.time() + 5))
        time.sleep(2.0)
        # Nothing is lost for good: what each ToR routes now equals the last change of
        # every churn service (the routes at the router, not the wire).
        final_wrong = {}
        for name, r in (('bird', bird), ('frr', frr)):
            have = {p.split('/')[0] for p in r.routes('ipv4')}
            final_wrong[name] = ['%s %s' % (addr_of[i], 'absent' if ready[i] else 'present')
                                 for i in range(a.churn) if (addr_of[i] in have) != ready[i]]
        final = proc_sample(spk.pid)
        netns.stop_process(spk, grace=30.0)
        exit_code = spk.returncode
        for _, cap in caps.values():
            netns.stop_process(cap)
        with open(log, errors='replace') as f:
            text = f.read()
        leaks = re.findall(r'SUMMARY: AddressSanitizer: (\d+) byte\(s\) leaked in (\d+) allocation', text)
        asan = is_asan_build(a.bgplb)
        wires = {name: wire(pcap, peer_of[name]) for name, (pcap, _) in caps.items()}
        bird.stop()
        frr.stop()

    # The next change of the same service ends a change's window.
    nxt = {}
    timed = []
    for t, svc, kind in reversed(changes):
        timed.append((t, svc, kind, nxt.get(svc)))
        nxt[svc] = t
    timed.reverse()
    print('\nbgplb soak, %d services, %d churn services, %.1f min, %d endpoint changes, %d resets, reload every %g s (%s)' % (
        a.services, a.churn, a.minutes, len(changes), sum(len(v) for v in down.values()), a.reload_every,
        time.strftime('%Y-%m-%d %H:%M')))
    print('\n  minute   RSS MiB  peak MiB  fds  threads  CPU s')
    for s in samples:
        if abs(s['t'] / 60 - round(s['t'] / 60)) * 60 < a.sample / 2 or s is samples[-1]:
            print('  %6.1f  %8.1f  %8.1f  %3d  %7d  %6.1f' % (s['t'] / 60, s['VmRSS'], s['VmHWM'], s['fds'], s['Threads'], s['cpu']))
    warm = [s for s in samples if s['t'] >= a.warmup * 60]
    if len(warm) >= 2:
        first, last = warm[0], warm[-1]
        print('\nafter warm-up (%g min -> end): RSS %.1f -> %.1f MiB (max %.1f), fds %d -> %d (max %d), '
              'threads %d -> %d (max %d)' % (
                  a.warmup, first['VmRSS'], last['VmRSS'], max(s['VmRSS'] for s in warm), first['fds'], last['fds'],
                  max(s['fds'] for s in warm), first['Threads'], last['Threads'], max(s['Threads'] for s in warm)))
    print('at the end: RSS %.1f MiB, peak %.1f MiB, %d fds, %d threads, %.1f CPU s' % (
        final['VmRSS'], final['VmHWM'], final['fds'], final['Threads'], final['cpu']))
    for name in ('bird', 'frr'):
        lat, skipped, reverted = latencies(timed, wires[name], down[name], lambda i: addr_of[i])
        print(summary('change -> %s wire' % name, lat, skipped, a.target_ms))
        if reverted:
            print('  of the missing, %d were reverted by the next change of their service %s ms later' % (
                len(reverted), ', '.join('%.0f' % r for r in sorted(reverted))))
        wrong = final_wrong[name]
        print('  at the end the %s ToR routes every churn service as its last change says: %s' % (
            name, 'yes' if not wrong else 'NO: %s' % ', '.join(wrong[:10])))
    if asan:
        print('ASan/LSan at exit (exit code %s): %s' % (exit_code, '; '.join(
            '%s bytes in %s allocations' % l for l in leaks) if leaks else 'no leak reported'))
    else:
        print('leak check: not an ASan build (pass --bgplb with a -Db_sanitize=address build)')


if __name__ == '__main__':
    main()
