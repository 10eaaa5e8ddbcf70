"""ExaBGP scripted as a hostile peer (issue 3): it sends malformed UPDATEs (its generic
`attribute [ 0xCODE 0xFLAGS 0xDATA ]` puts exactly those octets on the wire) and OPENs we
must refuse. Our speaker answers as RFC 7606 / RFC 4271 §6 say — treat-as-withdraw or
attribute-discard with the session kept, or the NOTIFICATION with the session reset — reports
the reason, and keeps running (bgp/test/hostile_peer_test.cpp does the same over a raw socket).

Every UPDATE case also carries one well-formed route, so "the bad route was not counted" is
told apart from "nothing arrived"."""
import time

import pytest

import conftest
import routers
from exabgp_peer import ExaBed, exabgp_problem, notification_seen

GOOD = 'route 10.9.0.2/32 next-hop 10.0.0.2'


def bad(attr):
    return 'route 10.9.0.1/32 next-hop 10.0.0.2 attribute [ %s ]' % attr


# id: (ExaBGP generic attribute, expected outcome, words of the reason our speaker reports)
UPDATE_CASES = {
    # RFC 7606 §7.1: ORIGIN with an undefined value -> treat-as-withdraw
    'origin-undefined-value': ('0x01 0x40 0x05', 'withdraw', 'ORIGIN: undefined ORIGIN value 5'),
    # RFC 7606 §7.2: AS_PATH with an unrecognized segment type -> treat-as-withdraw
    'as-path-bad-segment': ('0x02 0x40 0x0501fde9', 'withdraw', 'AS_PATH: unrecognized segment type 5'),
    # RFC 7606 §7.4: MULTI_EXIT_DISC of 3 octets -> treat-as-withdraw
    'med-length': ('0x04 0x80 0x000001', 'withdraw', 'MULTI_EXIT_DISC: length 3, expected 4'),
    # RFC 7606 §3(c): well-known flags on an optional attribute -> treat-as-withdraw
    'med-flags': ('0x04 0x40 0x00000001', 'withdraw', 'MULTI_EXIT_DISC flags 0x40 conflict'),
    # RFC 7606 §7.8: COMMUNITIES not a multiple of 4 -> treat-as-withdraw
    'communities-length': ('0x08 0xc0 0x000001', 'withdraw', 'COMMUNITIES: length 3'),
    # RFC 8092 §6: LARGE_COMMUNITY not a multiple of 12 -> treat-as-withdraw
    'large-community-length': ('0x20 0xc0 0x0000fde90000000100', 'withdraw', 'LARGE_COMMUNITY: length 9'),
    # RFC 7606 §7.7: AGGREGATOR of a wrong length -> attribute-discard, the route stays
    'aggregator-length': ('0x07 0xc0 0x000001', 'discard', 'AGGREGATOR: length 3'),
    # RFC 7607 §2 with RFC 7606 §7.2: AS 0 in the AS_PATH -> treat-as-withdraw
    'as-path-as-zero': ('0x02 0x40 0x020100000000', 'withdraw', 'AS_PATH: AS 0 in the path'),
    # RFC 7607 §2 with RFC 7606 §7.7: AGGREGATOR with AS 0 -> attribute-discard
    'aggregator-as-zero': ('0x07 0xc0 0x000000000a000001', 'discard', 'AGGREGATOR: AGGREGATOR with AS 0'),
    # RFC 6793 §6: AS4_PATH between four-octet speakers -> attribute-discard
    'as4-path-from-new-speaker': ('0x11 0xc0 0x02010000fdea', 'discard', 'AS4_PATH from a four-octet AS speaker'),
    # RFC 4271 §6.3: unrecognized well-known attribute -> NOTIFICATION 3/2, data = the attribute
    'unknown-well-known': ('0x63 0x40 0x01', (3, 2, '40630101'), 'unrecognized well-known attribute type 99'),
    # RFC 7606 §7.11: MP_REACH_NLRI too short for AFI/SAFI -> session reset, NOTIFICATION 3/9
    'mp-reach-truncated': ('0x0e 0x80 0x0001', (3, 9, None), 'MP_REACH_NLRI: 2 octets, too short for AFI/SAFI'),
}

