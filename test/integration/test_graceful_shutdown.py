"""RFC 8326 graceful shutdown: on SIGTERM the speaker re-announces with GRACEFUL_SHUTDOWN
(65535:0) (and LOCAL_PREF 0 toward iBGP), drains, then withdraws and sends Cease. The
router must see the community on every route before the withdrawal."""
import pytest

import checks
import routers
from conftest import ROUTER_AS, SPEAKER_AS

DRAIN = 3


@pytest.mark.parametrize('session', ['ebgp', 'ibgp'])
def test_graceful_shutdown_community_before_withdrawal(bed_factory, router_kind, session):
    router_as = SPEAKER_AS if session == 'ibgp' else ROUTER_AS
    bed = bed_factory(router_kind, router_as=router_as, drain=DRAIN)
    routes = [bed.route('10.1.8.1/32', communities=['65001:80'], local_pref=200),
              bed.route('2001:db8:8::1/128', large_communities=['65001:8:8'])]
    bed.wait_up()
    for r in routes:
        bed.speaker.announce(r)
    want = {r['prefix'] for r in routes}
    bed.router.wait_routes(lambda rib: want <= set(rib), what=sorted(want))
    with checks.Capture(bed.rtr_ns, bed.rtr_ns.ifname(), bed.router.dir) as cap, \
            checks.Sampler(bed.router, interval=0.05) as s:
        rc = bed.speaker.graceful_stop(timeout=DRAIN + 30)
        routers.wait_for(lambda: not (want & set(bed.router.all_routes())), 15,
                         'routes still at the router after the speaker stopped')
    assert rc == 0, 'speaker exit code %r after SIGTERM' % rc
    for r in routes:
        p = r['prefix']
        t_gshut = s.first(lambda rib: p in rib and routers.GSHUT in rib[p].communities)
        t_gone = s.first(lambda rib: p not in rib, after=t_gshut or 0.0)
        assert t_gshut is not None, '%s never carried %s at %s' % (p, routers.GSHUT, router_kind)
        assert t_gone is not None and t_gone > t_gshut
        gshut_rib = [rib for t, rib in s.samples if t_gshut <= t < t_gone]
        route = gshut_rib[-1][p]
        kept = sorted(set(routers.normalize_community(c) for c in r.get('communities', [])) | {routers.GSHUT})
        assert route.communities == kept, route
        assert route.large_communities == sorted(r.get('large_communities', [])), route
        if session == 'ibgp':
            assert route.local_pref == 0, 'LOCAL_PREF %r during the drain (RFC 8326 §4.1)' % route.local_pref
        # the drain lasted about as configured
        assert t_gone - t_gshut >= DRAIN - 1.0, 'drained only %.1f s' % (t_gone - t_gshut)
    # On the wire: withdrawals, then Cease / Administrative Shutdown with a message (RFC 9003).
    msgs = cap.messages(bed.spk_addr)
    notes = [m for m in msgs if m['notification']]
    assert notes, 'no NOTIFICATION from the speaker'
    code, sub, text = notes[0]['notification']
    assert (code, sub) == (6, 2), 'NOTIFICATION %d/%s, want Cease/Administrative Shutdown (6/2)' % (code, sub)
    assert text, 'Administrative Shutdown without a shutdown communication (RFC 9003)'
    t_wd = max((m['t'] for m in msgs if m['withdrawn']), default=None)
    assert t_wd is not None and t_wd <= notes[0]['t'], 'Cease before the withdrawals'
