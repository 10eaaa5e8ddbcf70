#!/usr/bin/env python3
"""Peer benchmark: bgplb's speaker against gobgpd, BIRD 2 and FRR as BGP announcers, in one run.

Each announcer in its own network namespace (AS 65001) holds N IPv4 /32 or IPv6 /128 routes
and waits; a receiving BIRD 2 (AS 65002, `import all; export none;`, no kernel protocol) in
a second namespace joined by veth connects; its control socket is polled every --interval
(1 ms) for "BGP state: Established" and the number of imported routes. Per run:

  load       seconds to get N routes into the announcer (not compared)
  Est->all   from the first poll that sees Established to the first that sees all N
  wire       from the capture on the receiver's veth: wire Established (second KEEPALIVE) to
             the announcer's last UPDATE carrying routes
  RSS        announcer peak RSS (VmHWM; FRR: bgpd + zebra) after convergence and after the withdrawal
  withdraw   one prefix withdrawn: from writing the command on a connection opened before
             (bgplb: its stdin; gobgpd: a connected gobgptool's stdin; BIRD: its control
             socket; FRR: bgpd's vty) to the poll that sees N-1 routes

Prints a Markdown table (medians over --reps, [min-max]) with the ratios to bgplb and the
verdict on the issue's targets; every run is appended as a JSON line to --out.

    sudo python3 test/bench/peers/bench.py --announcer build-h1/test/tools/bgp_announcer

--product compares the products instead (issue 16): the receiver is started first and
connects on its own (connect retry 1 s); then each announcer is launched from its
configuration with N routes (bgplb-run: `bgplb run` on N LoadBalancer services; the peers:
N static routes, see announcers.py) and itself connects. Per run:

  launch->Est   from the announcer's process start to the poll that sees Established
  launch->all   from the process start to the poll that sees all N routes imported
  wire          from the process start to the announcer's last UPDATE carrying routes
  RSS           the announcer's peak RSS (VmHWM) at the end, so over the whole run

    sudo python3 test/bench/peers/bench.py --product --bgplb build/speaker/cmd/bgplb

Needs root, scripts/install-bench-deps.sh, and builds gobgptool on first use. Not part of
CI or `meson test`. The peers are measured in the same run, so the ratios hold on any machine.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, 'test', 'integration'))
import netns  # noqa: E402  (namespaces with per-run unique names, cleanup on exit and signals)
import wire  # noqa: E402
from announcers import ANNOUNCERS, ASA, ASR, PRODUCT, now  # noqa: E402
from ctl import BirdCtl  # noqa: E402

CLK = os.sysconf('SC_CLK_TCK')
TAG = 'bgplbbench'


# ---------------------------------------------------------------- host accounting
def mem_kb(pid):
    d = {}
    try:
        with open('/proc/%d/status' % pid) as f:
            for ln in f:
                k, _, v = ln.partition(':')
                if k in ('VmHWM', 'VmRSS'):
                    d[k] = int(v.split()[0])
    except OSError:
        pass
    return d


def cpu_s(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            x = f.read().rsplit(')', 1)[1].split()
        return (int(x[11]) + int(x[12])) / CLK
    except OSError:
        return 0.0


def busy_s():
    with open('/proc/stat') as f:
        x = [int(v) for v in f.readline().split()[1:]]
    return (sum(x) - x[3] - x[4]) / CLK


def wait_quiet(max_wait, thresh=0.5, need=2):
    """The host is shared: wait (bounded) for `need` 0.5 s samples under `thresh` busy cores."""
    t0, ok, c = now(), 0, 0.0
    while now() - t0 < max_wait:
        b = busy_s()
        time.sleep(0.5)
        c = (busy_s() - b) / 0.5
        ok = ok + 1 if c < thresh else 0
        if ok >= need:
            break
    return round(now() - t0, 1), round(c, 2)


# ---------------------------------------------------------------- receiver
def start_receiver(ns, d, fam, local, remote):
    """BIRD 2, connecting to the announcer 1 s after its start and again every second while
    it is refused (the product comparison starts it before the announcer)."""
    proto = 'a4' if fam == 'ipv4' else 'a6'
    conf, sock = os.path.join(d, 'birdR.conf'), os.path.join(d, 'birdR.ctl')
    with open(conf, 'w') as f:
        f.write('log "%s/birdR.log" all;\nrouter id 10.0.0.2;\ntimeformat protocol iso long ms;\n'
                'protocol device {}\n' % d)
        f.write('protocol bgp %s {\n  local %s as %d;\n  neighbor %s as %d;\n  connect delay time 1;\n'
                '  connect retry time 1;\n  error wait time 1, 10;\n'
                '  %s { import all; export none; };\n}\n' % (proto, local, ASR, remote, ASA, fam))
    p = ns.popen(['bird', '-f', '-c', conf, '-s', sock, '-P', os.path.join(d, 'birdR.pid')],
                 log_path=os.path.join(d, 'birdR.out'))
    return p, proto, sock


# ---------------------------------------------------------------- one run
def poll_until_all(b, proto, n, A, t0, args, res):
    """Polls the receiver every --interval from t0: (first poll that sees Established, first
    that sees all n routes imported), each with its uncertainty (the time since the poll
    before) in res."""
    t_est = None
    prev = next_check = t0
    while True:
        st, imp = b.proto(proto)
        t = now()
        if t_est is None and st == 'Established':
            t_est, res['est_uncert_s'] = t, t - prev
        if t_est is not None and imp >= n:
            res['all_uncert_s'] = t - prev
            return t_est, t
        if t - t0 > args.timeout:
            raise TimeoutError('receiver: state %s, %d of %d routes after %.0f s' % (st, imp, n, t - t0))
        if t >= next_check:
            A.check_alive()
            next_check = t + 0.2
        prev = t
        time.sleep(args.interval)


def run_one(name, fam, n, args, tools):
    res = {'ann': name, 'fam': fam, 'n': n, 'ts': time.time()}
    topo = netns.Topology(TAG)
    d = netns.make_tempdir('bench-%s-%s-%d' % (name, fam, n))
    A = cap = rx = None
    try:
        nsa, nsr = topo.add_ns('A'), topo.add_ns('R')
        topo.link(nsa, nsr)
        la, lr = nsa.addr(fam), nsr.addr(fam)
        if args.pcap:
            cap = wire.Capture(nsr, nsr.ifname(), d).start()
        A = ANNOUNCERS[name](nsa, d, fam, n, la, lr, tools)
        A.start()
        res['load_s'] = round(A.load(), 3)
        res['rss_after_load_kb'] = sum(mem_kb(p).get('VmHWM', 0) for p in A.pids().values())
        res['quiet_wait_s'], res['busy_before'] = wait_quiet(args.quiet_wait)
        rx, proto, sock = start_receiver(nsr, d, fam, lr, la)
        b = BirdCtl(sock)
        busy0, cpua0, cpur0, me0 = busy_s(), sum(map(cpu_s, A.pids().values())), cpu_s(rx.pid), time.process_time()
        t0 = now()
        t_est, t_all = poll_until_all(b, proto, n, A, t0, args, res)
        window = t_all - t_est
        busy1, cpua1, cpur1, me1 = busy_s(), sum(map(cpu_s, A.pids().values())), cpu_s(rx.pid), time.process_time()
        res['est_to_all_s'] = round(window, 4)
        res['cpu_A_s'] = round(cpua1 - cpua0, 2)
        if t_all - t0 >= 0.3:
            res['foreign_cores'] = round(((busy1 - busy0) - (cpua1 - cpua0) - (cpur1 - cpur0) - (me1 - me0))
                                         / (t_all - t0), 2)
        time.sleep(0.3)
        res['rss_kb'] = {k: mem_kb(p).get('VmHWM', 0) for k, p in A.pids().items()}
        res['rss_after_conv_kb'] = sum(res['rss_kb'].values())
        res['rx_rss_kb'] = mem_kb(rx.pid).get('VmHWM', 0)
        # one withdrawal
        A.arm_withdraw()
        time.sleep(0.3)
        tw_wall, tw = time.time(), now()
        A.withdraw_one()
        while True:
            st, imp = b.proto(proto)
            t = now()
            if imp == n - 1:
                break
            if t - tw > 60:
                raise TimeoutError('withdrawal not seen in 60 s (imported %d)' % imp)
            time.sleep(args.interval)
        res['withdraw_s'] = round(t - tw, 4)
        res['withdraw_via'] = 'open connection'
        A.finish_withdraw()
        time.sleep(0.3)
        res['rss_end_kb'] = sum(mem_kb(p).get('VmHWM', 0) for p in A.pids().values())
        b.close()
        if cap:
            cap.stop()
            w = wire.analyze(cap.path, la, before=tw_wall)
            res['wire'] = w
            if w.get('est') and w.get('last_nlri'):
                res['wire_est_to_last_s'] = round(w['last_nlri'] - w['est'], 4)
            if w.get('est') and w.get('first_upd'):
                res['wire_est_to_first_s'] = round(w['first_upd'] - w['est'], 4)
            wd = wire.first_update_after(cap.path, la, tw_wall)
            if wd:
                res['wire_withdraw_s'] = round(wd - tw_wall, 4)
    except Exception as e:
        res['error'] = repr(e)
    finally:
        close_run(res, args, d, topo, A, rx, cap)
    return record(res, args)


def close_run(res, args, d, topo, A, rx, cap):
    """Stops what a run started and removes its namespaces and files (kept with --keep)."""
    if A:
        A.close()
    if rx:
        netns.stop_process(rx)
    if cap:
        cap.stop()
    topo.close()
    if args.keep:
        res['dir'] = d
    netns.remove_tempdir(d)


def record(res, args):
    with open(args.out, 'a') as f:
        f.write(json.dumps(res) + '\n')
    print(json.dumps({k: v for k, v in res.items() if k not in ('wire', 'rss_kb')}), flush=True)
    return res


def run_product(name, fam, n, args, tools):
    """The product comparison's run: receiver first (already connecting), then the announcer
    launched with its N routes configured; the clock starts at the launch."""
    res = {'mode': 'product', 'ann': name, 'fam': fam, 'n': n, 'ts': time.time()}
    topo = netns.Topology(TAG)
    d = netns.make_tempdir('prod-%s-%d' % (name, n))
    A = cap = rx = b = None
    try:
        nsa, nsr = topo.add_ns('A'), topo.add_ns('R')
        topo.link(nsa, nsr)
        la, lr = nsa.addr(fam), nsr.addr(fam)
        A = ANNOUNCERS[name](nsa, d, fam, n, la, lr, tools, active=True)
        A.configure()
        if args.pcap:
            cap = wire.Capture(nsr, nsr.ifname(), d).start()
        res['quiet_wait_s'], res['busy_before'] = wait_quiet(args.quiet_wait)
        res['loadavg'] = os.getloadavg()[0]
        rx, proto, sock = start_receiver(nsr, d, fam, lr, la)
        b = BirdCtl(sock)
        time.sleep(1.5)                 # past its first attempt: the receiver is connecting
        busy0, me0 = busy_s(), time.process_time()
        t0_wall, t0 = time.time(), now()
        A.launch()
        cpur0 = cpu_s(rx.pid)
        t_est, t_all = poll_until_all(b, proto, n, A, t0, args, res)
        busy1, me1 = busy_s(), time.process_time()
        cpua = sum(map(cpu_s, A.pids().values()))
        res['launch_to_est_s'] = round(t_est - t0, 4)
        res['launch_to_all_s'] = round(t_all - t0, 4)
        res['est_to_all_s'] = round(t_all - t_est, 4)
        res['cpu_A_s'] = round(cpua, 2)
        res['foreign_cores'] = round(((busy1 - busy0) - cpua - (cpu_s(rx.pid) - cpur0) - (me1 - me0))
                                     / (t_all - t0), 2)
        time.sleep(1.0)
        res['rss_kb'] = {k: mem_kb(p).get('VmHWM', 0) for k, p in A.pids().items()}
        res['rss_end_kb'] = sum(res['rss_kb'].values())
        res['rx_rss_kb'] = mem_kb(rx.pid).get('VmHWM', 0)
        if cap:
            cap.stop()
            w = wire.analyze(cap.path, la)
            res['wire'] = w
            if w.get('last_routes'):
                res['wire_launch_to_last_s'] = round(w['last_routes'] - t0_wall, 4)
    except Exception as e:
        res['error'] = repr(e)
    finally:
        if b:
            b.close()
        close_run(res, args, d, topo, A, rx, cap)
    return record(res, args)


# ---------------------------------------------------------------- report
def med(xs, fmt):
    xs = [x for x in xs if x is not None]
    if not xs:
        return 'n/a'
    m = statistics.median(xs)
    if len(xs) == 1:
        return fmt % m
    return (fmt + ' [' + fmt + '–' + fmt + ']') % (m, min(xs), max(xs))


def median_of(rs, key):
    xs = [r[key] for r in rs if r.get(key) is not None]
    return statistics.median(xs) if xs else None


POLL_FLOOR = 0.005     # below this, Est->all is within a few polls: no meaningful ratio


def ratio(t, base):
    if t is None or not base:
        return 'n/a'
    if base < POLL_FLOOR:
        return 'n/a (bgplb < %d ms)' % (POLL_FLOOR * 1000)
    return '%.2f' % (t / base)


def report(results, anns):
    out = []
    keys = sorted({(r['fam'], r['n']) for r in results}, key=lambda k: (k[1], k[0]))
    out.append('| fam | N | announcer | runs | Est→all s (poll) | Est→last UPDATE s (wire) | time ÷ bgplb '
               '| peak RSS MiB | RSS ÷ bgplb | withdraw 1 s (poll) | foreign cores |')
    out.append('|---|---|---|---|---|---|---|---|---|---|---|')
    verdicts = []
    for fam, n in keys:
        rows = {a: [r for r in results if r['ann'] == a and r['fam'] == fam and r['n'] == n and 'error' not in r]
                for a in anns}
        base_t = median_of(rows.get('bgplb', []), 'est_to_all_s')
        base_m = median_of(rows.get('bgplb', []), 'rss_end_kb')
        for a in anns:
            rs = rows[a]
            errs = [r['error'] for r in results if r['ann'] == a and r['fam'] == fam and r['n'] == n and 'error' in r]
            t, m = median_of(rs, 'est_to_all_s'), median_of(rs, 'rss_end_kb')
            out.append('| %s | %d | %s | %d%s | %s | %s | %s | %s | %s | %s | %s |' % (
                fam, n, a, len(rs), ' (+%d failed)' % len(errs) if errs else '',
                med([r.get('est_to_all_s') for r in rs], '%.3f'),
                med([r.get('wire_est_to_last_s') for r in rs], '%.3f'),
                ratio(t, base_t),
                med([r['rss_end_kb'] / 1024 if r.get('rss_end_kb') else None for r in rs], '%.1f'),
                '%.2f' % (m / base_m) if m and base_m else 'n/a',
                med([r.get('withdraw_s') for r in rs], '%.4f') + ('' if all(r.get('withdraw_via') for r in rs) else ' ¹'),
                med([r.get('foreign_cores') for r in rs], '%.2f')))
        others = [a for a in anns if a != 'bgplb' and rows[a]]
        if base_t and others and n >= 100000:
            fastest = min(others, key=lambda a: median_of(rows[a], 'est_to_all_s'))
            ft = median_of(rows[fastest], 'est_to_all_s')
            leanest = min(others, key=lambda a: median_of(rows[a], 'rss_end_kb'))
            lm = median_of(rows[leanest], 'rss_end_kb')
            verdicts.append('%s N=%d: bgplb %.3f s vs fastest other %s %.3f s = %.2f× (target ≥ 2×: %s); '
                            'peak RSS %.1f MiB vs leanest %s %.1f MiB (target ≤: %s)' % (
                                fam, n, base_t, fastest, ft, ft / base_t, 'met' if ft / base_t >= 2 else 'MISSED',
                                base_m / 1024, leanest, lm / 1024, 'met' if base_m <= lm else 'MISSED'))
    if any('¹' in line for line in out):
        out.append('\n¹ recorded before the withdrawal went through a connection opened beforehand: bgplb wrote '
                   'a command to its open stdin, the peers started a CLI process (birdc, vtysh, gobgptool) whose '
                   'start-up is inside their figure; not like with like.')
    return '\n'.join(out), verdicts


def report_product(results, anns):
    """The product comparison's table, and the verdict of issue 16: each bgplb-run variant
    ahead of the fastest peer, in at most BIRD's peak RSS plus 1 KiB per service."""
    out = ['| N | announcer | runs | launch→Est s | launch→all s (poll) | launch→last UPDATE s (wire) '
           '| Est→all s | peak RSS MiB | KiB per route | CPU s | foreign cores |',
           '|---|---|---|---|---|---|---|---|---|---|---|']
    verdicts = []
    for n in sorted({r['n'] for r in results}):
        rows = {a: [r for r in results if r['ann'] == a and r['n'] == n and 'error' not in r] for a in anns}
        for a in anns:
            rs = rows[a]
            errs = sum(1 for r in results if r['ann'] == a and r['n'] == n and 'error' in r)
            out.append('| %d | %s | %d%s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
                n, a, len(rs), ' (+%d failed)' % errs if errs else '',
                med([r.get('launch_to_est_s') for r in rs], '%.3f'),
                med([r.get('launch_to_all_s') for r in rs], '%.3f'),
                med([r.get('wire_launch_to_last_s') for r in rs], '%.3f'),
                med([r.get('est_to_all_s') for r in rs], '%.3f'),
                med([r['rss_end_kb'] / 1024 if r.get('rss_end_kb') else None for r in rs], '%.1f'),
                med([r['rss_end_kb'] / n if r.get('rss_end_kb') else None for r in rs], '%.2f'),
                med([r.get('cpu_A_s') for r in rs], '%.2f'),
                med([r.get('foreign_cores') for r in rs], '%.2f')))
        peers = [a for a in anns if a not in PRODUCT and rows[a]]
        if not peers:
            continue
        fastest = min(peers, key=lambda a: median_of(rows[a], 'launch_to_all_s'))
        ft = median_of(rows[fastest], 'launch_to_all_s')
        bird_m = median_of(rows['bird'], 'rss_end_kb') if rows.get('bird') else None
        for a in anns:
            if a not in PRODUCT or not rows[a]:
                continue
            t, m = median_of(rows[a], 'launch_to_all_s'), median_of(rows[a], 'rss_end_kb')
            mem = ('no BIRD run' if bird_m is None else
                   'peak RSS %.1f MiB vs BIRD %.1f MiB + 1 KiB × %d = %.1f MiB (%s)' % (
                       m / 1024, bird_m / 1024, n, (bird_m + n) / 1024, 'met' if m <= bird_m + n else 'MISSED'))
            verdicts.append('N=%d %s: launch→all %.3f s vs fastest peer %s %.3f s (%s); %s' % (
                n, a, t, fastest, ft, 'ahead: met' if t < ft else 'behind: MISSED', mem))
    return '\n'.join(out), verdicts


