#!/usr/bin/python3
"""The main job on loopback, no root needed: `bgplb run` on a copy of examples/quickstart
(its router is unreachable, so sessions stay down; planning, metrics, health, the
services view and shutdown do not need them).

usage: daemon_test.py BGPLB BGPLBCTL SOURCE_ROOT"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

BGPLB, BGPLBCTL, ROOT = sys.argv[1:4]


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def get(port, path):
    try:
        with urllib.request.urlopen('http://127.0.0.1:%d%s' % (port, path), timeout=2) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_for(cond, what, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if cond():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError('timed out waiting for ' + what)


def services(port):
    r = subprocess.run([BGPLBCTL, 'services', '--speaker', '127.0.0.1:%d' % port], capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else ''


def main():
    work = tempfile.mkdtemp(prefix='bgplb-daemon-test-')
    proc = None
    try:
        manifests = os.path.join(work, 'm')
        shutil.copytree(os.path.join(ROOT, 'examples', 'quickstart'), manifests)
        metrics, api = free_port(), free_port()
        log = open(os.path.join(work, 'bgplb.log'), 'w')
        proc = subprocess.Popen([BGPLB, 'run', '-f', manifests, '--state', os.path.join(work, 'state'), '--node', 'node2',
                                 '--metrics-address', '127.0.0.1:%d' % metrics, '--api-address', '127.0.0.1:%d' % api,
                                 '--shutdown-drain', '0'], stderr=log)
        wait_for(lambda: get(metrics, '/readyz')[0] == 200, '/readyz')
        assert get(metrics, '/healthz') == (200, 'ok\n')
        status, text = get(metrics, '/metrics')
        assert status == 200
        for want in ('metallb_speaker_announced{protocol="bgp",service="demo/web-local",node="node2",ip="198.51.100.2"} 1',
                     'metallb_bgp_session_up{peer="192.0.2.1"} 0',
                     'metallb_allocator_addresses_in_use_total{pool="demo"} 2',
                     'metallb_k8s_client_config_stale_bool 0'):
            assert want in text, 'missing from /metrics: ' + want
        table = services(metrics)
        assert 'demo/web-local    198.51.100.2  demo  tor' in table, table

        # node2's only endpoint of the Local service goes: the address is withheld at once.
        path = os.path.join(manifests, 'endpoints-web-local.yaml')
        with open(path) as f:
            text = f.read()
        with open(path + '.tmp', 'w') as f:
            f.write(text.replace('nodeName: node2', 'nodeName: node9'))
        os.rename(path + '.tmp', path)
        wait_for(lambda: 'withheld: no ready endpoint on node node2' in services(metrics), 'the withdrawal')

        # A broken manifest keeps the last good state and says so.
        with open(os.path.join(manifests, 'broken.yaml'), 'w') as f:
            f.write('apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: bad}\nspec: {addresses: [10.0.0.0/33]}\n')
        wait_for(lambda: 'metallb_k8s_client_config_stale_bool 1' in get(metrics, '/metrics')[1], 'stale config')
        assert 'demo/web-cluster  198.51.100.1  demo  tor' in services(metrics)

        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=10)
        assert rc == 0, 'exit %r after SIGTERM' % rc
        proc = None
        print('daemon test passed')
        return 0
    except AssertionError as e:
        print('FAIL:', e)
        with open(os.path.join(work, 'bgplb.log')) as f:
            print(f.read()[-4000:])
        return 1
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
