#!/usr/bin/env python3
"""The real gobgp client (Debian package gobgpd) against bgplb's GobgpApi.

Runs api_fixture (speakers A, B, C on 127.0.0.1-3; A serves the API) and checks that
every command of the reference list (cli/test/gobgp_recording/INDEX.tsv) exits
as expected and shows the expected peers, states, routes and attributes; that -j
parses; that every command shape of gobgp_client.py (the ones the interop suite runs
against real routers) holds here too, and that every command run here is one of them;
that control commands and writes are served on the owner-only Unix socket only (refused
over TCP with PERMISSION_DENIED, audited either way) and writes only when enabled; that
the socket is 0600 and made safely; that the MD5 password never appears; that a
non-loopback listen address is refused unless configured; and that TLS works.

With a second argument, bgplbctl's gobgp-style commands must print exactly what the
real client prints against the same speaker (times and counters masked).

usage: gobgp_compat_test.py /path/to/api_fixture [/path/to/bgplbctl]   (exit 77: skipped)
"""
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gobgp_client  # noqa: E402

SKIP = 77
FIXTURE = sys.argv[1]
BGPLBCTL = sys.argv[2] if len(sys.argv) > 2 else None
GOBGP = shutil.which('gobgp')
failures = []
commands_run = set()  # every gobgp command line run here, for the shape coverage check
# gobgp_client's placeholders, for the fixture's topology
VALUES = dict(gobgp_client.SAMPLE, peer='127.0.0.2', down='127.0.0.4', unknown='127.0.0.9')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Fixture:
    def __init__(self, *args, expect_ready=True):
        self.bgp_port = free_port()
        self.proc = subprocess.Popen([FIXTURE, '--bgp-port', str(self.bgp_port), *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.ready = self.proc.stdout.readline()
        if expect_ready and not self.ready.startswith('ready'):
            self.proc.kill()
            raise SystemExit('api_fixture did not start: ' + self.ready + self.proc.stderr.read())

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def run(conn, cmd, timeout=10):
    commands_run.add(cmd)
    r = subprocess.run([GOBGP, *conn, *cmd.split()], capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout + r.stderr


def check(what, ok, detail=''):
    if not ok:
        failures.append(f'{what}: {detail}')
        print(f'FAIL {what}\n{detail}')
    else:
        print(f'ok   {what}')


def expect(conn, cmd, rc=0, has=(), lacks=(), is_json=False):
    code, out = run(conn, cmd)
    check(f'gobgp {cmd} exits {rc}', code == rc, f'exit {code}\n{out}')
    for h in has:
        check(f'gobgp {cmd} shows {h!r}', re.search(h, out, re.M) is not None, out)
    for h in lacks:
        check(f'gobgp {cmd} does not show {h!r}', re.search(h, out, re.M) is None, out)
    check(f'gobgp {cmd}: no MD5 password', 'secret-md5' not in out, out)
    if is_json:
        try:
            json.loads(out)
            check(f'gobgp {cmd}: JSON parses', True)
        except ValueError as e:
            check(f'gobgp {cmd}: JSON parses', False, f'{e}\n{out}')
    return out


def wait_for(conn, cmd, pattern, seconds=15):
    end = time.time() + seconds
    out = ''
    while time.time() < end:
        _, out = run(conn, cmd)
        if re.search(pattern, out, re.M):
            return True
        time.sleep(0.3)
    check(f'gobgp {cmd} reaches {pattern!r}', False, out)
    return False


def read_only_commands(c):
    expect(c, 'global', has=[r'^AS:        65001$', r'^Router-ID: 10\.0\.0\.1$', r'^Listening Port: \d+, Addresses: 127\.0\.0\.1$'])
    expect(c, 'global -j', is_json=True, has=[r'"asn":65001', r'"router_id":"10.0.0.1"'])
    expect(c, 'global rib', has=[
        r'^\*> 10\.1\.0\.1/32 +0\.0\.0\.0 +\d\d:\d\d:\d\d +\[\{Origin: \?\} \{LocalPref: 200\} \{Communities: 65001:100\}\]$',
        r'^\*> 10\.1\.0\.2/32 +192\.0\.2\.11 +.*\[\{Origin: e\} \{Med: 50\} \{Communities: 65001:200, no-export\}\]$',
        r'^\*> 10\.77\.0\.0/16 +0\.0\.0\.0 +65002 +.*\{LargeCommunity: \[ 1:1:1, 2:2:2\]\}\]$'])
    expect(c, 'global rib -j', is_json=True, has=[r'"10.1.0.1/32":\[\{"nlri":\{"prefix":"10.1.0.1/32"\}'])
    expect(c, 'global rib -a ipv4', has=[r'10\.1\.0\.1/32'], lacks=[r'2001:db8'])
    expect(c, 'global rib -a ipv6', has=[r'^\*> 2001:db8::1/128 +:: ', r'^\*> 2001:db8::2/128 +2001:db8::ff +65100 65200 .*\{Med: 10\}'])
    expect(c, 'global rib -a ipv6 -j', is_json=True, has=[r'"type":14,"nexthop":"2001:db8::ff"'])
    expect(c, 'global rib 10.1.0.1/32', has=[r'10\.1\.0\.1/32'], lacks=[r'10\.1\.0\.2'])
    expect(c, 'global rib 10.1.0.1/32 -j', is_json=True)
    expect(c, 'global rib 10.77.1.2', has=[r'10\.77\.0\.0/16'])  # longest match for a bare address
    expect(c, 'global rib -a ipv6 2001:db8::1/128', has=[r'2001:db8::1/128'])
    expect(c, 'global rib 10.0.0.0/8 longer-prefixes', has=[r'10\.1\.0\.1/32', r'10\.1\.0\.2/32', r'10\.77\.0\.0/16'])
    expect(c, 'global rib 10.77.0.1/32 shorter-prefixes', has=[r'10\.77\.0\.0/16'], lacks=[r'10\.1\.0'])
    expect(c, 'global rib 172.16.0.1/32', has=[r'^Network not in table$'])
    expect(c, 'global rib 172.16.0.1/32 -j', has=[r'^\{\}$'])
    expect(c, 'global rib foo', rc=1, has=[r'invalid CIDR/IP'])
    expect(c, 'global rib summary', has=[r'^Table afi:AFI_IP safi:SAFI_UNICAST$', r'^Destination: 4, Path: 4$'])
    expect(c, 'global rib summary -j', is_json=True, has=[r'"num_destination":4'])
    expect(c, 'global rib 10.88.0.0/16', has=[r'^\*> 10\.88\.0\.0/16 +0\.0\.0\.0 .*\{Communities: 65001:888\}'])
    expect(c, 'global rib summary -a ipv6', has=[r'^Destination: 2, Path: 2$'])
    expect(c, 'neighbor', has=[r'^Peer +AS +Up/Down +State +\|#Received +Accepted$',
                               r'^127\.0\.0\.2 65002 +\d\d:\d\d:\d\d Establ', r'^127\.0\.0\.3 65001 +\d\d:\d\d:\d\d Establ',
                               r'^127\.0\.0\.4 65004 +never (Active|Connect|Idle)'])
    expect(c, 'neighbor -j', is_json=True, has=[r'"neighbor_address":"127.0.0.2"'])
    expect(c, 'neighbor -q', has=[r'^127\.0\.0\.2$', r'^127\.0\.0\.3$', r'^127\.0\.0\.4$'])
    expect(c, 'neighbor -a ipv6', has=[r'127\.0\.0\.2'])
    expect(c, 'neighbor 127.0.0.2', has=[r'^BGP neighbor is 127\.0\.0\.2, remote AS 65002$', r'remote router ID 10\.0\.0\.2',
                                         r'BGP state = ESTABLISHED, up for', r'ipv4-unicast:\tadvertised and received',
                                         r'4-octet-as:\tadvertised and received', r'^    Advertised: +5$'])
    expect(c, 'neighbor 127.0.0.2 -j', is_json=True, has=[r'"session_state":6'])
    expect(c, 'neighbor 127.0.0.3', has=[r'remote AS 65001', r'ESTABLISHED'])
    expect(c, 'neighbor 127.0.0.4', has=[r'remote router ID unknown', r'BGP state = (ACTIVE|CONNECT|IDLE)$'])
    expect(c, 'neighbor 127.0.0.4 -j', is_json=True)
    expect(c, 'neighbor 127.0.0.9', rc=1, has=[r'^not found neighbor 127\.0\.0\.9$'])
    expect(c, 'neighbor 127.0.0.9 -j', rc=1, has=[r'^\{"error":"not found neighbor 127\.0\.0\.9"\}$'])
    expect(c, 'neighbor 127.0.0.2 adj-in', has=[r'^Network not in table$'])  # B sends nothing
    expect(c, 'neighbor 127.0.0.3 adj-in', has=[  # A keeps what C sends (keep_received)
        r'^ +\d+ +10\.3\.0\.1/32 +127\.0\.0\.3 +.*\{Communities: 65001:333\}'])
    expect(c, 'neighbor 127.0.0.3 adj-in summary', has=[r'^Destination: 1, Path: 1$'])
    expect(c, 'neighbor 127.0.0.2 adj-in summary', has=[r'^Destination: 0, Path: 0$'])
    expect(c, 'neighbor 127.0.0.4 adj-in', rc=1, has=[r"neighbor 127\.0\.0\.4's BGP session is not established"])
    expect(c, 'neighbor 127.0.0.2 adj-out', has=[
        r'^   ID  Network +Next Hop +AS_PATH +Attrs$',
        r'^   0   10\.1\.0\.1/32 +127\.0\.0\.1 +65001 +\[\{Origin: \?\} \{Communities: 65001:100\}\]$',
        r'^   0   10\.77\.0\.0/16 +127\.0\.0\.1 +65001 65002 '])
    expect(c, 'neighbor 127.0.0.2 adj-out -j', is_json=True, has=[r'"as_paths":\[\{"segment_type":2,"num":1,"asns":\[65001\]\}\]'])
    expect(c, 'neighbor 127.0.0.2 adj-out -a ipv6', has=[r'2001:db8::2/128 +2001:db8::ff +65001 65100 65200'])
    expect(c, 'neighbor 127.0.0.2 adj-out summary', has=[r'^Destination: 4, Path: 4$'])
    expect(c, 'neighbor 127.0.0.2 adj-out 10.88.0.0/16', has=[r'10\.88\.0\.0/16 +127\.0\.0\.1 +65001 +\[\{Origin: i\} \{Communities: 65001:888\}\]'])
    expect(c, 'neighbor 127.0.0.3 adj-out 10.88.0.0/16', has=[r'^Network not in table$'])  # B's route only
    expect(c, 'neighbor 127.0.0.3 adj-out', has=[r'10\.1\.0\.2/32 +192\.0\.2\.11 +\[\{Origin: e\} \{Med: 50\} \{LocalPref: 100\}'])
    expect(c, 'neighbor 127.0.0.2 local', rc=1)


SAME_AS_GOBGP = ['global', 'global -j', 'global rib', 'global rib -j', 'global rib -a ipv6', 'global rib -a ipv6 -j',
                 'global rib 10.77.1.2', 'global rib 10.0.0.0/8 longer-prefixes', 'global rib 172.16.0.1/32 -j',
                 'global rib foo', 'global rib summary', 'global rib summary -j', 'neighbor', 'neighbor -j',
                 'neighbor -q', 'neighbor -a ipv6', 'neighbor 127.0.0.2', 'neighbor 127.0.0.2 -j', 'neighbor 127.0.0.4',
                 'neighbor 127.0.0.9', 'neighbor 127.0.0.9 -j', 'neighbor 127.0.0.2 adj-in',
                 'neighbor 127.0.0.2 adj-out', 'neighbor 127.0.0.2 adj-out -j', 'neighbor 127.0.0.2 adj-out -a ipv6',
                 'neighbor 127.0.0.2 adj-out summary', 'neighbor 127.0.0.3 adj-out', 'neighbor 127.0.0.4 adj-in',
                 'neighbor 127.0.0.3 adj-in', 'neighbor 127.0.0.3 adj-in -j']


masked = gobgp_client.masked


def bgplbctl_matches_gobgp(c):
    for cmd in SAME_AS_GOBGP:
        want_code, want = run(c, cmd)
        r = subprocess.run([BGPLBCTL, *c, *cmd.split()], capture_output=True, text=True, timeout=20)
        same = r.returncode == want_code and masked(r.stdout + r.stderr) == masked(want)
        check(f'bgplbctl {cmd} prints what gobgp prints', same,
              f'gobgp (exit {want_code}):\n{want}bgplbctl (exit {r.returncode}):\n{r.stdout}{r.stderr}')


def monitors(c):
    # --current dumps every family, then the stream stays open (timeout ends it: 124).
    r = subprocess.run(['timeout', '3', GOBGP, *c, 'monitor', 'global', 'rib', '--current'], capture_output=True, text=True)
    check('monitor global rib --current is killed by timeout', r.returncode == 124, str(r.returncode) + r.stderr)
    for pat in [r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \[ROUTE\] 10\.1\.0\.1/32 via 0\.0\.0\.0 aspath \[\] attrs \[\{Origin: \?\}',
                r'\[ROUTE\] 2001:db8::2/128 via 2001:db8::ff aspath \[65100 65200\]']:
        check(f'monitor --current shows {pat!r}', re.search(pat, r.stdout, re.M) is not None, r.stdout)
    r = subprocess.run(['timeout', '3', GOBGP, *c, 'monitor', 'global', 'rib', '--current', '-j'], capture_output=True, text=True)
    lines = [line for line in r.stdout.splitlines() if line]
    check('monitor --current -j prints JSON arrays', bool(lines) and all(isinstance(json.loads(x), list) for x in lines), r.stdout)
    if BGPLBCTL:  # bgplbctl streams too, until interrupted
        r = subprocess.run(['timeout', '3', BGPLBCTL, *c, 'monitor', 'global', 'rib', '--current'],
                           capture_output=True, text=True)
        check('bgplbctl monitor global rib --current streams until killed', r.returncode == 124,
              f'exit {r.returncode}\n{r.stdout}{r.stderr}')
        check('bgplbctl monitor --current shows the routes',
              re.search(r'\[ROUTE\] 2001:db8::2/128 via 2001:db8::ff aspath \[65100 65200\]', r.stdout) is not None,
              r.stdout)


def operations(c, ctl, writes):
    """Control commands and writes on the Unix socket `ctl`; what they did read over TCP `c`."""
    neigh = subprocess.Popen(['timeout', '25', GOBGP, *c, 'monitor', 'neighbor', '127.0.0.2'],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # bgplbctl without an address: every peer's events (gobgp prints none then).
    any_neigh = subprocess.Popen(['timeout', '25', BGPLBCTL, *c, 'monitor', 'neighbor'], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) if BGPLBCTL else None
    time.sleep(0.5)
    for op in ['softreset', 'softresetin', 'softresetout']:
        expect(ctl, f'neighbor 127.0.0.2 {op}')
    expect(ctl, 'neighbor all softreset')
    expect(ctl, 'neighbor 127.0.0.2 disable')
    wait_for(c, 'neighbor', r'^127\.0\.0\.2 65002 +never Idle\(Admin\)')
    expect(c, 'neighbor 127.0.0.2', has=[r'BGP state = IDLE'])
    expect(c, 'neighbor 127.0.0.2 -j', is_json=True, has=[r'"admin_state":1'])
    expect(c, 'neighbor 127.0.0.2 adj-in', rc=1, has=[r'not established'])
    expect(ctl, 'neighbor 127.0.0.2 enable')
    wait_for(c, 'neighbor', r'^127\.0\.0\.2 65002 +\d\d:\d\d:\d\d Establ')
    expect(ctl, 'neighbor 127.0.0.2 reset')
    wait_for(c, 'neighbor', r'^127\.0\.0\.2 65002 +\d\d:\d\d:\d\d Establ')
    expect(ctl, 'neighbor 127.0.0.2 shutdown', has=[r'WARNING: command `shutdown` is deprecated'])
    wait_for(c, 'neighbor', r'^127\.0\.0\.2 65002 +\d\d:\d\d:\d\d Establ')
    expect(ctl, 'neighbor 127.0.0.9 reset', rc=1, has=[r'^not found neighbor 127\.0\.0\.9$'])
    neigh.terminate()
    out = neigh.communicate()[0]
    for state in ['IDLE admin: DOWN', 'ESTABLISHED admin: UP']:
        check(f'monitor neighbor shows {state}', re.search(r'\[NEIGH\] 127\.0\.0\.2 fsm: ' + state, out) is not None, out)
    if any_neigh:
        streaming = any_neigh.poll() is None
        any_neigh.terminate()
        out = any_neigh.communicate()[0]
        check('bgplbctl monitor neighbor (no address) streams every peer',
              streaming and re.search(r'\[NEIGH\] 127\.0\.0\.2 fsm: IDLE admin: DOWN', out) is not None
              and re.search(r'\[NEIGH\] 127\.0\.0\.2 fsm: ESTABLISHED admin: UP', out) is not None, out)

    expect(ctl, 'global rib add 10.5.0.0/33', rc=1, has=[r'invalid CIDR address'])
    expect(ctl, 'global rib add 2001:db8::5/128', rc=1, has=[r'invalid ipv4 prefix'])
    if not writes:
        for conn in (c, ctl):
            expect(conn, 'global rib add 10.5.0.1/32 community 65001:555', rc=1,
                   has=[r'code = PermissionDenied desc = AddPath is disabled'])
            expect(conn, 'global rib del 10.5.0.1/32', rc=1, has=[r'code = PermissionDenied'])
        return
    expect(c, 'global rib add 10.5.0.1/32 community 65001:555', rc=1,
           has=[r'code = PermissionDenied desc = AddPath changes the routes bgplb announces, so bgplb accepts it only '
                r'on its owner-only Unix socket'])
    # --current prints the existing routes first: once they are out, the watch is on.
    # The monitor writes to a file (read back at the end), not to a pipe.
    out_file = tempfile.NamedTemporaryFile('w+', suffix='.monitor')
    mon = subprocess.Popen(['timeout', '30', GOBGP, *c, 'monitor', 'global', 'rib', '--current'],
                           stdout=out_file, stderr=subprocess.STDOUT)
    end = time.time() + 15
    while os.path.getsize(out_file.name) == 0 and time.time() < end:
        time.sleep(0.1)
    expect(ctl, 'global rib add 10.5.0.1/32 community 65001:555')
    expect(c, 'global rib 10.5.0.1/32', has=[r'^\*> 10\.5\.0\.1/32 +0\.0\.0\.0 .*\{Communities: 65001:555\}'])
    wait_for(c, 'neighbor 127.0.0.2 adj-out', r'10\.5\.0\.1/32')
    expect(ctl, 'global rib -a ipv6 add 2001:db8::5/128 nexthop 2001:db8::1 med 7')
    expect(c, 'global rib -a ipv6', has=[r'2001:db8::5/128 +2001:db8::1 .*\{Med: 7\}'])
    time.sleep(1)  # route changes are polled (250 ms): one undone sooner is never shown
    expect(ctl, 'global rib del 10.5.0.1/32')
    expect(ctl, 'global rib -a ipv6 del 2001:db8::5/128')
    expect(c, 'global rib 10.5.0.1/32', has=[r'^Network not in table$'])
    time.sleep(1)
    mon.terminate()
    mon.wait()
    out = open(out_file.name, encoding='utf-8').read()
    out_file.close()
    check('monitor global rib shows ROUTE and DELROUTE',
          re.search(r'\[ROUTE\] 10\.5\.0\.1/32 via 0\.0\.0\.0 aspath \[\] attrs \[\{Origin: \?\} \{Communities: 65001:555\}\]', out)
          is not None and re.search(r'\[DELROUTE\] 10\.5\.0\.1/32', out) is not None, out)


def trust_model(c, ctl, sock, audit):
    """Control RPCs: refused over TCP with a clear status, served and audited on the socket."""
    st = os.lstat(sock)
    check('the control socket is a socket of mode 0600', stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600,
          oct(st.st_mode))
    for cmd in ['neighbor 127.0.0.2 disable', 'neighbor 127.0.0.2 reset', 'neighbor 127.0.0.2 softresetout',
                'neighbor 127.0.0.2 shutdown', 'neighbor 127.0.0.2 enable']:
        expect(c, cmd, rc=1, has=[r'^rpc error: code = PermissionDenied desc = \w+Peer acts on BGP sessions, so bgplb '
                                  r'accepts it only on its owner-only Unix socket: gobgp --target unix://' +
                                  re.escape(sock) + r' \.\.\. \(not over TCP from 127\.0\.0\.1:\d+\)$'])
    expect(c, 'neighbor', has=[r'^127\.0\.0\.2 65002 +\d\d:\d\d:\d\d Establ'])  # nothing happened
    expect(ctl, 'neighbor 127.0.0.2 softresetout')
    if BGPLBCTL:  # bgplbctl over the socket too
        r = subprocess.run([BGPLBCTL, *ctl, 'neighbor', '127.0.0.2', 'softresetin'], capture_output=True, text=True)
        check('bgplbctl --target unix:// softresetin', r.returncode == 0, r.stdout + r.stderr)
    time.sleep(0.2)
    log = open(audit, encoding='utf-8').read()
    check('a refused control call is audited with its TCP caller', re.search(
        r'^rpc=DisablePeer transport=tcp caller="127\.0\.0\.1:\d+" uid=- pid=- request="address=127\.0\.0\.2 '
        r'communication=""" allowed=0 status=7 message="DisablePeer acts on BGP sessions', log, re.M) is not None, log)
    check('a control call on the socket is audited with uid and pid', re.search(
        r'^rpc=ResetPeer transport=unix caller="uid=%d pid=\d+" uid=%d pid=\d+ request="address=127\.0\.0\.2 soft '
        r'direction=out" allowed=1 status=0 message=""$' % (os.geteuid(), os.geteuid()), log, re.M) is not None, log)
    check('bgplbctl\'s call is audited', not BGPLBCTL or 'request="address=127.0.0.2 soft direction=in" allowed=1' in log,
          log)
    check('read-only calls are not audited', 'rpc=ListPeer' not in log and 'rpc=GetBgp' not in log, log)


def unsafe_socket_paths(tmp):
    """The socket is created only where nobody else can interfere, never over something else."""
    def refused(path, why, words):
        f = Fixture('--api', f'127.0.0.1:{free_port()}', '--control-socket', path, expect_ready=False)
        code = f.proc.wait(20)
        err = f.proc.stderr.read()
        check(f'control socket refused: {why}', code == 1 and words in err, f'exit {code}: {err}')

    d = os.path.join(tmp, 'unsafe')
    os.mkdir(d, 0o700)
    plain = os.path.join(d, 'file.sock')
    open(plain, 'w').close()
    refused(plain, 'a regular file at the path', 'is not a socket of uid')
    check('the regular file is left alone', os.path.isfile(plain), '')
    link = os.path.join(d, 'link.sock')
    os.symlink(os.path.join(d, 'elsewhere'), link)
    refused(link, 'a symlink at the path', 'is not a socket of uid')
    check('nothing was created through the symlink', not os.path.exists(os.path.join(d, 'elsewhere')), '')
    open_dir = os.path.join(tmp, 'open')
    os.mkdir(open_dir)
    os.chmod(open_dir, 0o777)
    refused(os.path.join(open_dir, 'api.sock'), 'a directory others may write to', 'writable by other users')
    refused('relative.sock', 'a relative path', 'needs an absolute path')
    # A socket still served by another process is not taken over.
    busy = os.path.join(d, 'busy.sock')
    f = Fixture('--api', f'127.0.0.1:{free_port()}', '--control-socket', busy)
    refused(busy, 'a socket another process serves', 'another process serves it')
    expect(['--target', 'unix://' + busy], 'global', has=[r'65001'])
    f.proc.kill()  # leaves a stale socket behind
    f.proc.wait()
    check('a killed server leaves its socket', os.path.exists(busy), '')
    f = Fixture('--api', f'127.0.0.1:{free_port()}', '--control-socket', busy)
    check('a stale socket of ours is replaced', f.ready.startswith('ready'), f.ready)
    f.stop()
    check('the socket is removed at stop', not os.path.exists(busy), '')
    # A directory that does not exist yet is made owner-only.
    made = os.path.join(tmp, 'run', 'api.sock')
    f = Fixture('--api', f'127.0.0.1:{free_port()}', '--control-socket', made)
    check('a missing directory is made 0700', stat.S_IMODE(os.stat(os.path.dirname(made)).st_mode) == 0o700,
          oct(os.stat(os.path.dirname(made)).st_mode))
    f.stop()


def shapes_hold(c):
    """Every read-only command shape of gobgp_client.py holds against the fixture too."""
    read = gobgp_client.Client(c, gobgp=GOBGP)
    gobgp_client.check_shapes(read, gobgp_client.READ_ONLY, VALUES, check)
    gobgp_client.check_monitors(read, VALUES, check)


def every_command_is_a_shape():
    for cmd in sorted(commands_run):
        check(f'gobgp {cmd} is a shape of gobgp_client.py', gobgp_client.shape_of(cmd) in gobgp_client.shapes(),
              'add it there, so the interop suite runs it against real routers too')


def security(tmp):
    # A non-loopback listen address is refused unless allow_remote.
    port = free_port()
    f = Fixture('--api', f'0.0.0.0:{port}', expect_ready=False)
    code = f.proc.wait(20)
    err = f.proc.stderr.read()
    check('non-loopback listen address refused', code == 1 and 'not a loopback address' in err, f'{code} {err}')
    f = Fixture('--api', f'0.0.0.0:{port}', '--allow-remote')
    expect(['-p', str(port)], 'global', has=[r'65001'])
    f.stop()
    # A Unix socket as the listen address (no TCP), through --target unix://: owner-only
    # and trusted like the control socket.
    sock = os.path.join(tmp, 'listen.sock')
    f = Fixture('--api', 'unix://' + sock)
    expect(['--target', 'unix://' + sock], 'global', has=[r'65001'])
    expect(['--target', 'unix://' + sock], 'neighbor', has=[r'127\.0\.0\.2'])
    check('a unix: listen socket is 0600', stat.S_IMODE(os.lstat(sock).st_mode) == 0o600, oct(os.lstat(sock).st_mode))
    expect(['--target', 'unix://' + sock], 'neighbor 127.0.0.2 softresetout')
    f.stop()
    # TLS with a certificate made here.
    cert, key = os.path.join(tmp, 'cert.pem'), os.path.join(tmp, 'key.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
                    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
                   check=True, capture_output=True)
    port = free_port()
    f = Fixture('--api', f'127.0.0.1:{port}', '--tls-cert', cert, '--tls-key', key)
    expect(['-p', str(port), '--tls', '--tls-ca-file', cert], 'global', has=[r'^AS:        65001$'])
    expect(['-p', str(port), '--tls', '--tls-ca-file', cert], 'neighbor', has=[r'127\.0\.0\.2'])
    code, out = run(['-p', str(port)], 'global')
    check('plaintext client refused by the TLS server', code != 0, out)
    f.stop()


def main():
    if GOBGP is None:
        print('gobgp client not found (Debian package gobgpd): skipping')
        return SKIP
    if shutil.which('openssl') is None:
        print('openssl not found: skipping')
        return SKIP
    with tempfile.TemporaryDirectory() as tmp:
        sock, audit = os.path.join(tmp, 'api.sock'), os.path.join(tmp, 'audit.log')
        port = free_port()
        f = Fixture('--api', f'127.0.0.1:{port}', '--control-socket', sock, '--audit-log', audit)
        conn, ctl = ['-p', str(port)], ['--target', 'unix://' + sock]
        try:
            expect(['-u', '127.0.0.1', '-p', str(port)], 'global', has=[r'65001'])
            expect(['--target', f'127.0.0.1:{port}'], 'global', has=[r'65001'])
            read_only_commands(conn)
            if BGPLBCTL:
                bgplbctl_matches_gobgp(conn)
            monitors(conn)
            trust_model(conn, ctl, sock, audit)
            operations(conn, ctl, writes=False)
        finally:
            f.stop()
        code, out = run(conn, 'global')
        check('no server: context deadline exceeded', code == 1 and 'context deadline exceeded' in out, out)
        port = free_port()
        f = Fixture('--api', f'127.0.0.1:{port}', '--allow-writes', '--control-socket', sock)
        try:
            operations(['-p', str(port)], ctl, writes=True)
            shapes_hold(['-p', str(port)])
        finally:
            f.stop()
        security(tmp)
        unsafe_socket_paths(tmp)
    every_command_is_a_shape()
    print(f'{len(failures)} failure(s)')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
