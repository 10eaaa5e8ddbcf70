"""`bgplb run` under stress (issue 18), against real gobgpd peers with a 3 s hold time.
Each test checks the invariants while its fault lasts and after: no route the peers
received is withdrawn, no session leaves Established (but the frozen peer's, which
must end within the hold time), no KEEPALIVE gap reaches the hold time, /healthz and
/readyz tell the truth, the log names the problem, and SIGTERM ends the process within
its drain time."""
import os
import signal
import subprocess
import time

import pytest

import bed as stress
import manifests
import netns
import routers

HERE = os.path.dirname(os.path.abspath(__file__))
EXIT_SLACK = 2.0   # seconds beyond --shutdown-drain for withdrawals, Cease and exit


@pytest.fixture
def beds():
    made = []
    yield lambda *a, **kw: made.append(stress.Bed(*a, **kw)) or made[-1]
    for b in made:
        b.close()


def shutdown_within_drain(b):
    rc, took = b.stop()
    assert rc == 0 and took <= b.drain + EXIT_SLACK, \
        'SIGTERM: exit %r after %.2fs (drain %ds)\n%s' % (rc, took, b.drain, b.log()[-3000:])
    assert b.events('stopped'), 'no `stopped` event'
    print('exit after SIGTERM: %.2fs (drain %ds)' % (took, b.drain))


def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def add_services(b, name, prefix, count):
    with open(os.path.join(b.mdir, name + '.tmp'), 'w') as f:
        f.write(manifests.services_yaml(prefix, count, first=b.services))
    os.rename(os.path.join(b.mdir, name + '.tmp'), os.path.join(b.mdir, name))
    b.services += count


