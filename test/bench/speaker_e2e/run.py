#!/usr/bin/python3
"""Speaker end-to-end benchmark (issues 5 and 16): `bgplb run` on a manifest directory with
N services, one BIRD 2 receiver in another network namespace.

  1. cold start: seconds from launching bgplb to BIRD holding all N routes (BIRD polled),
     when the session's OPEN left, and when the last UPDATE of the initial flush did;
  2. change latency: an EndpointSlice file is rewritten so the service's only local endpoint
     is not ready (withdraw) / ready again (announce), K times; the latency of each is from
     just before the file's rename to the UPDATE carrying that prefix on the wire (tcpdump on
     the router's interface; both clocks are this host's). Every change counts: one whose
     UPDATE leaves after the next change is reported as late with its real latency, one
     that never reaches the wire as missing, and p99 includes both (a missing change is an
     infinite latency);
  3. a burst: B changes to B different services at once, and how many UPDATE messages
     carried them (a burst must still leave packed): one file holding the B slices
     rewritten, or with --burst-files B files (one slice each) rewritten one after another
     as fast as this script can, which is B changes to the datastore, not one;
  4. peak RSS over the whole run (VmHWM, MiB);
  5. with --scrape S, /metrics scraped every S seconds during the changes (as Prometheus
     does; a scrape renders every service's lines on the thread that sends the UPDATEs),
     and how long each took until its body was read.

Run as root from the source root after building:  python3 test/bench/speaker_e2e/run.py
  --bgplb build/speaker/cmd/bgplb  --services 10000  --changes 1000
Every size up to 1,048,576 services is valid (the pool, ClusterIPs and pod IPs are /12s).

With `--datastore etcd` (issue 13) the objects live in a one-member etcd in the node's
namespace instead: loaded with `bgplbctl apply -f DIR` (timed), `bgplb run --datastore
etcd://...` campaigns, allocates and writes its ledger there (all in the cold start), each
change is one etcd put of the EndpointSlice (the latency counts from just before the put,
made over etcd's HTTP gateway by a helper already running in the namespace), and the
burst is one `bgplbctl apply` of the B slices.

With `--datastore kubernetes` (issue 12) the objects live in the API server fixture
(test/kube) in this process, listening in the node's namespace (kube_store.py): Services
already carry their addresses in status (as the controller wrote them), `bgplb run
--datastore kubernetes:... --controller off` is the DaemonSet's speaker and its cold start
is list + watch of 10,000 Services and EndpointSlices through the API (`--page-size`,
500 by default as in the product; the Python fixture's paging is most of the wall time),
each change rewrites the EndpointSlice in the fixture's storage (the watch event is the
API's), and the burst rewrites B of them one after another. `--kube-controller` leaves
every status empty and runs `--controller on`: the cold start then includes the
controller's Lease, its allocation and its writes (status, annotations, Events) through the
API, which the speaker announces as they come back through the watch.
"""
import argparse
import base64
import math
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'integration'))
sys.path.insert(0, os.path.join(HERE, '..'))
import netns  # noqa: E402
import routers  # noqa: E402

ROUTER_AS, NODE_AS = 64500, 64512
from bench_common import POOL, manifests, pct, slice_doc, write_atomic  # noqa: E402

NS = 'bench'
ETCD_URI = 'etcd://127.0.0.1:2379/bench'
TARGET_KEY = '/bench/v1/discovery.k8s.io/endpointslices/%s/s0-a' % NS

# Runs in the node's namespace: reads "KEY<TAB>VALUE" (both base64) lines, prints the
# time just before each put through etcd's HTTP gateway, then does it.
PUTTER = r'''
import json, sys, time, urllib.request
for line in sys.stdin:
    key, value = line.rstrip("\n").split("\t")
    req = urllib.request.Request("http://127.0.0.1:2379/v3/kv/put", data=json.dumps({"key": key, "value": value}).encode(),
                                 headers={"Content-Type": "application/json"})
    t = time.time()
    urllib.request.urlopen(req, timeout=10).read()
    print(t, flush=True)
'''


