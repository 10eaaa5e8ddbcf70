"""Routes arrive at each router with exactly the attributes sent, changes and withdrawals
arrive, and a ROUTE-REFRESH from the router is answered (RFC 4271, RFC 4760, RFC 1997,
RFC 8092, RFC 2918). One established session per router and transport serves the module;
every test uses its own prefixes."""
import pytest

import checks
import routers
from conftest import ROUTER_KINDS, SPEAKER_AS, Bed, require

BEDS = [(k, t) for k in ROUTER_KINDS for t in ('ipv4', 'ipv6')]


@pytest.fixture(scope='module', params=BEDS, ids=['%s-%s' % b for b in BEDS])
def ebgp(request):
    kind, transport = request.param
    require(kind)
    with Bed(kind, transport=transport) as b:
        b.wait_up()
        yield b


@pytest.fixture(scope='module', params=ROUTER_KINDS)
def ibgp(request):
    require(request.param)
    with Bed(request.param, speaker_as=SPEAKER_AS, router_as=SPEAKER_AS) as b:
        b.wait_up()
        yield b


def full_route(bed, prefix, n):
    return bed.route(prefix, as_path_prepend=[] if bed.ibgp else [SPEAKER_AS, SPEAKER_AS],
                     communities=['65001:%d' % n, '65001:65000'], large_communities=['65001:1:%d' % n],
                     med=10 + n, local_pref=200 + n)


def announce_and_check(bed, routes):
    for r in routes:
        bed.speaker.announce(r)
    want = {r['prefix'] for r in routes}
    got = bed.router.wait_routes(lambda rib: want <= set(rib), what=sorted(want))
    for r in routes:
        checks.assert_route_matches(bed, got[r['prefix']], r)
    return got


def test_ipv4_host_route_attributes(ebgp):
    announce_and_check(ebgp, [full_route(ebgp, '10.1.1.1/32', 1), ebgp.route('10.1.1.2/32')])


def test_ipv6_host_route_attributes(ebgp):
    announce_and_check(ebgp, [full_route(ebgp, '2001:db8:1::1/128', 2), ebgp.route('2001:db8:1::2/128')])


def test_ibgp_attributes_with_local_pref(ibgp):
    announce_and_check(ibgp, [full_route(ibgp, '10.1.2.1/32', 3), full_route(ibgp, '2001:db8:2::1/128', 4),
                              ibgp.route('10.1.2.2/32')])      # LOCAL_PREF absent -> the router's 100


def test_attribute_change_without_reset(ebgp):
    r = full_route(ebgp, '10.1.3.1/32', 5)
    announce_and_check(ebgp, [r])
    before = ebgp.router.counters(ebgp.spk_addr)
    r2 = dict(r, med=77, communities=['65001:77'])
    ebgp.speaker.announce(r2)
    got = ebgp.router.wait_routes(lambda rib: '10.1.3.1/32' in rib and rib['10.1.3.1/32'].med == 77,
                                  what='MED 77 on 10.1.3.1/32')
    checks.assert_route_matches(ebgp, got['10.1.3.1/32'], r2)
    assert ebgp.router.session_state(ebgp.spk_addr) == 'established'
    assert ebgp.router.counters(ebgp.spk_addr)['updates_received'] > before['updates_received']


def test_withdrawals_arrive(ebgp):
    keep4, gone4 = ebgp.route('10.1.4.1/32'), ebgp.route('10.1.4.2/32')
    keep6, gone6 = ebgp.route('2001:db8:4::1/128'), ebgp.route('2001:db8:4::2/128')
    announce_and_check(ebgp, [keep4, gone4, keep6, gone6])
    ebgp.speaker.withdraw(gone4['prefix'])
    ebgp.speaker.withdraw(gone6['prefix'])
    rib = ebgp.router.wait_routes(lambda rib: gone4['prefix'] not in rib and gone6['prefix'] not in rib,
                                  what='withdrawal of %s and %s' % (gone4['prefix'], gone6['prefix']))
    assert keep4['prefix'] in rib and keep6['prefix'] in rib, rib


def test_route_refresh_answered(ebgp):
    if not ebgp.router.supports_refresh_trigger:
        pytest.skip('%s cannot be made to send ROUTE-REFRESH: its softresetin re-reads its own '
                    'Adj-RIB-In and sends nothing' % ebgp.kind)
    routes = [full_route(ebgp, '10.1.5.1/32', 6), full_route(ebgp, '2001:db8:5::1/128', 7)]
    announce_and_check(ebgp, routes)
    before = ebgp.router.counters(ebgp.spk_addr)
    ebgp.router.refresh_in(ebgp.spk_addr)
    if before['refresh_sent'] is not None:
        routers.wait_for(lambda: ebgp.router.counters(ebgp.spk_addr)['refresh_sent'] > before['refresh_sent'],
                                10, 'router did not send ROUTE-REFRESH')
    routers.wait_for(
        lambda: ebgp.router.counters(ebgp.spk_addr)['updates_received'] > before['updates_received'], 15,
        lambda: 'no UPDATE answered the ROUTE-REFRESH: %r -> %r' % (before, ebgp.router.counters(ebgp.spk_addr)))
    got = ebgp.router.all_routes()
    for r in routes:
        checks.assert_route_matches(ebgp, got.get(r['prefix']), r)
    assert ebgp.router.session_state(ebgp.spk_addr) == 'established'
