#!/usr/bin/python3
"""Heap by component from heaptrack stacks (docs/memory.md): each allocation stack goes to
the first rule below (in this order) that one of its frames matches, so a status text the
controller builds in the state directory's encoder counts as the state directory's.

    heaptrack_print -f RUN.zst -F RUN-peak.stacks --flamegraph-cost-type peak
    heaptrack_print -f RUN.zst -F RUN-leak.stacks --flamegraph-cost-type leaked
    python3 test/bench/speaker_e2e/heap_by_component.py RUN-peak.stacks RUN-leak.stacks

`peak`: what was allocated at the moment of the highest heap; `leaked`: what was still
allocated when bgplb exited (it exits without tearing its state down, so this is what it
holds in steady state). Prints a Markdown table in MiB, one column per file.
"""
import re
import sys

RULES = [
    ('state dir: status.json and ledger.json text (controller writes)',
     r'store::file::(encode_status|encode_ledger|state_dir::write)'),
    ('state dir: ledger read back (file datastore)', r'store::file::(decode_ledger|state_dir::read_ledger)|read_ledger_assignments'),
    ('controller: result of a pass (statuses, ledger copy)',
     r'controller::incremental_allocator::current|controller::detail::engine::(current|status_of)|model::ledger::ledger|'
     r'service_status::service_status'),
    ('datastore: decoded objects', r'model::decode_shared|model::detail::decode_|model::detail::reader'),
    ('datastore: snapshot tables', r'model::basic_table|model::snapshot::'),
    ('datastore: file backend bookkeeping', r'store::file::backend'),
    ('speaker: planner', r'speaker::planner'),
    ('speaker: BGP library', r'bgp::'),
    ('speaker: agent', r'speaker::agent'),
    ('controller: allocator state', r'controller::'),
    ('dataplane', r'dataplane'),
    ('assignments, feed, runtime, other', r'.'),
]


def load(path):
    """(stack text, bytes) per line of a heaptrack_print -F file ("f1;f2;...; bytes")."""
    out = []
    with open(path) as f:
        for line in f:
            if line.strip():
                body, cost = line.rstrip('\n').rsplit(' ', 1)
                out.append((body, int(cost)))
    return out


def by_component(rows):
    sums = {name: 0 for name, _ in RULES}
    for body, cost in rows:
        for name, rx in RULES:
            if re.search(rx, body):
                sums[name] += cost
                break
    return sums


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    tables = [by_component(load(f)) for f in sys.argv[1:]]
    print('| component | ' + ' | '.join(sys.argv[1:]) + ' |')
    print('|---|' + '---:|' * len(tables))
    for name, _ in RULES:
        print('| %s | %s |' % (name, ' | '.join('%.1f' % (t[name] / 2**20) for t in tables)))
    print('| **total** | %s |' % ' | '.join('**%.1f**' % (sum(t.values()) / 2**20) for t in tables))


if __name__ == '__main__':
    main()