# --scrape: a Prometheus-like scraper of /metrics in the node's namespace during the
# changes; a line per scrape: start time, seconds until the body was read, body bytes.
SCRAPER = r'''
import sys, time, urllib.request
interval = float(sys.argv[1])
while True:
    t = time.time()
    try:
        n = len(urllib.request.urlopen("http://127.0.0.1:7472/metrics", timeout=60).read())
    except Exception:
        n = -1
    print("%.6f %.6f %d" % (t, time.time() - t, n), flush=True)
    time.sleep(max(0.0, interval - (time.time() - t)))
'''


def start_etcd(node, work):
    """One etcd member on the node namespace's loopback; returns its process."""
    p = node.popen(['/usr/bin/etcd', '--name', 'bench', '--data-dir', os.path.join(work, 'etcd'),
                    '--listen-client-urls', 'http://127.0.0.1:2379', '--advertise-client-urls', 'http://127.0.0.1:2379',
                    '--listen-peer-urls', 'http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380',
                    '--initial-cluster', 'bench=http://127.0.0.1:2380', '--quota-backend-bytes', str(8 << 30),
                    '--logger', 'zap', '--log-level', 'warn'], log_path=os.path.join(work, 'etcd.log'))
    end = time.time() + 30
    while node.run(['etcdctl', '--endpoints', '127.0.0.1:2379', 'endpoint', 'health'], check=False,
                   env=dict(os.environ, ETCDCTL_API='3')).returncode != 0:
        if time.time() > end or p.poll() is not None:
            sys.exit('etcd did not start: see %s' % work)
        time.sleep(0.2)
    return p


def route_count(bird):
    out = bird.birdc('show route count', check=False).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1] == 'of' and parts[0].isdigit():
            return int(parts[0])
    return 0


def wire(pcap):
    """(time, prefix, kind) for every NLRI / withdrawn route in UPDATEs from the speaker,
    the time of its first OPEN, and the times of its UPDATE messages."""
    r = subprocess.run(['tshark', '-r', pcap, '-Y', '(bgp.type == 2 || bgp.type == 1) && ip.src == 10.0.0.1', '-T',
                        'fields', '-e', 'frame.time_epoch', '-e', 'bgp.type', '-e', 'bgp.withdrawn_prefix',
                        '-e', 'bgp.nlri_prefix'], capture_output=True, text=True, check=True)
    routes, opened, updates = [], None, []
    for line in r.stdout.splitlines():
        cols = line.split('\t') + ['', '', '']
        t = float(cols[0])
        types = cols[1].split(',')
        if '1' in types and opened is None:
            opened = t
        updates += [t] * types.count('2')
        for p in filter(None, cols[2].split(',')):
            routes.append((t, p, 'withdraw'))
        for p in filter(None, cols[3].split(',')):
            routes.append((t, p, 'announce'))
    return routes, opened, updates


def find_exe(pid, name):
    """`pid` or the first process below it whose executable is called `name` (bgplb under
    a --wrap command), or None while there is none."""
    todo = [pid]
    while todo:
        p = todo.pop(0)
        try:
            if os.path.basename(os.readlink('/proc/%d/exe' % p)) == name:
                return p
            for t in os.listdir('/proc/%d/task' % p):
                with open('/proc/%d/task/%s/children' % (p, t)) as f:
                    todo += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return None


def peak_rss_mib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmHWM'):
                return int(line.split()[1]) / 1024
    return float('nan')


