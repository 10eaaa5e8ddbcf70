"""Topology builder for the interop tests: network namespaces joined by veth pairs.

Every name carries a random per-run suffix, so two runs can go at once. What is created is
recorded in a process-wide registry as it is created, and removed by the context manager,
by `cleanup_all()` (atexit, SIGTERM/SIGINT handler in conftest.py) and never by name
patterns, so a crashed test or Ctrl-C leaves nothing behind.

    with Topology() as topo:
        spk = topo.add_ns('spk')
        rtr = topo.add_ns('rtr')
        topo.link(spk, rtr)          # 10.0.0.1/30 + fd00::1/64  <->  10.0.0.2/30 + fd00::2/64
        spk.run(['ip', 'addr'])

Addresses: link k (0-based) uses 10.0.k.{1,2}/30 and fd00:0:0:k::{1,2}/64. They exist only
inside the namespaces of this topology.
"""
import atexit
import concurrent.futures
import ctypes
import ipaddress
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time

_lock = threading.Lock()
_namespaces = []        # names of namespaces we created and have not removed yet
_processes = []         # Popen objects (or pids) we started and have not reaped yet
_tempdirs = []


def run(argv, check=True, timeout=30, **kw):
    """subprocess.run with text output captured; raises with stderr on failure."""
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise RuntimeError('%s: exit %d: %s' % (' '.join(argv), r.returncode, (r.stderr or r.stdout).strip()))
    return r


def suffix():
    return secrets.token_hex(3)     # 6 hex chars: veth names stay within IFNAMSIZ


def make_tempdir(prefix):
    d = tempfile.mkdtemp(prefix='bgplb-it-p%d-%s-' % (os.getpid(), prefix))
    os.chmod(d, 0o755)              # FRR drops privileges to user frr and must reach its files
    with _lock:
        _tempdirs.append(d)
    return d


def remove_tempdir(d):
    if os.environ.get('BGPLB_KEEP_TMP'):
        print('keeping %s' % d)
    else:
        shutil.rmtree(d, ignore_errors=True)
    with _lock:
        if d in _tempdirs:
            _tempdirs.remove(d)


def _alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            st = f.read().rsplit(')', 1)[1].split()[0]
        return st != 'Z'
    except OSError:
        return False


def register_process(p):
    with _lock:
        _processes.append(p)


def stop_process(p, sig=signal.SIGTERM, grace=5.0):
    """Signal one process we started (Popen or pid), SIGKILL it after `grace`, reap it.
    Resumes it first in case a test left it SIGSTOPped."""
    pid = p.pid if hasattr(p, 'pid') else p
    if hasattr(p, 'poll') and p.poll() is not None:
        # Already exited and reaped: its pid may belong to someone else by now (pid_max is
        # small here and the suite spawns many short-lived CLI processes).
        with _lock:
            if p in _processes:
                _processes.remove(p)
        return
    for s in (signal.SIGCONT, sig):
        try:
            os.kill(pid, s)
        except ProcessLookupError:
            break
    end = time.monotonic() + grace
    while time.monotonic() < end and _alive(pid):
        if hasattr(p, 'poll') and p.poll() is not None:
            break
        time.sleep(0.02)
    if (p.poll() is None) if hasattr(p, 'poll') else _alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if hasattr(p, 'wait'):
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    with _lock:
        if p in _processes:
            _processes.remove(p)


def cleanup_all():
    """Remove everything this process created that is still there (last resort)."""
    with _lock:
        procs, nss, dirs = list(_processes), list(_namespaces), list(_tempdirs)
    for p in reversed(procs):
        stop_process(p, grace=2.0)
    for ns in nss:
        _del_ns(ns)
    for d in dirs:
        remove_tempdir(d)


atexit.register(cleanup_all)


def _del_ns(name):
    subprocess.run(['ip', 'netns', 'del', name], capture_output=True)
    with _lock:
        if name in _namespaces:
            _namespaces.remove(name)


class Namespace:
    def __init__(self, name, role):
        self.name, self.role = name, role
        self.addrs = {}                 # link index -> {'ipv4': .., 'ipv6': .., 'ifname': ..}

    def argv(self, argv, host_mounts=False):
        """`ip netns exec` gives the process a mount namespace of its own (its own /sys, and
        so its own BPF filesystem); with host_mounts it enters the network namespace only,
        so BPF pins outlive it (a speaker restarted on its pinned maps)."""
        if host_mounts:
            return ['nsenter', '--net=/var/run/netns/' + self.name] + list(argv)
        return ['ip', 'netns', 'exec', self.name] + list(argv)

    def run(self, argv, check=True, timeout=30, host_mounts=False, **kw):
        return run(self.argv(argv, host_mounts), check=check, timeout=timeout, **kw)

    def popen(self, argv, log_path=None, host_mounts=False, **kw):
        """Start a long-running process in this namespace, in its own session (so our signals
        reach only it), registered for cleanup."""
        out = open(log_path, 'ab') if log_path else subprocess.DEVNULL
        kw.setdefault('stdin', subprocess.DEVNULL)
        kw.setdefault('stdout', out)
        kw.setdefault('stderr', subprocess.STDOUT if log_path else subprocess.DEVNULL)
        p = subprocess.Popen(self.argv(argv, host_mounts), start_new_session=True, **kw)
        if log_path:
            out.close()
        register_process(p)
        return p

    def thread(self):
        """An executor whose one thread lives in this namespace (setns(2) on it alone):
        sockets made by what it runs are the namespace's, so this process can talk to
        (or listen for) the namespace's processes without a subprocess per call."""
        return concurrent.futures.ThreadPoolExecutor(1, initializer=_enter_netns, initargs=(self.name,))

    def addr(self, family='ipv4', link=0):
        return self.addrs[link][family]

    def ifname(self, link=0):
        return self.addrs[link]['ifname']

    def __repr__(self):
        return 'Namespace(%s)' % self.name


