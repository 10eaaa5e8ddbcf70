"""The module end to end: real TCP and UDP from a client through a router to pods on two
nodes, in XDP and in tc mode (rack.py draws the topology)."""
import json
import os
import socket
import time

import pytest

from rack import CLIENT4, CLIENT6, NODES, PODS, Conn, Rack, run, udp_ask

VIPS = {  # service -> (IPv4, IPv6)
    'local': ('198.51.100.10', '2001:db8:100::10'),
    'cluster': ('198.51.100.11', '2001:db8:100::11'),
    'ranged': ('198.51.100.12', '2001:db8:100::12'),
    'empty': ('198.51.100.13', '2001:db8:100::13'),
}
CLIENT = {4: CLIENT4, 6: CLIENT6}


def services_for(node, cluster_pods=('p2a', 'p2b')):
    """Every service as `node` programs it: its own pods local, the others behind their node."""
    out = []
    for fam, col in ((4, 0), (6, 1)):
        def backends(pods):
            bs = []
            for pod in pods:
                pnode, v4, v6 = PODS[pod]
                b = {'addr': v4 if fam == 4 else v6, 'port': 8080}
                if pnode != node:
                    b['node'] = NODES[pnode][1] if fam == 4 else NODES[pnode][3]
                bs.append(b)
            return bs
        for proto, port in (('tcp', 80), ('udp', 53)):
            def svc(name, pods, **extra):
                s = {'name': '%s/%d/%s' % (name, fam, proto), 'proto': proto,
                     'frontends': ['%s:%d' % (VIPS[name][col] if fam == 4 else '[%s]' % VIPS[name][col], port)],
                     'backends': backends(pods)}
                s.update(extra)
                out.append(s)
            svc('local', ['p1a'], policy='local')
            svc('cluster', list(cluster_pods))
            svc('ranged', ['p1a'], source_ranges=['203.0.113.0/24' if fam == 4 else '2001:db8:ffff::/48'])
            svc('empty', [])
    return out


@pytest.fixture(scope='module', params=['xdp', 'tc'])
def rack(request):
    tool = request.config.dataplane_tool
    r = Rack(tool, request.param)
    try:
        r.build()
        for node in NODES:
            r.program(node, services_for(node))
        r.route_vips('n1')
        yield r
    finally:
        r.close()


@pytest.mark.parametrize('fam', [4, 6])
def test_local_backend_sees_the_client(rack, fam):
    vip = VIPS['local'][fam == 6]
    c = Conn(rack, vip)
    try:
        assert c.ask() == ('p1a', CLIENT[fam])
    finally:
        c.close()
    name, seen, replied_from = udp_ask(rack, vip)
    assert (name, seen) == ('p1a', CLIENT[fam])
    assert replied_from == vip, 'the reply must come from the service address'


@pytest.mark.parametrize('fam', [4, 6])
def test_remote_backend_replies_directly(rack, fam):
    vip = VIPS['cluster'][fam == 6]
    before = {n: rack.counters(n) for n in NODES}
    served = set()
    for _ in range(6):
        c = Conn(rack, vip)
        try:
            name, seen = c.ask()
        finally:
            c.close()
        assert seen == CLIENT[fam]
        served.add(name)
    name, seen, replied_from = udp_ask(rack, vip)
    assert seen == CLIENT[fam] and replied_from == vip
    after = {n: rack.counters(n) for n in NODES}
    assert served <= {'p2a', 'p2b'}
    assert after['n1']['fwd_remote'] > before['n1']['fwd_remote'], 'n1 must encapsulate to n2'
    assert after['n2']['decap'] > before['n2']['decap']
    assert after['n2']['revnat'] > before['n2']['revnat'], 'replies leave n2 as the service'
    assert after['n1']['revnat'] == before['n1']['revnat'], 'no reply went back through n1'


