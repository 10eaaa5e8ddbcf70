"""Sessions come up with each router: IPv4 and IPv6 transport, 2- and 4-octet ASNs, eBGP and
iBGP (RFC 4271, RFC 6793, RFC 4760). One route rides along to prove the AS number encoding."""
import pytest

from conftest import ROUTER_AS, ROUTER_AS4, SPEAKER_AS, SPEAKER_AS4
import checks

CASES = {
    'ebgp-as2': (SPEAKER_AS, ROUTER_AS),
    'ebgp-as4': (SPEAKER_AS4, ROUTER_AS4),
    'ibgp-as2': (SPEAKER_AS, SPEAKER_AS),
    'ibgp-as4': (SPEAKER_AS4, SPEAKER_AS4),
}


@pytest.mark.parametrize('transport', ['ipv4', 'ipv6'])
@pytest.mark.parametrize('case', list(CASES))
def test_session_up(bed_factory, router_kind, transport, case):
    speaker_as, router_as = CASES[case]
    probe = {'prefix': '10.1.0.1/32', 'next_hop': '10.0.0.1', 'communities': ['65001:100'], 'med': 5}
    if speaker_as == router_as:
        probe['local_pref'] = 150
    bed = bed_factory(router_kind, transport=transport, speaker_as=speaker_as, router_as=router_as,
                      routes=[probe])
    bed.wait_up()
    st = bed.speaker.status()[bed.rtr_addr]
    assert st['state'] == 'established', st
    got = bed.router.wait_routes(lambda r: probe['prefix'] in r, 'ipv4', what=probe['prefix'])
    checks.assert_route_matches(bed, got[probe['prefix']], probe)



ROLES = {
    'speaker-passive': dict(speaker_passive=True),
    'router-passive': dict(router_passive=True),
    'other-ports': dict(router_port=1179, speaker_port=1790),
    'other-ports-speaker-passive': dict(router_port=1179, speaker_port=1790, speaker_passive=True),
}


@pytest.mark.parametrize('roles', list(ROLES))
def test_active_passive_and_ports(bed_factory, router_kind, roles):
    """Either side may open the connection; the router may listen on a port other than 179
    and so may the speaker (its "listen" setting)."""
    bed = bed_factory(router_kind, routes=[{'prefix': '10.1.0.2/32', 'next_hop': '10.0.0.1'}], **ROLES[roles])
    bed.wait_up()
    bed.router.wait_routes(lambda r: '10.1.0.2/32' in r, 'ipv4', what='10.1.0.2/32')
