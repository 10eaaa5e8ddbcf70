"""A 3-member etcd cluster in a namespace of its own on the rack's segment, for the e2e
tests that run bgplb on the etcd datastore (test_etcd_multinode.py).

    etcd namespace: 192.0.2.21, .22, .23 on one veth into the ToR's bridge
    member mK: client http://192.0.2.2K:2379, peer http://192.0.2.2K:2380

The nodes reach it over the segment, as they would reach etcd hosts in a rack. Ports are
fixed because the namespace is this run's own; the cluster token carries the run's id.
Data directories live under the fabric's temp dir (removed with it). Members are killed
with SIGKILL (or stopped with SIGTERM) and restarted on their data; `uri()` lists all
three; `compact()` drops the history a disconnected watcher would resume from."""
import base64
import json
import os
import signal

import netns
import routers

ETCD = '/usr/bin/etcd'
ETCDCTL = '/usr/bin/etcdctl'
MEMBERS = (('m1', '192.0.2.21'), ('m2', '192.0.2.22'), ('m3', '192.0.2.23'))
CLIENT_PORT, PEER_PORT = 2379, 2380


def missing():
    return [b for b in (ETCD, ETCDCTL) if not os.access(b, os.X_OK)]


def missing_reason():
    """Why the etcd racks cannot run here, or None."""
    gone = missing()
    return 'etcd not installed (%s; Debian etcd-server etcd-client)' % ', '.join(gone) if gone else None


class Cluster:
    def __init__(self, topo, bridge_ns, bridge, workdir, prefixlen):
        self.dir = workdir
        self.token = 'bgplb-e2e-%s' % topo.id
        self.ns = topo.add_ns('etcd')
        inner, outer = 'b%se0' % topo.id, 'b%set' % topo.id
        self.ns.run(['ip', 'link', 'add', inner, 'type', 'veth', 'peer', 'name', outer, 'netns', bridge_ns.name])
        for _, addr in MEMBERS:
            self.ns.run(['ip', 'addr', 'add', '%s/%d' % (addr, prefixlen), 'dev', inner])
        self.ns.run(['ip', 'link', 'set', inner, 'up'])
        bridge_ns.run(['ip', 'link', 'set', outer, 'master', bridge, 'up'])
        self.procs = {}             # member name -> Popen

    def endpoints(self, members=None):
        return ['%s:%d' % (a, CLIENT_PORT) for n, a in MEMBERS if members is None or n in members]

    def uri(self, prefix, params=''):
        return 'etcd://%s%s%s' % (','.join(self.endpoints()), prefix, '?' + params if params else '')

    def log(self, name):
        return os.path.join(self.dir, 'etcd-%s.log' % name)

    def start(self, name=None):
        """Starts one member (or all), on its data directory if it has one."""
        initial = ','.join('%s=http://%s:%d' % (n, a, PEER_PORT) for n, a in MEMBERS)
        for n, a in MEMBERS:
            if (name is not None and n != name) or n in self.procs:
                continue
            self.procs[n] = self.ns.popen(
                [ETCD, '--name', n, '--data-dir', os.path.join(self.dir, 'etcd-%s' % n),
                 '--listen-client-urls', 'http://%s:%d' % (a, CLIENT_PORT),
                 '--advertise-client-urls', 'http://%s:%d' % (a, CLIENT_PORT),
                 '--listen-peer-urls', 'http://%s:%d' % (a, PEER_PORT),
                 '--initial-advertise-peer-urls', 'http://%s:%d' % (a, PEER_PORT),
                 '--initial-cluster', initial, '--initial-cluster-state', 'new',
                 '--initial-cluster-token', self.token, '--logger', 'zap', '--log-level', 'warn'],
                log_path=self.log(n))

    def kill(self, name):
        netns.stop_process(self.procs.pop(name), sig=signal.SIGKILL, grace=2.0)

    def running(self):
        return sorted(self.procs)

    def etcdctl(self, args, members=None, check=True, timeout=10):
        return self.ns.run([ETCDCTL, '--endpoints', ','.join(self.endpoints(members)), '--command-timeout', '3s'] + args,
                           check=check, timeout=timeout, env=dict(os.environ, ETCDCTL_API='3'))

    def status(self):
        """{member name: etcdctl endpoint status} of the members that answer."""
        out = {}
        for n, _ in MEMBERS:
            if n not in self.procs:
                continue
            r = self.etcdctl(['endpoint', 'status', '-w', 'json'], members=[n], check=False)
            try:
                out[n] = json.loads(r.stdout)[0]['Status']
            except (ValueError, IndexError, KeyError):
                pass
        return out

    def leader(self):
        """The member that is etcd's raft leader now, or None."""
        for n, st in self.status().items():
            if st.get('leader') and st['leader'] == st.get('header', {}).get('member_id'):
                return n
        return None

    def wait_ready(self, timeout=30):
        routers.wait_for(lambda: self.etcdctl(['endpoint', 'health'], members=self.running(), check=False).returncode == 0,
                         timeout, lambda: 'etcd members %s not healthy:\n%s' % (self.running(), self.logs(10)))

    def revision(self):
        """The store's current revision (a member's `endpoint status` header)."""
        return max(int(st['header']['revision']) for st in self.status().values())

    def compact(self):
        """Compacts the history up to the current revision: a watch that resumes from an
        older revision is refused (`compacted`) and must list again. Returns the revision."""
        rev = self.revision()
        self.etcdctl(['compact', str(rev), '--physical'])
        return rev

    def get_prefix(self, prefix):
        """{key: value} under prefix (a linearizable read: needs quorum)."""
        r = self.etcdctl(['get', '--prefix', prefix, '-w', 'json'])
        kvs = json.loads(r.stdout).get('kvs', [])
        return {base64.b64decode(kv['key']).decode(): base64.b64decode(kv.get('value', '')).decode() for kv in kvs}

    def logs(self, n=20):
        out = []
        for name, _ in MEMBERS:
            try:
                with open(self.log(name), errors='replace') as f:
                    lines = f.read().splitlines()
            except OSError:
                continue
            out.append('--- etcd-%s.log (last %d of %d lines)' % (name, min(n, len(lines)), len(lines)))
            out += lines[-n:]
        return '\n'.join(out)

    def stop(self):
        for n in list(self.procs):
            netns.stop_process(self.procs.pop(n), sig=signal.SIGTERM, grace=5.0)
