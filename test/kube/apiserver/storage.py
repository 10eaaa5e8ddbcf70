"""The fixture's etcd: every object under one key (resource, namespace, name), one global
resourceVersion counter that every write advances, the history of writes (for watches and
for lists at an exact resourceVersion), and compaction that forgets history (after which
watches and continue tokens from before it get 410 Gone).

Objects are plain JSON dicts in their storage version; the REST layer converts. Callers that
read-modify-write hold `lock` around the whole step, as the apiserver's guaranteed update
does with an etcd transaction."""
import bisect
import copy
import threading
import time

ADDED, MODIFIED, DELETED = 'ADDED', 'MODIFIED', 'DELETED'


class Event:
    __slots__ = ('rv', 'type', 'key', 'obj', 'prev')

    def __init__(self, rv, type_, key, obj, prev):
        self.rv, self.type, self.key, self.obj, self.prev = rv, type_, key, obj, prev


class Storage:
    def __init__(self, first_rv=1000):
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.rv = first_rv
        self.compacted_rv = first_rv     # history is complete for every rv >= this
        self.objects = {}                # key -> current object
        self.versions = {}               # key -> [(rv, obj or None)] oldest first
        self.history = []                # [Event], rv ascending
        self.history_rvs = []            # parallel to history, for bisect
        self.streams = set()             # open watch streams (watch.Stream), for drop_watches

    # ---- reads -------------------------------------------------------------------

    def get(self, key):
        with self.lock:
            obj = self.objects.get(key)
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, prefix, at_rv=None):
        """Objects whose key starts with `prefix` (a (resource,) or (resource, namespace)
        tuple), sorted by key; at `at_rv` from history (caller checks it is not compacted)."""
        with self.lock:
            if at_rv is None or at_rv >= self.rv:
                items = [(k, o) for k, o in self.objects.items() if k[:len(prefix)] == prefix]
            else:
                items = []
                for k, chain in self.versions.items():
                    if k[:len(prefix)] != prefix:
                        continue
                    obj = None
                    for rv, o in chain:
                        if rv <= at_rv:
                            obj = o
                        else:
                            break
                    if obj is not None:
                        items.append((k, obj))
            items.sort(key=lambda ko: '/'.join(ko[0]))   # etcd's byte order of keys
            return [(k, copy.deepcopy(o)) for k, o in items]

    def events_after(self, rv):
        """History events with rv > `rv` (the caller checked rv >= compacted_rv)."""
        with self.lock:
            i = bisect.bisect_right(self.history_rvs, rv)
            return self.history[i:]

    # ---- writes (caller holds lock for read-modify-write) ------------------------

    def _record(self, type_, key, obj, prev):
        self.rv += 1
        rv = self.rv
        if obj is not None:
            obj.setdefault('metadata', {})['resourceVersion'] = str(rv)
        stored = copy.deepcopy(obj) if obj is not None else None
        if type_ == DELETED:
            self.objects.pop(key, None)
            shown = copy.deepcopy(prev)
            shown['metadata']['resourceVersion'] = str(rv)
        else:
            self.objects[key] = stored
            shown = copy.deepcopy(stored)
        self.versions.setdefault(key, []).append((rv, stored))
        self.history.append(Event(rv, type_, key, shown, copy.deepcopy(prev) if prev else None))
        self.history_rvs.append(rv)
        self.changed.notify_all()
        return copy.deepcopy(shown)

    def create(self, key, obj):
        with self.lock:
            return self._record(ADDED, key, obj, None)

    def update(self, key, obj):
        with self.lock:
            return self._record(MODIFIED, key, obj, self.objects[key])

    def delete(self, key):
        with self.lock:
            return self._record(DELETED, key, None, self.objects[key])

    # ---- test control ------------------------------------------------------------

    def compact(self, upto=None):
        """Forget history up to `upto` (default: everything before the current rv)."""
        with self.lock:
            upto = self.rv if upto is None else min(int(upto), self.rv)
            if upto <= self.compacted_rv:
                return self.compacted_rv
            i = bisect.bisect_right(self.history_rvs, upto)
            del self.history[:i]
            del self.history_rvs[:i]
            for key in list(self.versions):
                chain = self.versions[key]
                keep = [v for v in chain if v[0] > upto]
                older = [v for v in chain if v[0] <= upto]
                if older and older[-1][1] is not None:
                    keep.insert(0, older[-1])
                if keep:
                    self.versions[key] = keep
                else:
                    del self.versions[key]
            self.compacted_rv = upto
            self.changed.notify_all()
            return upto

    def drop_watches(self, after_events=0, how='abort'):
        """Cut every open watch stream after it has sent `after_events` more events (0: now).
        how: 'abort' closes the connection without the final chunk, 'partial' first writes
        half of the next event, 'clean' ends the chunked body properly. Returns how many."""
        with self.lock:
            for s in self.streams:
                s.drop_plan = (int(after_events), how)
            self.changed.notify_all()
            return len(self.streams)

    def wait(self, timeout):
        with self.lock:
            self.changed.wait(timeout)


def now_rfc3339():
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())


def now_micro():
    t = time.time()
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(t)) + '.%06dZ' % int((t % 1) * 1e6)