def test_fd_limit_and_metrics_flood(bgplb, beds):
    """Item 1: RLIMIT_NOFILE 1024 and 1,100 connections held open to the metrics port.
    The HTTP server caps its connections and backs off (no spin), /healthz still
    answers, a full re-read (SIGHUP) and a new manifest still work, nothing withdrawn."""
    b = beds(bgplb, nofile=1024, services=20)
    b.wait_up()
    routes = b.expected_routes()
    w = stress.Watch(b)
    flood = b.spk.popen(['python3', os.path.join(HERE, 'flood.py'), '127.0.0.1', '7472', '1100'],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        held = int(flood.stdout.readline() or 0)
        assert held >= 1000, 'the flood holds only %d connections' % held
        cpu0, t0 = cpu_seconds(b.proc.pid), time.monotonic()
        time.sleep(3)
        cpu = (cpu_seconds(b.proc.pid) - cpu0) / (time.monotonic() - t0)
        print('flood: %d connections held, bgplb CPU %.1f%%' % (held, cpu * 100))
        assert cpu < 0.5, 'bgplb uses %.0f%% CPU while the flood lasts (an accept loop spinning?)' % (cpu * 100)
        for path in ('/healthz', '/readyz'):
            status, body = b.http(path)
            assert status == 200, '%s during the flood: %s %s' % (path, status, body[:200])
        b.proc.send_signal(signal.SIGHUP)       # a full re-read with the descriptors scarce
        add_services(b, 'more.yaml', 'm', 5)
        routers.wait_for(lambda: b.expected_routes() <= set(b.routers[0].routes('ipv4')), 15,
                         'a manifest added during the flood never reached the peer')
        assert b.events('http_busy') or b.events('http_accept_error'), 'the log does not name the flood'
    finally:
        flood.stdin.close()
        netns.stop_process(flood, grace=2)
    assert b.http('/healthz')[0] == 200
    w.stop()
    assert w.problems(0, routes) == []
    assert not b.events('config_error') and not b.events('datastore_stale'), b.log()[-2000:]
    shutdown_within_drain(b)


def test_hostile_manifest_entries(bgplb, beds):
    """Items 2-4: a FIFO, a symlink to /dev/zero, two symlinks to '.', 100,000 nested '['
    and a huge (sparse) file appear in the manifest directory. The first three are
    skipped (not regular files; a directory is walked once), the last two refused by
    name; the last good state is kept (nothing withdrawn, /metrics says the config is stale),
    a good edit made afterwards is still applied, and SIGTERM still ends the process."""
    b = beds(bgplb, services=20)
    b.wait_up()
    routes = b.expected_routes()
    w = stress.Watch(b)
    m = b.mdir
    os.mkfifo(os.path.join(m, 'fifo.yaml'))
    os.symlink('/dev/zero', os.path.join(m, 'zero.yaml'))
    os.symlink('.', os.path.join(m, 'loop1'))
    os.symlink('.', os.path.join(m, 'loop2'))
    with open(os.path.join(m, 'deep.yaml'), 'w') as f:
        f.write('[' * 100000)
    with open(os.path.join(m, 'huge.yaml'), 'w') as f:
        f.truncate(4 << 30)
    b.proc.send_signal(signal.SIGHUP)
    time.sleep(1)
    add_services(b, 'later.yaml', 'l', 3)
    routers.wait_for(lambda: b.expected_routes() <= set(b.routers[0].routes('ipv4')), 15,
                     lambda: 'a good manifest added after the hostile ones never reached the peer:\n' + b.log()[-3000:])
    assert b.http('/healthz')[0] == 200
    assert b.metric('metallb_k8s_client_config_stale_bool') == 1, 'the refused manifests do not show in /metrics'
    problems = '\n'.join(l for l in b.log().splitlines()
                         if any(' event=%s ' % e in l for e in ('config_error', 'config_warning', 'datastore_stale')))
    for name in ('deep.yaml', 'huge.yaml'):
        assert name in problems, 'no log event names %s:\n%s' % (name, problems)
    # What is not a regular file is not a manifest (skipped, store/src/posix.cpp), and a
    # directory is entered once whatever links to it: neither is an error.
    for name in ('fifo.yaml', 'zero.yaml', 'loop1', 'loop2'):
        assert name not in problems, 'a skipped entry taken for a broken manifest:\n%s' % problems
    w.stop()
    assert w.problems(0, routes) == []
    shutdown_within_drain(b)


def test_frozen_peer(bgplb, beds):
    """Item 5: one of two peers freezes (SIGSTOP) with small socket buffers while bgplb
    has thousands of routes to send it, so bgplb's writes to it block. Its session ends
    within the hold time; the other peer's stays up, gets every route and its KEEPALIVEs."""
    b = beds(bgplb, routers_count=2, services=20, router_buffers=(4096, 4096, 4096))
    b.wait_up()
    routes = b.expected_routes()
    w = stress.Watch(b)
    frozen = b.routers[1]
    frozen.frozen = True
    frozen.pause()
    t0 = time.monotonic()
    add_services(b, 'burst.yaml', 'b', 2000)
    queued = 0
    while time.monotonic() - t0 < stress.HOLD + 2:
        out = b.spk.run(['ss', '-tnH', 'dst', frozen.ns.addr('ipv4', 1)], check=False).stdout.split()
        queued = max(queued, int(out[2]) if len(out) > 2 and out[2].isdigit() else 0)
        if b.metric('metallb_bgp_session_up{peer="%s"}' % frozen.ns.addr('ipv4', 1)) == 0:
            break
        time.sleep(0.1)
    down_after = time.monotonic() - t0
    print('frozen peer: down after %.2fs, up to %d octets queued toward it' % (down_after, queued))
    assert queued > 0, 'nothing was ever queued toward the frozen peer: the test did not block a write'
    assert down_after <= stress.HOLD + 1, \
        'the frozen peer stayed up %.2fs with a %ds hold time:\n%s' % (down_after, stress.HOLD, b.log()[-2000:])
    routers.wait_for(lambda: [l for l in b.events('peer_down') if 'hold timer' in l], 5,
                     'no peer_down event names the hold timer')
    routers.wait_for(lambda: b.expected_routes() <= set(b.routers[0].routes('ipv4')), 30,
                     'the live peer never received the burst')
    assert b.http('/healthz')[0] == 200
    w.stop()
    assert w.problems(0, routes) == []
    frozen.resume()
    frozen.frozen = False
    shutdown_within_drain(b)
