"""WATCH: a stream of {"type", "object"} events from a resourceVersion, with selectors
(an object that stops matching arrives as DELETED, one that starts as ADDED), initial
events (no resourceVersion, "0", or sendInitialEvents=true with the initial-events-end
bookmark), BOOKMARK events when allowWatchBookmarks is set, an ERROR event with a 410
Status for a compacted resourceVersion, timeoutSeconds, and the test hooks that cut a
stream (storage.drop_watches)."""
import time

from . import errors
from .rest import key_of, storage_id
from .selectors import fields_match, labels_match, parse_bool, parse_fields, parse_labels

INITIAL_EVENTS_END = 'k8s.io/initial-events-end'


class Stream:
    """One open watch; the control port can set drop_plan = (events_left, how)."""

    def __init__(self):
        self.drop_plan = None
        self.force_bookmark = False


def _matcher(rt, api, version, query):
    labels = parse_labels(query.get('labelSelector', ''))
    fields = parse_fields(query.get('fieldSelector', ''), rt.storage_name)

    def matches(stored):
        if stored is None:
            return False
        view = api.out(rt, version, dict(stored))
        return labels_match(labels, view['metadata'].get('labels')) and fields_match(fields, stored)
    return matches


def watch_events(api, rt, version, namespace, query, stream, options):
    """Yields ('start', None) once the request is valid (validation errors are raised
    before it), then ('event', dict) to send, and finally ('end', how) with how in
    'clean', 'abort', 'partial'."""
    storage = api.storage
    matches = _matcher(rt, api, version, query)
    bookmarks = bool(parse_bool(query.get('allowWatchBookmarks')))
    send_initial = parse_bool(query.get('sendInitialEvents'))
    rv_param = query.get('resourceVersion', '')
    if send_initial:
        if query.get('resourceVersionMatch') != 'NotOlderThan' or not bookmarks:
            raise errors.invalid('ListOptions', 'meta.k8s.io', '', [
                ('sendInitialEvents', 'FieldValueForbidden',
                 'Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate '
                 'is enabled and allowWatchBookmarks is set and resourceVersionMatch is NotOlderThan')])
    elif query.get('resourceVersionMatch'):
        raise errors.bad_request('resourceVersionMatch is forbidden for watch')
    timeout = float(query.get('timeoutSeconds') or options.watch_timeout_seconds)
    deadline = time.monotonic() + min(timeout, options.watch_timeout_seconds)
    prefix = (storage_id(rt), namespace) if namespace else (storage_id(rt),)

    def out(type_, stored):
        return {'type': type_, 'object': api.out(rt, version, dict(stored))}

    with storage.lock:
        initial = rv_param in ('', '0') or send_initial
        if initial:
            at = storage.rv
            first = [out('ADDED', o) for _k, o in storage.list(prefix) if matches(o)]
        else:
            try:
                at = int(rv_param)
            except ValueError:
                raise errors.bad_request('invalid resource version: %s' % rv_param)
            first = []
            if at < storage.compacted_rv:
                gone = errors.gone_too_old(at, storage.compacted_rv)
                first = None
        storage.streams.add(stream)
    try:
        yield 'start', None
        if first is None:
            yield 'event', {'type': 'ERROR', 'object': gone.status()}
            yield 'end', 'clean'
            return
        for ev in first:
            r = _count(stream)
            if r:
                yield 'end', r
                return
            yield 'event', ev
        if send_initial:
            yield 'event', _bookmark(rt, version, at, initial_end=True)
        last_bookmark = time.monotonic()
        while True:
            plan = stream.drop_plan
            if plan and plan[0] <= 0:
                yield 'end', plan[1]
                return
            with storage.lock:
                if at < storage.compacted_rv:
                    # events this stream had not sent yet were compacted away: end it with
                    # 410, as the watch cache ends a watcher that fell behind
                    yield 'event', {'type': 'ERROR', 'object': errors.gone_too_old(at, storage.compacted_rv).status()}
                    yield 'end', 'clean'
                    return
                pending = storage.events_after(at)
                if not pending and not stream.force_bookmark and stream.drop_plan is None:
                    left = min(deadline - time.monotonic(),
                               options.bookmark_interval - (time.monotonic() - last_bookmark)
                               if bookmarks else 1e9, 0.5)
                    if left > 0:
                        storage.changed.wait(left)
                    pending = storage.events_after(at)
                head_rv = storage.rv
            for ev in pending:
                at = ev.rv
                if ev.key[:len(prefix)] != prefix:
                    continue
                now_m, was_m = matches(ev.obj) if ev.type != 'DELETED' else False, matches(ev.prev)
                if ev.type == 'DELETED':
                    if was_m:
                        kind = 'DELETED'
                    else:
                        continue
                elif now_m and was_m:
                    kind = 'MODIFIED'
                elif now_m:
                    kind = 'ADDED'
                elif was_m:
                    kind = 'DELETED'
                else:
                    continue
                r = _count(stream)
                if r:
                    yield 'end', r
                    return
                yield 'event', out(kind, ev.obj)
            at = max(at, head_rv) if not pending else at
            now = time.monotonic()
            if bookmarks and (stream.force_bookmark or now - last_bookmark >= options.bookmark_interval):
                stream.force_bookmark = False
                last_bookmark = now
                yield 'event', _bookmark(rt, version, at)
            if now >= deadline:
                yield 'end', 'clean'
                return
    finally:
        with storage.lock:
            storage.streams.discard(stream)


def _count(stream):
    """Spend one event of a planned drop; the drop's `how` once the budget is exhausted."""
    plan = stream.drop_plan
    if plan is None:
        return None
    if plan[0] <= 0:
        return plan[1]
    stream.drop_plan = (plan[0] - 1, plan[1])
    return None


def _bookmark(rt, version, rv, initial_end=False):
    meta = {'resourceVersion': str(rv), 'creationTimestamp': None}
    if initial_end:
        meta['annotations'] = {INITIAL_EVENTS_END: 'true'}
    return {'type': 'BOOKMARK', 'object': {'kind': rt.kind, 'apiVersion': rt.api_version(version),
                                           'metadata': meta}}


__all__ = ['Stream', 'watch_events', 'key_of']
