"""Hold timer (RFC 4271 §4.4, §8): freeze the router (SIGSTOP); the speaker drops the session
at the negotiated hold time, then reconnects once the router resumes (SIGCONT)."""
import time


HOLD = 3


def test_hold_timer_expires_and_recovers(bed_factory, router_kind):
    bed = bed_factory(router_kind, hold_time=HOLD)
    bed.wait_up()
    bed.speaker.announce(bed.route('10.1.9.1/32'))
    bed.router.wait_routes(lambda rib: '10.1.9.1/32' in rib, 'ipv4', what='10.1.9.1/32')
    time.sleep(0.2)
    t_stop = time.monotonic()
    bed.router.pause()
    try:
        t_down, ev = bed.speaker.wait_event(
            lambda e: e.get('peer') == bed.rtr_addr and (
                e.get('event') == 'peer_down' or (e.get('event') == 'peer_state' and e.get('state') != 'established')),
            timeout=HOLD + 10, since=t_stop, what='session drop at hold time')
        dt = t_down - t_stop
        # The last KEEPALIVE from the router came up to one keepalive interval (hold/3) before the stop.
        assert HOLD - HOLD / 3 - 0.5 <= dt <= HOLD + 1.5, 'session dropped %.2f s after SIGSTOP (hold %d s)' % (dt, HOLD)
        downs = [e for _, e in bed.speaker.events_since(t_stop, 'peer_down')]
        assert downs and 'hold' in (downs[0].get('reason') or '').lower(), 'down reason: %r' % downs
        time.sleep(1.0)
    finally:
        bed.router.resume()
    t_cont = time.monotonic()
    bed.wait_up(timeout=60)
    bed.router.wait_routes(lambda rib: '10.1.9.1/32' in rib, 'ipv4', what='10.1.9.1/32 after recovery')
    print('dropped %.2f s after SIGSTOP (%s), up again %.1f s after SIGCONT' % (dt, downs[0].get('reason'),
                                                                              time.monotonic() - t_cont))
