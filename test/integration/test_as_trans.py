"""RFC 6793 toward a router that speaks only 2-octet AS numbers: ExaBGP with `capability {
asn4 disable; }` (no Four-octet AS capability in its OPEN), our speaker in AS 4200000001.

  * our OPEN carries My Autonomous System = AS_TRANS 23456 and the real AS in the
    Four-octet AS capability (RFC 6793 §4.2.1); the router, knowing us as AS 23456,
    brings the session up;
  * our UPDATEs use 2-octet AS_PATH with every AS above 65535 replaced by AS_TRANS, and
    AS4_PATH carrying the real path (RFC 6793 §4.2.2).

Checked on the octets the router received (ExaBGP hands them over raw), not only on how
ExaBGP chose to show them."""
import pytest

import conftest
from exabgp_peer import (ExaBed, as_path_segments, exabgp_problem, neighbor_message,
                         path_attributes, raw_body)

SPEAKER_AS4 = 4200000001
AS_TRANS = 23456
AS_SEQUENCE = 2
# A route whose path holds a 4-octet and a 2-octet AS after ours.
ROUTE = {'prefix': '10.1.6.1/32', 'next_hop': '10.0.0.1', 'as_path_prepend': [4200000009, 65010]}


@pytest.fixture
def two_octet_bed():
    why = exabgp_problem()
    if why:
        pytest.skip(why)
    b = ExaBed(speaker_as=SPEAKER_AS4, router_as=65002, exabgp={'asn4': False, 'peer_as': AS_TRANS},
               routes=[ROUTE])
    conftest._active_beds.append(b)
    yield b
    conftest._active_beds.remove(b)
    b.close()


def test_as_trans_toward_two_octet_router(two_octet_bed):
    bed = two_octet_bed
    exa = bed.exa
    bed.speaker.wait_state(bed.rtr_addr, timeout=40)
    # The OPEN as received: My AS = 23456, and the capability with the real AS is still there.
    opened = exa.wait_message(lambda m: m.get('type') == 'open' and 'body' in (m['neighbor'].get('message') or {}),
                              10, 'raw OPEN')
    body = raw_body(opened)
    assert body[0] == 4, body.hex()
    assert int.from_bytes(body[1:3], 'big') == AS_TRANS, 'My AS %d' % int.from_bytes(body[1:3], 'big')
    parsed = exa.wait_message(lambda m: m.get('type') == 'open' and 'open' in m['neighbor'], 10, 'parsed OPEN')
    caps = neighbor_message(parsed, 'open')['capabilities']
    asn4 = [c for c in caps.values() if c.get('name') == 'asn4']
    assert asn4 and asn4[0].get('asn4') == SPEAKER_AS4, caps

    # The UPDATE as received: 2-octet AS_PATH with AS_TRANS, AS4_PATH with the real path.
    def carries_route(m):
        if m.get('type') != 'update' or 'body' not in (m['neighbor'].get('message') or {}):
            return False
        return any(code == 2 for _, code, _ in path_attributes(raw_body(m)))
    upd = exa.wait_message(carries_route, 20, 'UPDATE with our route')
    attrs = {code: (flags, value) for flags, code, value in path_attributes(raw_body(upd))}
    as_path = as_path_segments(attrs[2][1], 2)
    assert as_path == [(AS_SEQUENCE, [AS_TRANS, AS_TRANS, 65010])], as_path
    assert 17 in attrs, 'no AS4_PATH; attributes %s' % sorted(attrs)
    flags, value = attrs[17]
    assert flags & 0xC0 == 0xC0, 'AS4_PATH flags 0x%02x, want optional transitive' % flags
    as4_path = as_path_segments(value, 4)
    assert as4_path == [(AS_SEQUENCE, [SPEAKER_AS4, 4200000009, 65010])], as4_path
    st = bed.speaker.status()[bed.rtr_addr]
    assert st['state'] == 'established', st
