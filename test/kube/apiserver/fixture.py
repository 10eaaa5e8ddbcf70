"""One running fixture in this process: creates the PKI and the admin credentials in a
state directory, installs CRDs, starts the API and control ports, and writes ready.json."""
import json
import os
import uuid

from . import certs
from .control import ControlServer
from .rest import key_of
from .server import ApiPort, Options, State
from .storage import now_rfc3339


class Fixture:
    def __init__(self, state_dir, host='127.0.0.1', port=0, control_port=0, options=None):
        os.makedirs(state_dir, exist_ok=True)
        self.state_dir = os.path.abspath(state_dir)
        certs.make_ca(self.state_dir)
        certs.make_server(self.state_dir, host)
        self.state = State(options or Options(), self.state_dir)
        self.state.api.seed_system_namespaces()
        self.api_port = ApiPort(self.state, host, port)
        shown_host = '[%s]' % host if ':' in host else host
        self.state.address = '%s:%d' % (shown_host, self.api_port.port)
        self.control = ControlServer(self, control_port)
        self.admin = self.state.add_user('admin', ['system:masters'])

    def install(self, objects):
        for o in objects:
            self.state.api.seed(o)

    def store_directly(self, objects):
        """Objects straight into storage as given (uid and creationTimestamp filled in when
        absent; no defaults, allocation or admission): how benchmarks load tens of thousands
        of them, since seeding a Service without its node ports allocates them by looking
        at every other Service. Watchers see each as ADDED."""
        api, reg = self.state.api, self.state.registry
        for o in objects:
            group, _, version = o['apiVersion'].rpartition('/')
            rt = reg.by_kind(group, version, o['kind'])
            md = o['metadata']
            md.setdefault('uid', str(uuid.uuid4()))
            md.setdefault('creationTimestamp', now_rfc3339())
            self.state.storage.create(key_of(rt, md.get('namespace', '') if rt.namespaced else '', md['name']),
                                      api._to_storage(rt, o))

    def add_user(self, name, groups=(), rules=(), token=None, cert=True):
        return self.state.add_user(name, groups, rules, token, cert)

    def ready_info(self):
        return {'url': 'https://' + self.state.address,
                'control': 'http://127.0.0.1:%d' % self.control.server_address[1],
                'pid': os.getpid(), 'stateDir': self.state_dir,
                'ca': os.path.join(self.state_dir, 'ca.crt'),
                'admin': self.admin}

    def write_ready(self, users):
        info = dict(self.ready_info(), users=users)
        tmp = os.path.join(self.state_dir, 'ready.json.tmp')
        with open(tmp, 'w') as f:
            json.dump(info, f, indent=1)
        os.replace(tmp, os.path.join(self.state_dir, 'ready.json'))
        return info

    def stop(self):
        self.api_port.down()
        self.control.shutdown()
        self.control.server_close()
