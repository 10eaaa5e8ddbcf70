"""Wire times from a capture on the receiver's veth, decoded by tshark's BGP dissector.

analyze(pcap, announcer_addr, before) -> {est, first_upd, last_nlri, eor, n_upd} (epoch seconds)
  est        wire Established: the later of the first KEEPALIVE in each direction
  first_upd  first UPDATE from the announcer
  last_nlri  last UPDATE from the announcer before `before` that is not an End-of-RIB
             and comes before the first End-of-RIB
  last_routes  the same, wherever the End-of-RIB is (FRR may send it before its routes)
first_update_after(pcap, announcer_addr, t) -> time of the announcer's first UPDATE after t
"""
import os
import signal
import subprocess
import time

import netns

# End-of-RIB: IPv4 = an empty UPDATE (23 octets); other families = MP_UNREACH_NLRI with
# AFI/SAFI only (29 octets with a 1-octet attribute length, 30 with an extended one).
EOR_LENGTHS = (23, 29, 30)


class Capture:
    """tcpdump on the receiver's side; not promiscuous (-p) so that no interface flag changes."""

    def __init__(self, ns, ifname, d):
        self.ns, self.ifname = ns, ifname
        self.path = os.path.join(d, 'bgp.pcap')
        self.proc = None

    def start(self):
        log = self.path + '.log'
        self.proc = self.ns.popen(['tcpdump', '-i', self.ifname, '-p', '-n', '-s', '0', '-U', '--immediate-mode',
                                   '-Z', 'root', '-w', self.path, 'tcp port 179'], log_path=log)
        end = time.monotonic() + 10
        while time.monotonic() < end and self.proc.poll() is None:
            with open(log, errors='replace') as f:
                if 'listening on' in f.read():
                    return self
            time.sleep(0.02)
        raise RuntimeError('tcpdump did not start: see %s' % log)

    def stop(self):
        if self.proc is not None:
            time.sleep(0.5)
            netns.stop_process(self.proc, sig=signal.SIGINT)
            self.proc = None


def _frames(pcap, src):
    out = subprocess.run(['tshark', '-r', pcap, '-d', 'tcp.port==179,bgp', '-Y', 'bgp', '-T', 'fields',
                          '-E', 'separator=|', '-E', 'aggregator=,', '-e', 'frame.time_epoch', '-e', 'ip.src',
                          '-e', 'ipv6.src', '-e', 'bgp.type', '-e', 'bgp.length'],
                         capture_output=True, text=True, timeout=900).stdout
    for ln in out.splitlines():
        t, s4, s6, types, lens = (ln.split('|') + [''] * 5)[:5]
        yield (float(t), (s4 or s6) == src, [int(x) for x in types.split(',') if x],
               [int(x) for x in lens.split(',') if x])


def analyze(pcap, src, before=None):
    r = {'n_upd': 0}
    ka = {}
    for t, from_a, types, lens in _frames(pcap, src):
        if 4 in types and from_a not in ka:
            ka[from_a] = t
            if len(ka) == 2:
                r['est'] = max(ka.values())
        if from_a and 2 in types and (before is None or t < before):
            r.setdefault('first_upd', t)
            for ty, ln in zip(types, lens):
                if ty != 2:
                    continue
                r['n_upd'] += 1
                if ln in EOR_LENGTHS:
                    r.setdefault('eor', t)
                    continue
                r['last_routes'] = t
                if 'eor' not in r:
                    r['last_nlri'] = t
    return r


def first_update_after(pcap, src, t0):
    for t, from_a, types, _ in _frames(pcap, src):
        if from_a and 2 in types and t >= t0:
            return t
    return None
