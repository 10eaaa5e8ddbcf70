#!/usr/bin/python3
"""`bgplb run` with its eBPF dataplane, as root (exit 77, skipped, otherwise):

1. without CAP_BPF/CAP_SYS_ADMIN/CAP_NET_ADMIN (setpriv): --dataplane=auto keeps the
   control plane ready and says what is missing (log event, metric, /v1/dataplane);
   --dataplane=xdp is not ready, with the reason in /readyz.
2. in a network namespace of its own (a veth to a "router" namespace holding the BGP peer's
   address): the module attaches in XDP to the interface that routes to the peer, programs
   the quickstart's services, metrics pass promtool; `bgplb dataplane detach` then leaves
   no program on the interface, no program loaded, and no map or pin.

usage: dataplane_daemon_test.py BGPLB BGPLBCTL SOURCE_ROOT"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import daemon_test  # promtool_check, free_port, wait_for (reads the same argv)

BGPLB, BGPLBCTL, ROOT = sys.argv[1:4]
TAG = uuid.uuid4().hex[:8]
NODE_NS, RT_NS = 'bgplbdp-n-' + TAG, 'bgplbdp-r-' + TAG
UPLINK, RT_LINK = 'dpu' + TAG[:6], 'dpr' + TAG[:6]
PIN_ROOT = '/sys/fs/bpf/bgplb-test-' + TAG


def sh(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, check=check)


def in_ns(*args):
    return ['nsenter', '--net=/var/run/netns/' + NODE_NS] + list(args)


def get(port, path):
    """GET from inside the node's namespace: (status, body)."""
    code = ('import sys, urllib.request, urllib.error\n'
            'try:\n r = urllib.request.urlopen("http://127.0.0.1:%d%s", timeout=2); print(r.status); print(r.read().decode(), end="")\n'
            'except urllib.error.HTTPError as e:\n print(e.code); print(e.read().decode(), end="")\n') % (port, path)
    r = subprocess.run(in_ns('python3', '-c', code), capture_output=True, text=True)
    if r.returncode != 0:
        raise OSError(r.stderr)
    status, _, body = r.stdout.partition('\n')
    return int(status), body


def dataplane_doc(getter, port):
    """/v1/dataplane as JSON; a 503 (the speaker programming its maps) is asked again."""
    end = time.time() + 10
    status, body = getter(port, '/v1/dataplane')
    while status == 503 and time.time() < end:
        time.sleep(0.1)
        status, body = getter(port, '/v1/dataplane')
    assert status == 200, (status, body)
    return json.loads(body)


def start(manifests, state, port, extra, log, wrap=()):
    return subprocess.Popen(list(wrap) + [BGPLB, 'run', '-f', manifests, '--state', state, '--node', 'node2',
                                          '--metrics-address', '127.0.0.1:%d' % port, '--api-address', '',
                                          '--shutdown-drain', '0', '--controller', 'on',
                                          '--dataplane-pin-root', PIN_ROOT] + extra, stderr=log)


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)


def without_bpf(work, manifests):
    """setpriv drops the capabilities BPF needs; the host's namespace is safe: nothing loads."""
    drop = ['setpriv', '--bounding-set=-bpf,-sys_admin,-net_admin', '--inh-caps=-bpf,-sys_admin,-net_admin']
    for mode, ready in (('auto', True), ('xdp', False)):
        port = daemon_test.free_port()
        log_path = os.path.join(work, 'nocap-%s.log' % mode)
        with open(log_path, 'w') as log:
            proc = start(manifests, os.path.join(work, 'state-' + mode), port, ['--dataplane', mode], log, drop)
        try:
            daemon_test.wait_for(lambda: daemon_test.get(port, '/metrics')[0] == 200, '/metrics')
            daemon_test.wait_for(lambda: 'bgplb_dataplane_state' in daemon_test.get(port, '/metrics')[1], 'a state')
            status, body = daemon_test.get(port, '/readyz')
            if ready:
                daemon_test.wait_for(lambda: daemon_test.get(port, '/readyz')[0] == 200, '/readyz')
            else:
                time.sleep(0.5)
                status, body = daemon_test.get(port, '/readyz')
                assert status == 503 and 'dataplane: BPF dataplane unavailable: needs CAP_BPF' in body, (status, body)
            doc = dataplane_doc(daemon_test.get, port)
            assert doc['state'] == ('unavailable' if ready else 'failed'), doc
            assert 'needs CAP_BPF (or CAP_SYS_ADMIN) and CAP_NET_ADMIN' in doc['reason'], doc
            text = daemon_test.get(port, '/metrics')[1]
            assert 'bgplb_dataplane_up{mode="%s",hook="none"} 0' % mode in text, text
            daemon_test.promtool_check(text)
        finally:
            stop(proc)
        with open(log_path) as f:
            logged = f.read()
        assert 'event=dataplane_unavailable mode=%s reason="BPF dataplane unavailable: needs CAP_BPF' % mode in logged, logged
        assert not os.path.exists(os.path.join(PIN_ROOT, 'node2')), 'pinned without capabilities'
    print('ok: without capabilities, auto stays ready and xdp is not ready, both saying why')