# ---------------------------------------------------------------- main
def tools_for(args, anns):
    tools = {}
    for a in set(anns) & set(PRODUCT):
        if not os.access(args.bgplb, os.X_OK):
            sys.exit('bench: %s is not built (ninja -C BUILD speaker/cmd/bgplb)' % args.bgplb)
        d = netns.make_tempdir('bench-bin')
        tools['bgplb-run'] = shutil.copy2(args.bgplb, os.path.join(d, 'bgplb'))
        break
    if 'bgplb' in anns:
        if not os.access(args.announcer, os.X_OK):
            sys.exit('bench: %s is not built (ninja -C BUILD test/tools/bgp_announcer)' % args.announcer)
        d = netns.make_tempdir('bench-bin')     # a snapshot: a rebuild during the run cannot swap it
        tools['bgplb'] = shutil.copy2(args.announcer, os.path.join(d, 'bgp_announcer'))
    if 'gobgpd' in anns:
        gt = os.path.join(args.work, 'bin', 'gobgptool')
        if not os.access(gt, os.X_OK):
            subprocess.run([os.path.join(HERE, 'build_gobgptool.sh'), os.path.dirname(gt)], check=True)
        tools['gobgptool'] = gt
    need = {'gobgpd': ['gobgpd'], 'bird': ['bird', 'birdc'], 'frr': ['/usr/lib/frr/bgpd', '/usr/lib/frr/zebra', 'vtysh']}
    need['frr-c0'] = need['frr']
    missing = [b for a in anns for b in need.get(a, []) if not shutil.which(b)] + \
              [b for b in ('bird', 'tcpdump', 'tshark') if not shutil.which(b)]
    if missing:
        sys.exit('bench: missing %s (scripts/install-bench-deps.sh)' % ', '.join(sorted(set(missing))))
    return tools


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--announcer', default=os.path.join(ROOT, 'build', 'test', 'tools', 'bgp_announcer'),
                    help='bgp_announcer binary (default: build/test/tools/bgp_announcer)')
    ap.add_argument('--product', action='store_true', help='the product comparison (see above)')
    ap.add_argument('--bgplb', default=os.path.join(ROOT, 'build', 'speaker', 'cmd', 'bgplb'),
                    help='with --product: the bgplb binary (default: build/speaker/cmd/bgplb)')
    ap.add_argument('--ann', default=None, help='announcers (default: bgplb,gobgpd,bird,frr,frr-c0; with '
                    '--product bgplb-run,bgplb-run-nodp,gobgpd,bird,frr,frr-c0)')
    ap.add_argument('--fam', default=None, help='families (default: ipv4,ipv6; with --product ipv4)')
    ap.add_argument('--n', default='10000,100000')
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--interval', type=float, default=0.001, help='receiver poll interval, s')
    ap.add_argument('--timeout', type=float, default=300)
    ap.add_argument('--quiet-wait', type=float, default=30, help='max s to wait for an idle host before a run')
    ap.add_argument('--no-pcap', dest='pcap', action='store_false')
    ap.add_argument('--keep', action='store_true', help='keep configs, logs and captures')
    ap.add_argument('--work', default='/tmp/bgplb-bench')
    ap.add_argument('--out', default=None, help='JSON lines (default WORK/results-<time>.jsonl)')
    ap.add_argument('--report', help='only print the table of an earlier --out file')
    args = ap.parse_args()
    if args.report:
        with open(args.report) as f:
            results = [json.loads(ln) for ln in f if ln.strip()]
        args.product = any(r.get('mode') == 'product' for r in results)
    anns = (args.ann or ('bgplb-run,bgplb-run-nodp,gobgpd,bird,frr,frr-c0' if args.product
                         else 'bgplb,gobgpd,bird,frr,frr-c0')).split(',')
    fams = (args.fam or ('ipv4' if args.product else 'ipv4,ipv6')).split(',')
    if not args.product and set(anns) & set(PRODUCT):
        sys.exit('bench: %s only with --product' % ', '.join(sorted(set(anns) & set(PRODUCT))))
    if args.product and 'bgplb' in anns:
        sys.exit('bench: --product compares the daemon (bgplb-run), not the library tool (bgplb)')
    if args.report:
        present = [a for a in anns if any(r['ann'] == a for r in results)]
        table, verdicts = (report_product if args.product else report)(results, present)
        print(table + '\n\n' + '\n'.join(verdicts))
        return 0
    if os.geteuid() != 0:
        sys.exit('bench: needs root (network namespaces)')
    os.makedirs(args.work, exist_ok=True)
    if args.keep:
        os.environ['BGPLB_KEEP_TMP'] = '1'      # netns.remove_tempdir keeps them (also at exit)
    args.out = args.out or os.path.join(args.work, 'results-%s.jsonl' % time.strftime('%Y%m%dT%H%M%S'))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))    # atexit in netns removes what we made
    netns.reap_stale(TAG)
    tools = tools_for(args, anns)
    results = []
    load_before = os.getloadavg()
    for rep in range(args.reps):
        for n in [int(x) for x in args.n.split(',')]:
            for fam in fams:
                for a in anns:                   # interleaved, so that a noisy minute hits everyone
                    r = (run_product if args.product else run_one)(a, fam, n, args, tools)
                    r['rep'] = rep
                    results.append(r)
    table, verdicts = (report_product if args.product else report)(results, anns)
    print('\nresults: %s\n%s; load average %s before, %s after\n' % (
        args.out, time.strftime('%Y-%m-%d %H:%M %Z'), '/'.join('%.2f' % x for x in load_before),
        '/'.join('%.2f' % x for x in os.getloadavg())))
    print(table + '\n\n' + '\n'.join(verdicts))
    return 0


if __name__ == '__main__':
    sys.exit(main())
