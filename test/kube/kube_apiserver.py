#!/usr/bin/env python3
"""Runs the Kubernetes API server fixture until SIGTERM / SIGINT (test/kube/README.md).

  kube_apiserver.py --state-dir DIR [--host 127.0.0.1] [--port 0] [--control-port 0]
                    [--crds FILE_OR_DIR ...] [--seed FILE_OR_DIR ...] [--users FILE]
                    [--bookmark-interval S] [--watch-timeout S]

Writes DIR/ready.json (url, control URL, credentials) once both ports listen."""
import argparse
import json
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apiserver.fixture import Fixture  # noqa: E402
from apiserver.server import Options  # noqa: E402


def load_documents(paths):
    """Objects from YAML/JSON files or directories (sorted), List kinds flattened."""
    import yaml
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(os.path.join(p, f) for f in os.listdir(p)
                            if f.endswith(('.yaml', '.yml', '.json')))
        else:
            files.append(p)
    out = []
    for f in files:
        with open(f) as fh:
            for doc in yaml.safe_load_all(fh):
                if not doc:
                    continue
                if doc.get('kind', '').endswith('List') and isinstance(doc.get('items'), list):
                    out += doc['items']
                else:
                    out.append(doc)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--state-dir', required=True)
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--control-port', type=int, default=0)
    ap.add_argument('--crds', action='append', default=[], help='CRD manifests to install first')
    ap.add_argument('--seed', action='append', default=[], help='objects to store at start')
    ap.add_argument('--users', help='JSON/YAML: [{name, groups, rules, token, cert}]')
    ap.add_argument('--bookmark-interval', type=float, default=60.0)
    ap.add_argument('--watch-timeout', type=float, default=1800.0)
    ap.add_argument('--verbose', action='store_true')
    args = ap.parse_args()

    opts = Options(bookmark_interval=args.bookmark_interval, watch_timeout_seconds=args.watch_timeout,
                   verbose=args.verbose)
    fx = Fixture(args.state_dir, args.host, args.port, args.control_port, opts)
    fx.install(load_documents(args.crds))
    fx.install(load_documents(args.seed))
    users = {}
    if args.users:
        import yaml
        with open(args.users) as f:
            for u in yaml.safe_load(f) or []:
                users[u['name']] = fx.add_user(u['name'], u.get('groups', []), u.get('rules', []),
                                               u.get('token'), u.get('cert', True))
    info = fx.write_ready(users)
    print(json.dumps({'url': info['url'], 'control': info['control']}), flush=True)

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    fx.stop()


if __name__ == '__main__':
    main()
