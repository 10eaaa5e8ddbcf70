"""RFC 8950 with FRR: IPv4 /32 routes with an IPv6 next hop over an IPv6 session. With FRR's
`capability extended-nexthop` both sides offer <AFI 1, SAFI 1, next-hop AFI 2>; our speaker
then sends IPv4 NLRI in MP_REACH_NLRI with its IPv6 address as next hop (next hop self on
the IPv6 session) or the route's own IPv6 next hop, and FRR installs them with that next hop.
Without the capability the same routes must not be sent at all (there is no IPv4 next hop
to give), while IPv6 routes still flow on the session."""
import time

import pytest

import routers
from conftest import Bed, require

PREFIX_SELF, PREFIX_OWN, PREFIX_V6 = '10.1.8.1/32', '10.1.8.2/32', '2001:db8:8::1/128'


@pytest.fixture(params=['offered', 'not-offered'])
def frr_v6(request):
    require('frr')
    b = Bed('frr', transport='ipv6')
    b.router.config.peers[0].extended_nexthop = request.param == 'offered'
    with b:
        b.wait_up()
        yield b, request.param == 'offered'


def neighbor_caps(bed):
    n = bed.router.vjson('show bgp neighbors %s json' % bed.spk_addr).get(bed.spk_addr) or {}
    return n.get('neighborCapabilities') or {}


def test_ipv4_routes_with_ipv6_next_hop(frr_v6):
    bed, offered = frr_v6
    v6 = bed.spk_ns.addr('ipv6')
    routes = [{'prefix': PREFIX_SELF},                              # next hop self: our IPv6 address
              {'prefix': PREFIX_OWN, 'next_hop': v6, 'med': 7},     # its own IPv6 next hop
              {'prefix': PREFIX_V6, 'next_hop': v6}]
    for r in routes:
        bed.speaker.announce(r)
    got = bed.router.wait_routes(lambda rib: PREFIX_V6 in rib, what=PREFIX_V6)
    caps = neighbor_caps(bed)
    if offered:
        assert caps.get('extendedNexthop') == 'advertisedAndReceived', caps
        got = bed.router.wait_routes(lambda rib: {PREFIX_SELF, PREFIX_OWN} <= set(rib), 'ipv4',
                                     what='IPv4 routes with an IPv6 next hop')
        for p in (PREFIX_SELF, PREFIX_OWN):
            assert got[p].next_hop == v6, '%s: next hop %r, want %s' % (p, got[p].next_hop, v6)
            assert got[p].as_path == [bed.speaker_as], got[p]
        assert got[PREFIX_OWN].med == 7, got[PREFIX_OWN]
        # and the router uses them: FRR resolves the IPv6 next hop on the link
        js = bed.router.vjson('show bgp ipv4 unicast %s json' % PREFIX_SELF)
        paths = js.get('paths') or []
        assert paths and all(h.get('accessible') for p in paths for h in p.get('nexthops', [])), js
    else:
        assert caps.get('extendedNexthop') == 'received', caps      # we offer it, FRR does not
        routers.wait_for(lambda: bed.speaker.status()[bed.rtr_addr]['sent_prefixes'] >= 1, 10,
                         'speaker did not send the IPv6 route')
        time.sleep(2)
        rib = bed.router.routes('ipv4')
        assert PREFIX_SELF not in rib and PREFIX_OWN not in rib, rib
        assert bed.router.session_state(bed.spk_addr) == 'established'