def attached_programs():
    """ids of the BPF programs on the uplink (XDP and tc), from bpftool."""
    r = sh(*in_ns('bpftool', '-j', 'net', 'show', 'dev', UPLINK))
    ids = []
    for entry in json.loads(r.stdout):
        for kind in ('xdp', 'tc'):
            ids += [p['id'] for p in entry.get(kind, []) if 'id' in p]
    return ids


def in_namespace(work, manifests):
    for ns in (NODE_NS, RT_NS):
        sh('ip', 'netns', 'add', ns)
    sh('ip', 'link', 'add', UPLINK, 'netns', NODE_NS, 'type', 'veth', 'peer', 'name', RT_LINK, 'netns', RT_NS)
    sh('ip', '-n', NODE_NS, 'addr', 'add', '192.0.2.12/24', 'dev', UPLINK)
    sh('ip', '-n', RT_NS, 'addr', 'add', '192.0.2.1/24', 'dev', RT_LINK)
    for ns, link in ((NODE_NS, UPLINK), (RT_NS, RT_LINK)):
        sh('ip', '-n', ns, 'link', 'set', link, 'up')
        sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')
    port = daemon_test.free_port()
    log_path = os.path.join(work, 'ns.log')
    with open(log_path, 'w') as log:
        # the default mode (auto), maps of 1,024 services
        proc = start(manifests, os.path.join(work, 'state-ns'), port, ['--dataplane-max-services', '1024'], log, in_ns())
    try:
        daemon_test.wait_for(lambda: get(port, '/readyz')[0] == 200, '/readyz', timeout=20)
        daemon_test.wait_for(lambda: dataplane_doc(get, port)['state'] == 'running', 'running',
                             timeout=20)
        doc = dataplane_doc(get, port)
        assert doc['hook'] == 'xdp' and doc['interfaces'] == [UPLINK], doc
        assert doc['pin_root'] == PIN_ROOT + '/node2', doc
        assert doc['capacity']['services'] == 1023, doc['capacity']  # id 0 is never used
        assert doc['capacity']['services_programmed'] == len(doc['services']), doc
        names = [s['name'] for s in doc['services']]
        assert any(n.startswith('demo/web-local:') for n in names), names
        text = get(port, '/metrics')[1]
        assert 'bgplb_dataplane_up{mode="auto",hook="xdp"} 1' in text, text
        assert 'bgplb_dataplane_drops_total{reason="no_backend"}' in text, text
        daemon_test.promtool_check(text)
        table = subprocess.run(in_ns(BGPLBCTL, 'dataplane', '--speaker', '127.0.0.1:%d' % port), capture_output=True,
                               text=True)
        assert table.returncode == 0 and 'demo/web-local' in table.stdout, table.stdout + table.stderr
        assert 'room: %d of 1023 dataplane services programmed' % len(names) in table.stdout, table.stdout
    finally:
        stop(proc)
    progs = attached_programs()
    assert len(progs) == 3, 'XDP, tc ingress and tc egress stay attached after a stop: %s' % progs
    assert os.path.isdir(os.path.join(PIN_ROOT, 'node2')), 'pins stay after a stop'

    # A restart asking for bigger maps keeps the pinned ones (and their flows), and says so.
    log_path = os.path.join(work, 'ns-resized.log')
    with open(log_path, 'w') as log:
        proc = start(manifests, os.path.join(work, 'state-ns'), port, ['--dataplane-max-services', '2048'], log, in_ns())
    try:
        daemon_test.wait_for(lambda: dataplane_doc(get, port)['state'] == 'running', 'running', timeout=20)
        assert dataplane_doc(get, port)['capacity']['services'] == 1023
    finally:
        stop(proc)
    with open(log_path) as f:
        logged = f.read()
    assert 'event=dataplane_capacity' in logged and 'asked=2048 pinned=1024' in logged, logged

    r = subprocess.run(in_ns(BGPLB, 'dataplane', 'detach', '--node', 'node2', '--dataplane-pin-root', PIN_ROOT),
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert attached_programs() == [], 'a program is still attached'
    # a detached tc program is freed after an RCU grace period: give it a moment
    for pid in progs:
        daemon_test.wait_for(lambda: sh('bpftool', 'prog', 'show', 'id', str(pid), check=False).returncode != 0,
                             'program %d to be unloaded' % pid, timeout=5)
    assert not os.path.exists(PIN_ROOT), 'pins left: %s' % os.listdir(PIN_ROOT)
    print('ok: attached in XDP to %s, programmed, detached without a trace' % UPLINK)


def main():
    if os.geteuid() != 0:
        print('skipped: needs root (network namespaces, BPF)')
        return 77
    for tool in ('setpriv', 'nsenter', 'bpftool'):
        if not shutil.which(tool):
            print('skipped: %s is missing' % tool)
            return 77
    work = tempfile.mkdtemp(prefix='bgplb-dataplane-test-')
    try:
        manifests = os.path.join(work, 'm')
        shutil.copytree(os.path.join(ROOT, 'examples', 'quickstart'), manifests)
        without_bpf(work, manifests)
        in_namespace(work, manifests)
        return 0
    finally:
        for ns in (NODE_NS, RT_NS):
            sh('ip', 'netns', 'del', ns, check=False)
        if os.path.isdir(PIN_ROOT):
            shutil.rmtree(PIN_ROOT, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
