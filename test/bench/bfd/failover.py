#!/usr/bin/env python3
"""BFD failure detection at the ToR (on demand, root): our bfd_probe in `node`, FRR's
bfdd in `tor`, one veth, 100 ms x 3 both ways (--interval, --mult). Each trial cuts the
node off and measures the time from the cut to bfdd's own log line "state-change ...
up -> down" (FRR logs wall-clock time with millisecond precision), then restores the
link and waits for Up again. Two ways to cut:

  link-down  `ip link set <veth> down` inside the node namespace (the ToR's end loses
             carrier too, as with a pulled cable)
  drop       nftables in the node namespace drops every packet it sends (100 % loss on
             the node's egress, the link stays up). sch_netem, the usual way, is not in
             this machine's kernel; nftables does the same job here.

    sudo python3 test/bench/bfd/failover.py --probe build/bfd/bfd_probe --trials 10

Target (issue 14): under 400 ms with 100 ms x 3.
"""
import argparse
import datetime
import json
import os
import re
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, 'bfd', 'test', 'interop'))
import bed as beds  # noqa: E402
import netns  # noqa: E402  (bed puts test/integration on sys.path)

STATE_CHANGE = re.compile(r'^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{3}) .*state-change.*up -> down(.*)$')
TABLE = 'bgplbbench'


def down_lines(log_path, after):
    """bfdd's up -> down state changes logged after wall time `after`: [(time, rest)]."""
    out = []
    with open(log_path, errors='replace') as f:
        for ln in f:
            m = STATE_CHANGE.match(ln)
            if m:
                t = datetime.datetime.strptime(m.group(1), '%Y/%m/%d %H:%M:%S.%f').timestamp()
                if t >= after - 0.002:
                    out.append((t, m.group(2).strip()))
    return out


def cut(b, method):
    if method == 'link-down':
        b.node.run(['ip', 'link', 'set', b.node.ifname(), 'down'])
    else:
        b.node.run(['nft', 'add', 'table', 'inet', TABLE])
        b.node.run(['nft', 'add', 'chain', 'inet', TABLE, 'out',
                    '{ type filter hook output priority 0; policy drop; }'])


def restore(b, method):
    if method == 'link-down':
        b.node.run(['ip', 'link', 'set', b.node.ifname(), 'up'])
        b.node.run(['ip', 'addr', 'replace', b.node.addr('ipv4') + '/30', 'dev', b.node.ifname()])
    else:
        b.node.run(['nft', 'delete', 'table', 'inet', TABLE])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--probe', default=os.path.join(ROOT, 'build', 'bfd', 'bfd_probe'))
    ap.add_argument('--trials', type=int, default=10)
    ap.add_argument('--interval', type=int, default=100)
    ap.add_argument('--mult', type=int, default=3)
    ap.add_argument('--methods', default='link-down,drop')
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit('needs root (network namespaces)')
    os.environ['BGPLB_BFD_PROBE'] = netns.snapshot_binary(a.probe)
    results = {}
    b = beds.Bed('frr', tx=a.interval, rx=a.interval, mult=a.mult)
    try:
        b.wait_up()
        log = os.path.join(b.router.dir, 'bfdd.log')
        for method in a.methods.split(','):
            times, reasons = [], set()
            for _ in range(a.trials):
                beds.peers.wait_for(lambda: b.probe.status()[0]['tx_interval_us'] == a.interval * 1000
                                    and b.router.timers(b.node_addr)['remote_tx'] == a.interval, 30,
                                    'timers not settled')
                time.sleep(0.3 + (a.interval / 1000.0) * (time.monotonic() % 1))  # a random phase
                t_cut = time.time()
                cut(b, method)
                t_after = time.time()
                beds.peers.wait_for(lambda: down_lines(log, t_cut), 10, 'bfdd never logged Down')
                t_down, why = down_lines(log, t_cut)[0]
                times.append((t_down - (t_cut + t_after) / 2) * 1000)
                reasons.add(why)
                restore(b, method)
                b.wait_up(30)
            results[method] = {
                'trials': len(times), 'ms_min': round(min(times), 1), 'ms_median': round(statistics.median(times), 1),
                'ms_max': round(max(times), 1), 'all_ms': [round(t, 1) for t in times],
                'bfdd_reasons': sorted(reasons),
                'detection_time_ms': a.interval * a.mult,
            }
    finally:
        b.close()
    print(json.dumps(results, indent=1))


if __name__ == '__main__':
    main()