def cpu_seconds(pid):
    """User + system CPU time of a process so far (/proc/PID/stat utime, stime)."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--bgplb', default='build/speaker/cmd/bgplb')
    ap.add_argument('--services', type=int, default=10000)
    ap.add_argument('--changes', type=int, default=1000)
    ap.add_argument('--gap', type=float, default=0.03, help='seconds between changes')
    ap.add_argument('--burst', type=int, default=1000, help='services changed at once in the burst')
    ap.add_argument('--burst-files', action='store_true', help='one file per burst slice, rewritten one after another')
    ap.add_argument('--extra', default='', help='more bgplb run arguments')
    ap.add_argument('--wrap', default='', help='a command bgplb runs under, e.g. "heaptrack -o /tmp/bgplb" '
                    '(RSS is still read from bgplb itself)')
    ap.add_argument('--datastore', choices=('file', 'etcd', 'kubernetes'), default='file',
                    help='where the objects live: the manifest directory, a one-member etcd, or the API server '
                    'fixture (see above)')
    ap.add_argument('--page-size', type=int, default=500, help='for --datastore kubernetes: the LIST page size')
    ap.add_argument('--kube-controller', action='store_true',
                    help='for --datastore kubernetes: no address in any status; the controller in bgplb run '
                    'allocates and writes them through the API during the cold start')
    ap.add_argument('--bgplbctl', default='build/cli/bgplbctl', help='for --datastore etcd: loads the objects')
    ap.add_argument('--scrape', type=float, default=0.0, metavar='SECONDS',
                    help='scrape /metrics every SECONDS during the changes, as Prometheus would (0: never)')
    a = ap.parse_args()
    bgplb = os.path.abspath(a.bgplb)
    bgplbctl = os.path.abspath(a.bgplbctl)
    if os.geteuid() != 0:
        sys.exit('run as root (network namespaces)')
    a.burst = min(a.burst, max(0, a.services - 1))

    load_before = os.getloadavg()
    with netns.Topology(tag='bgplbbe') as topo:
        node = topo.add_ns('node')
        rtr = topo.add_ns('rtr')
        topo.link(node, rtr)
        work = netns.make_tempdir('bench')
        mdir = os.path.join(work, 'manifests')
        os.makedirs(mdir)
        if a.burst_files and a.datastore != 'file':
            sys.exit('--burst-files is for --datastore file')
        manifests(mdir, a.services, NS, NODE_AS, ROUTER_AS, burst=a.burst, burst_files=a.burst_files)
        cfg = routers.RouterConfig(asn=ROUTER_AS, router_id='10.0.0.2', peers=[routers.PeerConfig(
            address='10.0.0.1', asn=NODE_AS, local_address='10.0.0.2', passive=True, hold_time=90,
            families=('ipv4',), graceful_restart=False)])
        bird = routers.Bird(rtr, cfg, workdir=work)
        bird.start()
        pcap = os.path.join(work, 'rtr.pcap')
        cap = rtr.popen(['tcpdump', '-i', rtr.ifname(), '-w', pcap, '-U', '-s', '0', 'tcp port 179'],
                        log_path=os.path.join(work, 'tcpdump.log'))
        time.sleep(1.0)

        store_args = ['-f', mdir, '--state', os.path.join(work, 'state')]
        etcd = putter = kube = None
        load = None
        if a.datastore == 'etcd':
            etcd = start_etcd(node, work)
            t = time.time()
            node.run([bgplbctl, 'apply', '-f', mdir, '--datastore', ETCD_URI], timeout=1200)
            load = time.time() - t
            store_args = ['--datastore', ETCD_URI]
            putter = node.popen([sys.executable, '-c', PUTTER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        elif a.datastore == 'kubernetes':
            import kube_store
            t = time.time()
            kube = kube_store.Store(node, work, mdir, NS, a.page_size, assigned=not a.kube_controller)
            load = time.time() - t
            store_args = ['--datastore', kube.uri, '--controller', 'on' if a.kube_controller else 'off']

        def change(ready):
            """Writes the target slice; the moment just before."""
            doc = slice_doc(0, ready, NS)
            if kube is not None:
                t = time.time()
                kube.set_ready([0], ready)
                return t
            if putter is None:
                t = time.time()
                write_atomic(os.path.join(mdir, 'target.yaml'), doc)
                return t
            b64 = lambda text: base64.b64encode(text.encode()).decode()  # noqa: E731
            putter.stdin.write('%s\t%s\n' % (b64(TARGET_KEY), b64(doc.replace('---\n', ''))))
            putter.stdin.flush()
            return float(putter.stdout.readline())

        t0 = time.time()
        # The fixture serves from this process's other threads; polling BIRD spawns birdc.
        cpu0, main0, kids0 = time.process_time(), time.thread_time(), os.times()
        spk = node.popen(a.wrap.split() + [bgplb, 'run'] + store_args + ['--node', 'n1',
                          '--metrics-address', '127.0.0.1:7472', '--shutdown-drain', '0',
                          '--api-socket', os.path.join(work, 'api.sock')] + a.extra.split(),
                         log_path=os.path.join(work, 'bgplb.log'))
        while route_count(bird) < a.services:
            if time.time() - t0 > 300 or spk.poll() is not None:
                sys.exit('routes did not arrive: see %s' % work)
            # Every 5 ms at first; later every 0.2 % of the time so far (at most 100 ms):
            # each poll is a birdc process, which on a long cold start cost seconds of CPU
            # beside bgplb's (printed below).
            time.sleep(min(0.1, max(0.005, 0.002 * (time.time() - t0))))
        cold = time.time() - t0
        kids = os.times()
        fixture_cpu = (time.process_time() - cpu0) - (time.thread_time() - main0)
        polling_cpu = kids.children_user + kids.children_system - kids0.children_user - kids0.children_system
        daemon = find_exe(spk.pid, os.path.basename(bgplb))
        rss_cold = peak_rss_mib(daemon)
        cpu_cold = cpu_seconds(daemon)
        time.sleep(2.0)  # let the controller's settling pass after start finish

        scrapes_log = os.path.join(work, 'scrapes.log')
        scraper = node.popen([sys.executable, '-c', SCRAPER, str(a.scrape)], log_path=scrapes_log) if a.scrape else None
        marks = []
        for k in range(a.changes):
            ready = k % 2 == 1
            t = change(ready)
            marks.append((t, 'announce' if ready else 'withdraw'))
            time.sleep(a.gap)
        if scraper is not None:
            netns.stop_process(scraper)
        scrapes = []
        if scraper is not None:
            with open(scrapes_log) as f:
                scrapes = [(float(t), float(d), int(n)) for t, d, n in (ln.split() for ln in f if ln.count(' ') == 2)]
        time.sleep(1.0)
        burst_t = time.time()
        burst_written = None
        if a.burst and a.burst_files:
            for i in range(1, a.burst + 1):
                write_atomic(os.path.join(mdir, 'burst', 's%d.yaml' % i), slice_doc(i, False, NS))
            burst_written = (time.time() - burst_t) * 1000
        elif a.burst:
            write_atomic(os.path.join(mdir, 'burst.yaml'), ''.join(slice_doc(i, False, NS) for i in range(1, a.burst + 1)))
            if etcd is not None:
                node.run([bgplbctl, 'apply', '-f', os.path.join(mdir, 'burst.yaml'), '--datastore', ETCD_URI], timeout=120)
            if kube is not None:
                kube.set_ready(range(1, a.burst + 1), False)
        time.sleep(2.0)
        rss_peak = peak_rss_mib(daemon)
        stop_t = time.time()  # what bgplb withdraws when it stops is not the burst's
        if daemon != spk.pid:
            netns.stop_process(daemon)
            try:
                spk.wait(timeout=600)  # the wrapper writes its results
            except subprocess.TimeoutExpired:
                pass
        netns.stop_process(spk)
        netns.stop_process(cap)
        for p in (putter, etcd):
            if p is not None:
                netns.stop_process(p)
        if kube is not None:
            kube.stop()
        routes, opened, update_times = wire(pcap)
        first = [u for u in routes if u[2] == 'announce']
        flush = (max(u[0] for u in first[:a.services]) - t0) if first else float('nan')

        lat = {'withdraw': [], 'announce': []}
        slow = []  # (latency, when): the slowest are printed with the scrape they met
        late = missing = 0
        events = [u for u in routes if u[1] == POOL]  # s0 holds the pool's first address
        # Change k is answered by the first UPDATE of its kind after it and before the next
        # change of the same kind; one that leaves after change k+1 is late but counted.
        for i, (t, kind) in enumerate(marks):
            end = marks[i + 2][0] if i + 2 < len(marks) else t + 1.0
            hit = next((u for u in events if t <= u[0] < end and u[2] == kind), None)
            if hit is None:
                missing += 1
                lat[kind].append(math.inf)
                continue
            if i + 1 < len(marks) and hit[0] >= marks[i + 1][0]:
                late += 1
            lat[kind].append((hit[0] - t) * 1000)
            slow.append(((hit[0] - t) * 1000, t))
        # Every withdrawal after the burst's write but s0's is the burst's (nothing else
        # changes then); which address each burst service holds depends on the allocator.
        burst_routes = [u for u in routes if burst_t <= u[0] < stop_t and u[2] == 'withdraw' and u[1] != POOL]
        burst_msgs = len({u[0] for u in burst_routes})
        burst_time = (max(u[0] for u in burst_routes) - burst_t) * 1000 if burst_routes else float('nan')
        bird.stop()

    print('bgplb speaker e2e, %d services, %d changes, datastore %s%s (%s); load average %s before, %s after' % (
        a.services, a.changes, a.datastore, ', page size %d' % a.page_size if kube is not None else '',
        time.strftime('%Y-%m-%d %H:%M'), '/'.join('%.2f' % x for x in load_before),
        '/'.join('%.2f' % x for x in os.getloadavg())))
    if load is not None:
        print('%s of the %d objects: %.2f s (before the cold start)' % (
            'bgplbctl apply into etcd' if etcd is not None else 'loading the API server fixture',
            2 * a.services + 4, load))
    print('cold start: launch -> all %d routes at BIRD %.3f s (bgplb CPU %.2f s); OPEN left at %.3f s; last initial '
          'UPDATE at %.3f s; peak RSS %.1f MiB at cold start, %.1f MiB over the run (%.2f KiB per service)' % (
              a.services, cold, cpu_cold, (opened - t0) if opened else float('nan'), flush, rss_cold, rss_peak,
              rss_peak * 1024 / max(1, a.services)))
    if kube is not None:
        print('API server fixture CPU to then %.2f s (the threads of this process but its main one); birdc polls %.2f s'
              % (fixture_cpu, polling_cpu))
    for kind in ('withdraw', 'announce'):
        v = lat[kind]
        if v:
            finite = [x for x in v if x != math.inf]
            print('%-8s n=%d  p50 %.2f ms  p99 %.2f ms  max %.2f ms  mean %.2f ms (finite)' % (
                kind, len(v), statistics.median(v), pct(v, 0.99), max(v), statistics.mean(finite) if finite else math.nan))
    print('late changes (UPDATE after the next change, counted with their latency): %d; missing (never on the wire, '
          'counted as infinite): %d' % (late, missing))
    if a.scrape:
        took = [d * 1000 for _, d, n in scrapes if n >= 0]
        print('scrapes of /metrics every %.1f s during the changes: %d (%d failed), %s' % (
            a.scrape, len(scrapes), len(scrapes) - len(took),
            'until read p50 %.1f ms, max %.1f ms, %.1f MiB each' % (
                statistics.median(took), max(took), max(n for _, _, n in scrapes) / 2**20) if took else 'none answered'))
    if slow:
        def during(t):
            hit = [s for s in scrapes if s[0] <= t <= s[0] + s[1]]
            return ' (scrape since %.0f ms)' % ((t - hit[0][0]) * 1000) if hit else ''
        print('slowest changes: %s (times after the first change, at %.6f wall clock)' % (
            ', '.join('%.2f ms at %+.6f s%s' % (ms, t - marks[0][0], during(t)) for ms, t in sorted(slow, reverse=True)[:5]),
            marks[0][0]))
    if a.burst:
        print('burst: %d withdrawals reached the wire in %d UPDATE-carrying packets within %.1f ms%s' % (
            len({u[1] for u in burst_routes}), burst_msgs, burst_time,
            '' if burst_written is None else ' (%d files written in %.1f ms)' % (a.burst, burst_written)))


if __name__ == '__main__':
    main()
