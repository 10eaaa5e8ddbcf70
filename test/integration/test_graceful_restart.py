"""Graceful restart (RFC 4724), the speaker restarting and the router helping: kill -9 the
speaker, the router keeps our routes as stale (and FRR keeps them in its FIB), the restarted
speaker re-establishes and sends End-of-RIB, no route that survived flaps, and a route that
did not survive the restart is withdrawn then."""
import time

import checks
import routers

RESTART_TIME = 120


def test_graceful_restart_no_flap(bed_factory, router_kind):
    bed = bed_factory(router_kind, graceful_restart=RESTART_TIME, hold_time=9, routes=[])
    keep4 = bed.route('10.1.7.1/32', communities=['65001:70'], med=7)
    keep6 = bed.route('2001:db8:7::1/128', communities=['65001:70'])
    lost = bed.route('10.1.7.2/32')                 # announced at run time only: gone after the restart
    bed.speaker.config['routes'] = [keep4, keep6]   # what the restarted speaker starts with
    bed.wait_up()
    for r in (keep4, keep6, lost):
        bed.speaker.announce(r)
    want = {keep4['prefix'], keep6['prefix'], lost['prefix']}
    bed.router.wait_routes(lambda rib: want <= set(rib) and not any(rib[p].stale for p in want),
                           what='all routes, not stale')

    def in_fib():
        out = bed.rtr_ns.run(['ip', 'route', 'show', keep4['prefix']]).stdout
        return 'via %s' % bed.nh['ipv4'] in out
    if router_kind == 'frr':            # zebra installs FRR's best routes in the namespace's kernel
        routers.wait_for(in_fib, 10, 'FRR did not install %s in the FIB' % keep4['prefix'])
    with checks.Capture(bed.rtr_ns, bed.rtr_ns.ifname(), bed.router.dir) as cap, checks.Sampler(bed.router) as s:
        time.sleep(0.5)
        t_kill = time.monotonic()
        bed.speaker.kill9()
        rib = bed.router.wait_routes(lambda rib: all(p in rib and rib[p].stale for p in want), timeout=20,
                                     what='routes kept as stale after the speaker died')
        assert bed.router.session_state(bed.spk_addr) != 'established'
        if router_kind == 'frr':        # FRR forwards on the stale routes: zebra keeps them in the kernel
            assert in_fib(), 'stale route %s left the FIB after the crash' % keep4['prefix']
        time.sleep(2)
        t_restart = time.monotonic()
        bed.speaker.start(restarting=True)
        bed.wait_up(timeout=60)
        rib = bed.router.wait_routes(
            lambda rib: keep4['prefix'] in rib and keep6['prefix'] in rib and lost['prefix'] not in rib
            and not rib[keep4['prefix']].stale and not rib[keep6['prefix']].stale, timeout=30,
            what='kept routes refreshed (not stale) and the lost route withdrawn after End-of-RIB')
        t_done = time.monotonic()
        time.sleep(0.5)
    for r in (keep4, keep6):
        checks.assert_route_matches(bed, rib[r['prefix']], r)
        gaps = s.gaps(r['prefix'], after=t_kill - 0.5)
        assert not gaps, '%s flapped at %s: absent in %d samples (%.1f s after the kill)' % (
            r['prefix'], router_kind, len(gaps), gaps[0] - t_kill)
    # On the wire: the restarted speaker withdrew only what it no longer has.
    withdrawn = set().union(*[m['withdrawn'] for m in cap.messages(bed.spk_addr)])
    for r in (keep4, keep6):
        assert r['prefix'].split('/')[0] not in withdrawn, '%s was withdrawn on the wire' % r['prefix']
    print('restart -> routes refreshed in %.1f s, %d samples' % (t_done - t_restart, len(s.samples)))
