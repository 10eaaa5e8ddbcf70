#!/usr/bin/env python3
"""BFD scale benchmark (on demand, root): N sessions at I ms on one core.

The system under test is bfd_probe with N sessions (peers 127.1.0.1 + i, from
127.0.0.1) pinned to one CPU; the generator is a second bfd_probe with the N mirror
sessions (from 127.1.0.1 + i to 127.0.0.1) pinned to the other. Both run in a fresh
network namespace on its loopback. Once every session is Up (and the Poll Sequences
after slow start are over) the script measures, over a window of --seconds:

  - CPU time of the system under test (user + system, /proc/PID/stat), as % of a core
  - its periodic transmissions and the late ones: a packet is late when more than the
    negotiated interval passed since the previous one (RFC 5880 §6.8.7 allows 75-100 %)
  - the worst delay of a transmission past its deadline
  - session down events on either side (must be 0)

    sudo python3 test/bench/bfd/run.py --probe build/bfd/bfd_probe --sessions 1000 --interval 50
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, 'test', 'integration'))
import netns  # noqa: E402

TICKS = os.sysconf('SC_CLK_TCK')


class Proc:
    def __init__(self, ns, argv, cpu, niceness=0, fifo=0):
        prio = ['chrt', '-f', str(fifo)] if fifo else ['nice', '-n', str(niceness)]
        self.p = ns.popen(prio + ['taskset', '-c', str(cpu)] + argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.lines = []
        self.cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.expect('ready')
        # `ip netns exec` execs nice (or chrt), taskset, then bfd_probe: the Popen pid is the probe's.
        self.pid = self.p.pid

    def _read(self):
        for ln in self.p.stdout:
            try:
                o = json.loads(ln)
            except ValueError:
                continue
            with self.cv:
                self.lines.append(o)
                self.cv.notify_all()

    def expect(self, event, timeout=60):
        end = time.monotonic() + timeout
        with self.cv:
            while True:
                for i, o in enumerate(self.lines):
                    if o.get('event') == event:
                        del self.lines[:i + 1]
                        return o
                if time.monotonic() > end:
                    raise RuntimeError('no %s from %s' % (event, self.p.args))
                self.cv.wait(0.5)

    def cmd(self, line, event):
        self.p.stdin.write((line + '\n').encode())
        self.p.stdin.flush()
        return self.expect(event)

    def cpu_seconds(self):
        with open('/proc/%d/stat' % self.pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--probe', default=os.path.join(ROOT, 'build', 'bfd', 'bfd_probe'))
    ap.add_argument('--sessions', type=int, default=1000)
    ap.add_argument('--interval', type=int, default=50, help='transmit and receive interval, ms')
    ap.add_argument('--mult', type=int, default=3)
    ap.add_argument('--seconds', type=float, default=30)
    ap.add_argument('--cpu', type=int, default=0, help='CPU of the system under test (the generator gets the next)')
    ap.add_argument('--nice', type=int, default=0, help='niceness of both processes')
    ap.add_argument('--fifo', type=int, default=0,
                    help='SCHED_FIFO priority of both processes instead (shows what other load on the host costs)')
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit('needs root (a network namespace)')
    probe = netns.snapshot_binary(a.probe)
    ncpu = os.cpu_count() or 1
    with netns.Topology('bgplb') as topo:
        ns = topo.add_ns('bfdbench')
        common = ['--tx', str(a.interval), '--rx', str(a.interval), '--mult', str(a.mult),
                  '--sessions', str(a.sessions), '--quiet']
        sut = Proc(ns, [probe, '--peer', '127.1.0.1', '--local', '127.0.0.1', '--listen-port', '3784',
                        '--peer-port', '3785'] + common, a.cpu, a.nice, a.fifo)
        gen = Proc(ns, [probe, '--peer', '127.0.0.1', '--local', '127.1.0.1', '--count-local',
                        '--listen-port', '3785', '--peer-port', '3784'] + common, (a.cpu + 1) % ncpu, a.nice, a.fifo)
        t0 = time.monotonic()
        while True:
            st = sut.cmd('status', 'status')['sessions']
            up = sum(1 for s in st if s['state'] == 'Up' and not s['poll'] and s['tx_interval_us'] == a.interval * 1000)
            if up == a.sessions:
                break
            if time.monotonic() - t0 > 120:
                sys.exit('only %d of %d sessions Up and settled after 120 s' % (up, a.sessions))
            time.sleep(0.5)
        settle = time.monotonic() - t0
        time.sleep(2)
        s0, c0, w0 = sut.cmd('stats', 'stats'), sut.cpu_seconds(), time.monotonic()
        g0 = gen.cpu_seconds()
        time.sleep(a.seconds)
        s1, c1, w1 = sut.cmd('stats', 'stats'), sut.cpu_seconds(), time.monotonic()
        g1 = gen.cpu_seconds()
        st_sut = sut.cmd('status', 'status')['sessions']
        st_gen = gen.cmd('status', 'status')['sessions']
        wall = w1 - w0
        tx = s1['transmissions'] - s0['transmissions']
        late = s1['late_transmissions'] - s0['late_transmissions']
        down = sum(s['counters']['down_events'] for s in st_sut + st_gen)
        not_up = sum(1 for s in st_sut if s['state'] != 'Up')
        result = {
            'sessions': a.sessions, 'interval_ms': a.interval, 'nice': a.nice, 'fifo': a.fifo,
            'load_average_1_5_15min': open('/proc/loadavg').read().split()[:3], 'window_s': round(wall, 2),
            'all_up_after_s': round(settle, 2),
            'sut_cpu_percent_of_one_core': round(100 * (c1 - c0) / wall, 1),
            'generator_cpu_percent': round(100 * (g1 - g0) / wall, 1),
            'periodic_transmissions': tx, 'expected_about': int(a.sessions * wall * 1000 / (a.interval * 0.875)),
            'late_transmissions': late, 'late_fraction': round(late / tx, 6) if tx else None,
            'max_lateness_us_since_start': s1['max_lateness_us'],
            'lateness_past_deadline_lt_100us_1ms_5ms_20ms_more': [
                b1 - b0 for b0, b1 in zip(s0['lateness_histogram_lt_100us_1ms_5ms_20ms_more'],
                                          s1['lateness_histogram_lt_100us_1ms_5ms_20ms_more'])],
            'drops': s1['drops'], 'down_events_both_sides': down, 'sut_sessions_not_up': not_up,
        }
        snmp = ns.run(['cat', '/proc/net/snmp']).stdout.splitlines()
        udp = [ln.split()[1:] for ln in snmp if ln.startswith('Udp:')]
        result['udp_counters_in_namespace'] = dict(zip(udp[0], (int(x) for x in udp[1])))
        print(json.dumps(result, indent=1))
        for p in (sut, gen):
            netns.stop_process(p.p)


if __name__ == '__main__':
    main()
