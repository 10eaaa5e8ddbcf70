#!/usr/bin/python3
"""The main job on loopback, no root needed: `bgplb run` on a copy of examples/quickstart
(its router is unreachable, so sessions stay down; planning, metrics, health, the
services view, the API's trust model and shutdown do not need them). The eBPF dataplane is
off: the route to the quickstart's router leaves by this host's own uplink
(dataplane_daemon_test.py runs it in a namespace).

usage: daemon_test.py BGPLB BGPLBCTL SOURCE_ROOT"""
import os
import shutil
import signal
import socket
import stat
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
                                 '--api-socket', os.path.join(work, 'api', 'node2.sock'),
                                 '--shutdown-drain', '0', '--controller', 'on', '--dataplane', 'off'], stderr=log)
        wait_for(lambda: get(metrics, '/readyz')[0] == 200, '/readyz')
        assert get(metrics, '/healthz') == (200, 'ok\n')
        status, text = get(metrics, '/metrics')
        assert status == 200
        for want in ('metallb_speaker_announced{protocol="bgp",service="demo/web-local",node="node2",ip="198.51.100.2"} 1',
                     'metallb_bgp_session_up{peer="192.0.2.1"} 0',
                     'metallb_allocator_addresses_in_use_total{pool="demo"} 2',
                     'metallb_k8s_client_config_stale_bool 0',
                     'bgplb_dataplane_state{state="off",reason="--dataplane=off"} 1'):
            assert want in text, 'missing from /metrics: ' + want
        promtool_check(text)
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
        faults(work, manifests)
        api_trust(work, manifests)
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


# MetalLB exports these gauges with a _total suffix; bgplb keeps MetalLB's names so existing
# dashboards and alerts keep working, and promtool's naming lint flags exactly these.
METALLB_NAMES = {'metallb_allocator_addresses_in_use_total', 'metallb_allocator_addresses_total',
                 'metallb_bgp_announced_prefixes_total', 'metallb_bgp_pending_prefixes_total'}


def promtool_check(text):
    """`promtool check metrics` (Debian's prometheus package): the exposition must parse,
    and its lint may only name MetalLB's own names."""
    if not shutil.which('promtool'):
        if os.environ.get('CI'):
            raise AssertionError('promtool is missing (scripts/install-deps.sh installs prometheus)')
        print('promtool not installed: /metrics not linted')
        return
    r = subprocess.run(['promtool', 'check', 'metrics'], input=text, capture_output=True, text=True)
    problems = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
    unexpected = [l for l in problems if l.split()[0] not in METALLB_NAMES]
    assert r.returncode in (0, 3) and not unexpected, 'promtool check metrics (exit %d):\n%s' % (r.returncode, '\n'.join(problems))


def faults(work, manifests):
    """Issue 18: a closed log pipe (SIGPIPE, `bgplb run ... 2>&1 | head -1`) does not kill
    the process; a state directory that cannot be written makes /readyz and a metric say
    so and announces nothing new, and it recovers once writes work again."""
    state = os.path.join(work, 'state2')
    metrics, api = free_port(), free_port()
    proc = subprocess.Popen([BGPLB, 'run', '-f', manifests, '--state', state, '--node', 'node2',
                             '--metrics-address', '127.0.0.1:%d' % metrics, '--api-address', '127.0.0.1:%d' % api,
                             '--api-socket', os.path.join(work, 'api2', 'node2.sock'),
                             '--shutdown-drain', '0', '--controller', 'on', '--dataplane', 'off'], stderr=subprocess.PIPE)
    try:
        proc.stderr.readline()
        proc.stderr.close()  # what `| head -1` does
        wait_for(lambda: get(metrics, '/readyz')[0] == 200, '/readyz')
        for _ in range(3):
            proc.send_signal(signal.SIGHUP)  # logs a line into the closed pipe
            time.sleep(0.2)
        assert proc.poll() is None, 'bgplb died writing to a closed log pipe (exit %r)' % proc.returncode
        assert get(metrics, '/readyz')[0] == 200

        # The controller cannot replace ledger.json (its temporary name is a directory).
        blocker = os.path.join(state, '.ledger.json.tmp')
        os.mkdir(blocker)
        new_service = os.path.join(manifests, 'svc-new.yaml')
        with open(new_service, 'w') as f:
            f.write('apiVersion: v1\nkind: Service\nmetadata: {name: web-new, namespace: demo}\n'
                    'spec: {type: LoadBalancer, clusterIP: 10.96.7.7, ports: [{port: 80}]}\n')
        wait_for(lambda: 'cannot persist allocations' in get(metrics, '/readyz')[1], '/readyz saying writes fail')
        assert get(metrics, '/readyz')[0] == 503
        assert 'bgplb_controller_state_write_failures_total 0' not in get(metrics, '/metrics')[1]
        assert 'web-new' not in services(metrics), 'an address that was never persisted is announced'
        os.rmdir(blocker)
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: get(metrics, '/readyz')[0] == 200, '/readyz after writes work again')
        wait_for(lambda: 'demo/web-new' in services(metrics), 'the new service once persisted')
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        proc = None
        os.unlink(new_service)
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()


