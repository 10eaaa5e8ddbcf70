#!/usr/bin/python3
"""Speaker end-to-end benchmark (issue 5): `bgplb run` on a manifest directory with N
services, one BIRD 2 receiver in another network namespace.

  1. cold start: seconds from launching bgplb to BIRD holding all N routes (BIRD polled),
     and from the session's Established to the last UPDATE of the initial flush on the wire;
  2. change latency: an EndpointSlice file is rewritten so the service's only local endpoint
     is not ready (withdraw) / ready again (announce), K times; the latency of each is from
     just before the file's rename to the UPDATE carrying that prefix on the wire (tcpdump on
     the router's interface; both clocks are this host's). p50/p99/max reported.

Run as root from the source root after building:  sudo python3 test/bench/speaker_e2e/run.py
  --bgplb build/speaker/cmd/bgplb  --services 10000  --changes 1000
Targets (issue 5): p99 under 10 ms for one change; cold start under 2 s.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'integration'))
import netns  # noqa: E402
import routers  # noqa: E402

ROUTER_AS, NODE_AS = 64500, 64512


def manifests(d, n):
    """Pool, peer, advert, node, N Local services with one ready endpoint each on n1.
    The benchmarked service's slice lives alone in its own file, as an edit would."""
    with open(os.path.join(d, 'bgp.yaml'), 'w') as f:
        f.write('''apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: bench, namespace: metallb-system}
spec: {addresses: [10.200.0.0/16]}
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: rcv, namespace: metallb-system}
spec: {myASN: %d, peerASN: %d, peerAddress: 10.0.0.2, holdTime: 90s}
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {name: all, namespace: metallb-system}
spec: {}
---
apiVersion: v1
kind: Node
metadata: {name: n1}
''' % (NODE_AS, ROUTER_AS))
    with open(os.path.join(d, 'services.yaml'), 'w') as f:
        for i in range(n):
            f.write('apiVersion: v1\nkind: Service\nmetadata: {name: s%d, namespace: bench}\n'
                    'spec: {type: LoadBalancer, externalTrafficPolicy: Local, clusterIP: 10.96.%d.%d, '
                    'ports: [{port: 80}]}\n---\n' % (i, (i >> 8) & 255, i & 255))
    with open(os.path.join(d, 'slices.yaml'), 'w') as f:
        for i in range(1, n):
            f.write(slice_doc(i, True))
    write_atomic(os.path.join(d, 'target.yaml'), slice_doc(0, True))


def slice_doc(i, ready):
    return ('apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s%d-a, namespace: bench, '
            'labels: {kubernetes.io/service-name: s%d}}\naddressType: IPv4\nendpoints: [{addresses: [10.244.%d.%d], '
            'nodeName: n1, conditions: {ready: %s}}]\n---\n' % (i, i, (i >> 8) & 255, i & 255,
                                                                 'true' if ready else 'false'))


def write_atomic(path, text):
    tmp = os.path.join(os.path.dirname(path), '.tmp-' + os.path.basename(path))
    with open(tmp, 'w') as f:
        f.write(text)
    os.rename(tmp, path)


def route_count(bird):
    out = bird.birdc('show route count', check=False).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1] == 'of' and parts[0].isdigit():
            return int(parts[0])
    return 0