# id: (ExaBGP settings, NOTIFICATION (code, subcode), words of the reason)
OPEN_CASES = {
    # RFC 4271 §6.2: the peer's AS is not the configured one
    'bad-peer-as': ({'local_as': 65009}, (2, 2), 'bad peer AS (peer says AS 65009, configured 65002)'),
    # RFC 6286 §2.2 / RFC 4271 §6.2: BGP Identifier 0
    'bgp-identifier-zero': ({'router_id': '0.0.0.0'}, (2, 3), 'bad BGP identifier'),
}


def require_exabgp():
    why = exabgp_problem()
    if why:
        pytest.skip(why)


@pytest.fixture
def exa_bed():
    """exa_bed(**ExaBed options) -> a started bed; its logs join a failing test's report."""
    require_exabgp()
    beds = []

    def make(**kw):
        b = ExaBed(capture=True, **kw)
        beds.append(b)
        conftest._active_beds.append(b)
        return b
    yield make
    for b in beds:
        conftest._active_beds.remove(b)
        b.close()


def notifications(exa):
    return [m['neighbor']['notification'] for m in exa.messages()
            if m.get('type') == 'notification' and 'notification' in m.get('neighbor', {})]


def assert_speaker_alive(bed):
    assert bed.speaker.alive(), 'bgp_announcer died (exit %s)\n%s' % (bed.speaker.proc.poll(), bed.logs())
    st = bed.speaker.status()       # and it still answers
    assert bed.rtr_addr in st, st
    return st[bed.rtr_addr]


@pytest.mark.parametrize('case', list(UPDATE_CASES))
def test_malformed_update(exa_bed, case):
    attr, outcome, words = UPDATE_CASES[case]
    bed = exa_bed(exabgp={'routes': [bad(attr), GOOD]})
    _, ev = bed.speaker.wait_event(lambda e: e.get('event') in ('update_error', 'peer_down'), 40,
                                   what='report of the malformed UPDATE')
    if isinstance(outcome, tuple):
        code, subcode, data = outcome
        assert ev['event'] == 'peer_down', ev
        assert ev['reason'].startswith('sent NOTIFICATION %d/%d ' % (code, subcode)), ev
        assert words in ev['reason'], ev
        assert_speaker_alive(bed)
        sent = bed.wire_notifications()
        assert sent and all(x == (code, subcode) for x in sent), 'NOTIFICATIONs on the wire: %r' % sent
        n = notification_seen(bed.exa, code, subcode)
        if data is not None and n is not None:
            assert n['data'].lower() == '0x' + data, n      # RFC 4271 §6.3: the erroneous attribute
        return
    assert ev['event'] == 'update_error', ev
    assert words in ev['reason'], ev
    # The session stays up, nothing is sent to the peer, and only the good route counts
    # (plus the bad one when only the attribute is discarded).
    want = 1 if outcome == 'withdraw' else 2
    routers.wait_for(lambda: assert_speaker_alive(bed)['received_prefixes'] == want, 10,
                     lambda: 'received_prefixes %r, want %d' % (assert_speaker_alive(bed), want))
    time.sleep(2)
    st = assert_speaker_alive(bed)
    assert st['state'] == 'established' and st['received_prefixes'] == want, st
    assert not notifications(bed.exa), notifications(bed.exa)
    assert not bed.wire_notifications()
    assert not bed.speaker.events_since(name='peer_down'), bed.speaker.events_since(name='peer_down')


@pytest.mark.parametrize('case', list(OPEN_CASES))
def test_refused_open(exa_bed, case):
    settings, (code, subcode), words = OPEN_CASES[case]
    bed = exa_bed(exabgp=settings)
    _, ev = bed.speaker.wait_event(lambda e: e.get('event') == 'peer_down', 40, what='refusal of the OPEN')
    assert ev['reason'].startswith('sent NOTIFICATION %d/%d OPEN message error' % (code, subcode)), ev
    assert words in ev['reason'], ev
    # ExaBGP keeps trying; every attempt is refused the same way and the speaker stays up.
    time.sleep(3)
    st = assert_speaker_alive(bed)
    assert st['state'] != 'established', st
    assert not [e for _, e in bed.speaker.events_since(name='peer_state') if e.get('state') == 'established']
    sent = bed.wire_notifications()
    assert sent and all(x == (code, subcode) for x in sent), 'NOTIFICATIONs on the wire: %r' % sent