CLONE_NEWNET = 0x40000000


def _enter_netns(name):
    """Moves the calling thread (only it) into network namespace `name`."""
    fd = os.open('/run/netns/' + name, os.O_RDONLY)
    try:
        if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, 'setns into %s: %s' % (name, os.strerror(err)))
    finally:
        os.close(fd)


def _interrupt(signum, frame):
    raise KeyboardInterrupt('signal %d' % signum)


def prepare_pytest_run(tag='bgplb'):
    """For a suite's pytest_configure: SIGTERM/SIGHUP become KeyboardInterrupt so fixtures
    tear down, and what SIGKILLed runs of this harness left behind is removed first."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    if os.geteuid() == 0 and shutil.which('ip'):
        for name in reap_stale(tag):
            print('removed %s, left by a run that died' % name)


_snapshots = {}


def snapshot_binary(path):
    """A copy of the binary in a temp dir of this run: a rebuild during the run must not
    swap (or half-write) what is being tested. One copy per binary per run: the sanitizer
    builds' binaries weigh 100-250 MB each, and a copy per rack once filled CI's disk."""
    st = os.stat(path)
    key = (os.path.realpath(path), st.st_ino, st.st_size, st.st_mtime_ns)
    with _lock:
        copy = _snapshots.get(key)
    if copy and os.path.exists(copy):
        return copy
    d = make_tempdir('bin')
    copy = os.path.join(d, os.path.basename(path))
    shutil.copy2(path, copy)
    with _lock:
        _snapshots[key] = copy
    return copy


def reap_stale(tag='bgplb'):
    """Remove namespaces and temp dirs left by runs of this harness that died without cleaning up (SIGKILL):
    their name carries the pid of the run; if that process is gone, the processes still inside
    the namespace (routers it started) are killed by pid and the namespace deleted."""
    out = run(['ip', 'netns', 'list'], check=False).stdout
    reaped = []
    for ln in out.splitlines():
        name = ln.split()[0] if ln.split() else ''
        parts = name.split('-')
        if len(parts) != 4 or parts[0] != tag or not parts[1].startswith('p') or not parts[1][1:].isdigit():
            continue
        if _alive(int(parts[1][1:])):
            continue
        for pid in run(['ip', 'netns', 'pids', name], check=False).stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        subprocess.run(['ip', 'netns', 'del', name], capture_output=True)
        reaped.append(name)
    tmp = tempfile.gettempdir()
    for fn in os.listdir(tmp):
        parts = fn.split('-')
        if fn.startswith('bgplb-it-p') and len(parts) > 3 and parts[2][1:].isdigit() and not _alive(int(parts[2][1:])):
            shutil.rmtree(os.path.join(tmp, fn), ignore_errors=True)
            reaped.append(os.path.join(tmp, fn))
    return reaped


class Topology:
    """Context manager owning namespaces and veth pairs; removes them on exit.
    Namespace names: <tag>-p<pid of this run>-<random>-<role>, e.g. bgplb-p4242-a1b2c3-rtr."""

    def __init__(self, tag='bgplb'):
        self.id = suffix()
        self.tag = '%s-p%d' % (tag, os.getpid())
        self.namespaces = []
        self.links = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def add_ns(self, role):
        name = '%s-%s-%s' % (self.tag, self.id, role)
        with _lock:
            _namespaces.append(name)    # registered before creation: a half-made one is removed too
        run(['ip', 'netns', 'add', name])
        ns = Namespace(name, role)
        self.namespaces.append(ns)
        ns.run(['ip', 'link', 'set', 'lo', 'up'])
        # IPv6 addresses usable at once, also ones added later without nodad.
        ns.run(['sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0'])
        ns.run(['sysctl', '-qw', 'net.ipv6.conf.default.accept_dad=0'])
        return ns

    def link(self, a, b):
        """veth between a and b with 10.0.k.1/30, fd00:0:0:k::1/64 on a and .2/::2 on b."""
        k = self.links
        self.links += 1
        ia, ib = 'v%s%da' % (self.id, k), 'v%s%db' % (self.id, k)
        run(['ip', 'link', 'add', ia, 'netns', a.name, 'type', 'veth', 'peer', 'name', ib, 'netns', b.name])
        for ns, ifn, host in ((a, ia, 1), (b, ib, 2)):
            v4, v6 = '10.0.%d.%d' % (k, host), str(ipaddress.IPv6Address('fd00:0:0:%x::%d' % (k, host)))
            ns.run(['ip', 'addr', 'add', v4 + '/30', 'dev', ifn])
            ns.run(['ip', 'addr', 'add', v6 + '/64', 'dev', ifn, 'nodad'])
            ns.run(['ip', 'link', 'set', ifn, 'up'])
            ns.addrs[k] = {'ipv4': v4, 'ipv6': v6, 'ifname': ifn}
        return k

    def close(self):
        for ns in reversed(self.namespaces):
            _del_ns(ns.name)        # veth ends die with their namespace
        self.namespaces = []