def wire_updates(pcap):
    """(time, prefix, kind) for every NLRI / withdrawn route in UPDATEs from the speaker."""
    r = subprocess.run(['tshark', '-r', pcap, '-Y', 'bgp.type == 2 && ip.src == 10.0.0.1', '-T', 'fields',
                        '-e', 'frame.time_epoch', '-e', 'bgp.withdrawn_prefix', '-e', 'bgp.nlri_prefix'],
                       capture_output=True, text=True, check=True)
    out = []
    for line in r.stdout.splitlines():
        cols = line.split('\t') + ['', '']
        t = float(cols[0])
        for p in filter(None, cols[1].split(',')):
            out.append((t, p, 'withdraw'))
        for p in filter(None, cols[2].split(',')):
            out.append((t, p, 'announce'))
    return out


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--bgplb', default='build/speaker/cmd/bgplb')
    ap.add_argument('--services', type=int, default=10000)
    ap.add_argument('--changes', type=int, default=1000)
    ap.add_argument('--gap', type=float, default=0.03, help='seconds between changes')
    a = ap.parse_args()
    bgplb = os.path.abspath(a.bgplb)
    if os.geteuid() != 0:
        sys.exit('run as root (network namespaces)')

    with netns.Topology(tag='bgplbbe') as topo:
        node = topo.add_ns('node')
        rtr = topo.add_ns('rtr')
        topo.link(node, rtr)
        work = netns.make_tempdir('bench')
        mdir = os.path.join(work, 'manifests')
        os.makedirs(mdir)
        manifests(mdir, a.services)
        cfg = routers.RouterConfig(asn=ROUTER_AS, router_id='10.0.0.2', peers=[routers.PeerConfig(
            address='10.0.0.1', asn=NODE_AS, local_address='10.0.0.2', passive=True, hold_time=90,
            families=('ipv4',), graceful_restart=False)])
        bird = routers.Bird(rtr, cfg, workdir=work)
        bird.start()
        pcap = os.path.join(work, 'rtr.pcap')
        cap = rtr.popen(['tcpdump', '-i', rtr.ifname(), '-w', pcap, '-U', '-s', '0', 'tcp port 179'],
                        log_path=os.path.join(work, 'tcpdump.log'))
        time.sleep(1.0)

        t0 = time.time()
        spk = node.popen([bgplb, 'run', '-f', mdir, '--state', os.path.join(work, 'state'), '--node', 'n1',
                          '--metrics-address', '127.0.0.1:7472', '--shutdown-drain', '0'],
                         log_path=os.path.join(work, 'bgplb.log'))
        while route_count(bird) < a.services:
            if time.time() - t0 > 120 or spk.poll() is not None:
                sys.exit('routes did not arrive: see %s' % work)
            time.sleep(0.005)
        cold = time.time() - t0
        rss = 0
        with open('/proc/%d/status' % spk.pid) as f:
            for line in f:
                if line.startswith('VmHWM'):
                    rss = int(line.split()[1]) / 1024
        time.sleep(2.0)  # let the controller's settling pass after start finish

        target = '10.200.0.0'  # tshark prints host routes without /32
        marks = []
        for k in range(a.changes):
            ready = k % 2 == 1
            t = time.time()
            write_atomic(os.path.join(mdir, 'target.yaml'), slice_doc(0, ready))
            marks.append((t, 'announce' if ready else 'withdraw'))
            time.sleep(a.gap)
        time.sleep(1.0)
        netns.stop_process(spk)
        netns.stop_process(cap)
        updates = wire_updates(pcap)
        first = [u for u in updates if u[2] == 'announce']
        flush = (max(u[0] for u in first[:a.services]) - t0) if first else float("nan")

        lat = {'withdraw': [], 'announce': []}
        missing = 0
        events = [u for u in updates if u[1] == target]
        # An UPDATE counts for change k only if it leaves before change k+1: a change that
        # is late (or never sent) is counted as missing, not paired with a later UPDATE.
        for i, (t, kind) in enumerate(marks):
            end = marks[i + 1][0] if i + 1 < len(marks) else t + 1.0
            hit = next((u for u in events if t <= u[0] < end and u[2] == kind), None)
            if hit is None:
                missing += 1
                continue
            lat[kind].append((hit[0] - t) * 1000)
        bird.stop()

    print('bgplb speaker e2e, %d services, %d changes (%s)' % (a.services, a.changes, time.strftime('%Y-%m-%d %H:%M')))
    print('cold start: launch -> all %d routes at BIRD %.3f s (last initial UPDATE on the wire at %.3f s); '
          'peak RSS %.1f MB' % (a.services, cold, flush, rss))
    for kind in ('withdraw', 'announce'):
        v = lat[kind]
        if v:
            print('%-8s n=%d  p50 %.2f ms  p99 %.2f ms  max %.2f ms  mean %.2f ms' % (
                kind, len(v), statistics.median(v), pct(v, 0.99), max(v), statistics.mean(v)))
    if missing:
        print('changes with no matching UPDATE on the wire before the next change: %d' % missing)


if __name__ == '__main__':
    main()