@pytest.mark.parametrize('fam', [4, 6])
def test_flow_survives_the_rack_moving_it(rack, fam):
    """ECMP rehash: the router's next hop for the service changes mid-connection; n2
    builds the same Maglev row as n1, so it picks the same backend."""
    c = Conn(rack, VIPS['cluster'][fam == 6])
    try:
        first = c.ask()
        rack.route_vips('n2')
        assert c.ask() == first
        rack.route_vips('n1')
        assert c.ask() == first
    finally:
        rack.route_vips('n1')
        c.close()


def test_established_flow_survives_backend_removal_and_reload(rack):
    c = Conn(rack, VIPS['cluster'][0])
    try:
        name, _ = c.ask()
        remaining = [p for p in ('p2a', 'p2b') if p != name]
        for node in NODES:
            rack.program(node, services_for(node, cluster_pods=remaining))
        assert c.ask()[0] == name, 'an established connection moved after its backend was removed'
        for _ in range(4):
            fresh = Conn(rack, VIPS['cluster'][0])
            try:
                assert fresh.ask()[0] != name, 'a new connection went to a removed backend'
            finally:
                fresh.close()
        for node in NODES:  # a restarted speaker loads and attaches the program again
            rack.dataplane(node, 'attach', '--mode', rack.mode, '--iface', NODES[node][0])
        assert c.ask()[0] == name, 'the connection moved when the program was reloaded'
    finally:
        c.close()
        for node in NODES:
            rack.program(node, services_for(node))


@pytest.mark.parametrize('fam', [4, 6])
def test_source_ranges_drop_and_empty_services_refuse(rack, fam):
    before = rack.counters('n1')
    c = None
    with pytest.raises((socket.timeout, TimeoutError, OSError)):
        c = Conn(rack, VIPS['ranged'][fam == 6])
        c.ask()
    if c:
        c.close()
    with pytest.raises(ConnectionRefusedError):
        Conn(rack, VIPS['empty'][fam == 6])
    after = rack.counters('n1')
    assert after['source_range'] > before['source_range']
    assert after['no_backend'] > before['no_backend']
    assert after['icmp_sent'] > before['icmp_sent']


def test_uninstall_leaves_no_program_map_or_pin(rack):
    ids = {}
    for node, (up, *_rest) in NODES.items():
        net = json.loads(rack.ip(node, 'bpftool', '-j', 'net', 'show', 'dev', up).stdout)
        progs = set()
        for entry in net:
            for kind in ('xdp', 'tc'):
                for p in entry.get(kind, []):
                    progs.add(p['id'])
        assert progs, 'nothing attached to %s before uninstall' % up
        maps = set()
        for m in ('conntrack', 'conntrack4', 'conntrack_rev', 'conntrack4_rev', 'frontends', 'frontends4', 'services',
                  'backends', 'maglev'):
            info = json.loads(run(['bpftool', '-j', 'map', 'show', 'pinned', '%s/%s' % (rack.pin_roots[node], m)]).stdout)
            maps.add(info['id'])
        ids[node] = (progs, maps)
    for node in NODES:
        rack.dataplane(node, 'uninstall')
    for node, (up, *_rest) in NODES.items():
        progs, maps = ids[node]
        net = json.loads(rack.ip(node, 'bpftool', '-j', 'net', 'show', 'dev', up).stdout)
        assert all(not e.get('xdp') and not e.get('tc') for e in net), net
        assert 'xdp' not in rack.ip(node, 'ip', '-d', 'link', 'show', up).stdout
        assert not os.path.exists(rack.pin_roots[node])
        # programs and maps are freed after an RCU grace period and a work item
        left = lambda kind, i: run(['bpftool', kind, 'show', 'id', str(i)], check=False).returncode == 0
        deadline = time.time() + 10
        while time.time() < deadline and any(left('prog', p) for p in progs) | any(left('map', m) for m in maps):
            time.sleep(0.2)
        assert not [p for p in progs if left('prog', p)], 'programs left'
        assert not [m for m in maps if left('map', m)], 'maps left'
    for node in NODES:  # the rest of the module's tests may run after this one
        rack.dataplane(node, 'attach', '--mode', rack.mode, '--iface', NODES[node][0])
        rack.program(node, services_for(node))
