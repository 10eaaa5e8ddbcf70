"""TCP MD5 signatures (RFC 2385) with FRR and BIRD: matching passwords establish, a mismatch
or a one-sided password never does."""
import time

import pytest

from conftest import require

MD5_ROUTERS = ('bird', 'frr')
NEVER_UP_SECONDS = 8        # several connect-retry periods (1 s) of both sides


@pytest.fixture(params=MD5_ROUTERS)
def md5_router(request):
    require(request.param)
    return request.param


@pytest.mark.parametrize('transport', ['ipv4', 'ipv6'])
def test_md5_matching_passwords_establish(bed_factory, md5_router, transport):
    bed = bed_factory(md5_router, transport=transport, speaker_password='s3cret-Pw', router_password='s3cret-Pw',
                      routes=[{'prefix': '10.1.6.1/32', 'next_hop': '10.0.0.1'}])
    bed.wait_up()
    bed.router.wait_routes(lambda r: '10.1.6.1/32' in r, 'ipv4', what='10.1.6.1/32 over an MD5 session')


@pytest.mark.parametrize('case', ['mismatch', 'speaker-only', 'router-only'])
def test_md5_mismatch_never_establishes(bed_factory, md5_router, case):
    spw, rpw = {'mismatch': ('s3cret-Pw', 'other-Pw'), 'speaker-only': ('s3cret-Pw', None),
                'router-only': (None, 's3cret-Pw')}[case]
    bed = bed_factory(md5_router, speaker_password=spw, router_password=rpw)
    end = time.monotonic() + NEVER_UP_SECONDS
    seen = set()
    while time.monotonic() < end:
        seen.add(bed.router.session_state(bed.spk_addr))
        seen.add('speaker:' + bed.speaker.peer_state(bed.rtr_addr))
        time.sleep(0.25)
    assert 'established' not in seen and 'speaker:established' not in seen, seen
    for s in ('opensent', 'openconfirm'):
        assert s not in seen, 'a TCP connection got through with %s: router state %s' % (case, seen)
    st = bed.speaker.status()[bed.rtr_addr]
    print('speaker status with %s: %r' % (case, st))
    print('speaker events: %r' % [e for _, e in bed.speaker.events][-10:])