def api_trust(work, manifests):
    """Issue 18 item 11: control RPCs and writes only on the owner-only Unix socket (mode
    0600, directory 0700), refused over loopback TCP with PERMISSION_DENIED, each call
    logged as `api_call` with its caller; a second process on the same socket is refused
    at start, saying why. The real gobgp client when installed (CI), else bgplbctl."""
    client = shutil.which('gobgp')
    if not client:
        if os.environ.get('CI'):
            raise AssertionError('gobgp is missing (scripts/install-deps.sh installs gobgp)')
        client = BGPLBCTL
    sock = os.path.join(work, 'api3', 'node2.sock')
    metrics, api = free_port(), free_port()
    log_path = os.path.join(work, 'api.log')
    base = [BGPLB, 'run', '-f', manifests, '--node', 'node2', '--shutdown-drain', '0', '--controller', 'on',
            '--dataplane', 'off']
    proc = subprocess.Popen(base + ['--state', os.path.join(work, 'state3'), '--metrics-address', '127.0.0.1:%d' % metrics,
                                    '--api-address', '127.0.0.1:%d' % api, '--api-socket', sock, '--api-allow-writes'],
                            stderr=open(log_path, 'w'))

    def call(*args):
        r = subprocess.run([client] + list(args), capture_output=True, text=True, timeout=10)
        return r.returncode, r.stdout + r.stderr

    def logged(rpc, transport, result):
        with open(log_path) as f:
            return [l for l in f if 'event=api_call' in l and 'rpc=%s ' % rpc in l and 'transport=%s ' % transport in l
                    and 'result=%s ' % result in l]
    try:
        wait_for(lambda: os.path.exists(sock), 'the API socket')
        st, dst = os.stat(sock), os.stat(os.path.dirname(sock))
        assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600, 'socket mode %o' % st.st_mode
        assert stat.S_IMODE(dst.st_mode) == 0o700, 'socket directory mode %o' % dst.st_mode
        tcp = ['-u', '127.0.0.1', '-p', str(api)]
        unix = ['--target', 'unix://' + sock]
        for args, rpc in ((['global', 'rib', 'add', '10.99.0.0/24'], 'AddPath'),
                          (['neighbor', '192.0.2.1', 'disable'], 'DisablePeer')):
            code, out = call(*(tcp + args))
            assert code != 0 and 'PermissionDenied' in out.replace('PERMISSION_DENIED', 'PermissionDenied') and sock in out, \
                'over TCP: exit %d: %s' % (code, out)
            assert logged(rpc, 'tcp', 'PERMISSION_DENIED'), 'no api_call line for %s refused over TCP' % rpc
            code, out = call(*(unix + args))
            assert code == 0, 'on the socket: exit %d: %s' % (code, out)
            wait_for(lambda: logged(rpc, 'unix', 'OK'), 'the api_call line of %s on the socket' % rpc)
            assert 'caller="uid=%d pid=' % os.geteuid() in logged(rpc, 'unix', 'OK')[0]
        code, out = call(*(tcp + ['global', 'rib']))
        assert code == 0 and '10.99.0.0/24' in out, 'read over TCP: exit %d: %s' % (code, out)
        assert not logged('ListPath', 'tcp', 'OK'), 'a read is not audited'
        code, out = call(*(unix + ['neighbor', '192.0.2.1', 'enable']))
        assert code == 0, out

        second = subprocess.run(base + ['--state', os.path.join(work, 'state4'), '--metrics-address',
                                        '127.0.0.1:%d' % free_port(), '--api-address', '127.0.0.1:%d' % free_port(),
                                        '--api-socket', sock], capture_output=True, text=True, timeout=10)
        assert second.returncode != 0 and 'another process serves it' in second.stderr, \
            'a second process on the socket: exit %d: %s' % (second.returncode, second.stderr)
        assert os.path.exists(sock), 'the refused process removed the first one\'s socket'
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        proc = None
        assert not os.path.exists(sock), 'the socket outlives the process'
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()


if __name__ == '__main__':
    sys.exit(main())
