#!/usr/bin/env python3
"""Harness self-test: gobgpd behind bgplb-speaker's command line, so the e2e suite can be
proved without our speaker:

    sudo BGPLB_SPEAKER=$PWD/test/e2e/fake_speaker.py python3 test/e2e/run_e2e.py

It re-implements MetalLB's announce rules naively, for what the suite writes only (JSON
manifests, one BGPPeer, pool selection by the advertisement's ipAddressPoolSelectors
matchLabels): node excluded by label or NetworkUnavailable -> nothing; an address is
announced when its pool is selected and the service has an endpoint that is ready (or
ready unset) or serving, on this node for externalTrafficPolicy Local, anywhere for
Cluster. Addresses come from the controller's status.json. Polls every 200 ms; SIGTERM
stops gobgpd and exits 0. Runs inside the node's namespace (gobgpd's API on 127.0.0.1)."""
import ipaddress
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

EXCLUDE = 'node.kubernetes.io/exclude-from-external-load-balancers'
GOBGP = ['gobgp', '-u', '127.0.0.1', '-p', '50051']


def options(argv):
    out = {}
    for i, a in enumerate(argv[:-1]):
        if a.startswith('-'):
            out[a] = argv[i + 1]
    return out


def load(mdir):
    kinds = {}
    for fn in sorted(os.listdir(mdir)):
        if fn.startswith('.') or not fn.endswith('.json'):
            continue
        try:
            with open(os.path.join(mdir, fn)) as f:
                o = json.load(f)
        except (OSError, ValueError):
            continue
        kinds.setdefault(o.get('kind'), []).append(o)
    return kinds


def counts(e):
    c = e.get('conditions', {})
    return c.get('ready') in (None, True) or c.get('serving') is True


def matches(labels, sel):
    return all(labels.get(k) == v for k, v in sel.get('matchLabels', {}).items())


def plan(kinds, node, status):
    me = next((n for n in kinds.get('Node', []) if n['metadata']['name'] == node), None)
    if me is None or EXCLUDE in me['metadata'].get('labels', {}):
        return set()
    if any(c['type'] == 'NetworkUnavailable' and c['status'] == 'True' for c in me['status'].get('conditions', [])):
        return set()
    nets = []
    for p in kinds.get('IPAddressPool', []):
        labels = p['metadata'].get('labels', {})
        if any(matches(labels, s) for a in kinds.get('BGPAdvertisement', [])
               for s in a['spec'].get('ipAddressPoolSelectors', [])):
            nets += [ipaddress.ip_network(c) for c in p['spec']['addresses']]
    svcs = {(s['metadata']['namespace'], s['metadata']['name']): s for s in kinds.get('Service', [])}
    out = set()
    for st in status.get('services', []):
        s = svcs.get((st['namespace'], st['name']))
        if s is None:
            continue
        eps = [e for sl in kinds.get('EndpointSlice', [])
               if sl['metadata']['namespace'] == st['namespace']
               and sl['metadata'].get('labels', {}).get('kubernetes.io/service-name') == st['name']
               for e in sl.get('endpoints', []) if counts(e)]
        if s['spec'].get('externalTrafficPolicy') == 'Local':
            eps = [e for e in eps if e.get('nodeName') == node]
        if eps:
            out |= {ip for ip in st.get('ingress', []) if any(ipaddress.ip_address(ip) in n for n in nets)}
    return out


def main():
    opt = options(sys.argv[1:])
    mdir, node, state = opt['-f'], opt['--node'], opt['--state']
    peer = load(mdir)['BGPPeer'][0]['spec']
    route = subprocess.run(['ip', '-4', '-o', 'route', 'get', peer['peerAddress']], capture_output=True, text=True)
    me = route.stdout.split(' src ')[1].split()[0]
    fd, conf = tempfile.mkstemp(prefix='fake-speaker-', suffix='.toml')
    with os.fdopen(fd, 'w') as f:
        f.write('[global.config]\n  as = %d\n  router-id = "%s"\n  port = -1\n'
                '[[neighbors]]\n  [neighbors.config]\n    neighbor-address = "%s"\n    peer-as = %d\n'
                '  [neighbors.timers.config]\n    connect-retry = 1\n    hold-time = 9\n    keepalive-interval = 3\n'
                % (peer['myASN'], me, peer['peerAddress'], peer['peerASN']))
    g = subprocess.Popen(['gobgpd', '-f', conf, '-p', '--pprof-disable', '--api-hosts', '127.0.0.1:50051'],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def term(*_):
        g.terminate()
        g.wait()
        os.unlink(conf)
        print('SIGTERM: gobgpd stopped', flush=True)
        sys.exit(0)
    signal.signal(signal.SIGTERM, term)
    for _ in range(100):
        if subprocess.run(GOBGP + ['global'], capture_output=True).returncode == 0:
            break
        time.sleep(0.1)
    have = set()
    while True:
        try:
            with open(os.path.join(state, 'status.json')) as f:
                status = json.load(f)
        except (OSError, ValueError):
            status = {}
        want = plan(load(mdir), node, status)
        for ip in sorted(want - have):
            subprocess.run(GOBGP + ['global', 'rib', 'add', ip + '/32', 'nexthop', me, '-a', 'ipv4'], capture_output=True)
            print('announce', ip, flush=True)
        for ip in sorted(have - want):
            subprocess.run(GOBGP + ['global', 'rib', 'del', ip + '/32', '-a', 'ipv4'], capture_output=True)
            print('withdraw', ip, flush=True)
        have = want
        time.sleep(0.2)


if __name__ == '__main__':
    main()
