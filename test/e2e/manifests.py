"""The e2e fabric's datastore: a manifest directory that every speaker and the controller
read. A `Cluster` is the desired state as plain Python values; `Directory.sync(cluster)`
rewrites only the files whose content changed, one object per file, each replaced
atomically (a dot-file, which the datastore skips, renamed over the old one), so every
edit reaches the processes as one clean change, as a watch event would.

JSON is written (YAML's superset, read by the same parser), so no YAML library is needed.
"""
import copy
import dataclasses
import json
import os

METALLB_NS = 'metallb-system'
BFD_PROFILE = 'e2e-bfd'
EXCLUDE_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers'


@dataclasses.dataclass
class Endpoint:
    node: str
    address: str
    ready: bool | None = True           # None: the condition is omitted (Kubernetes: ready)
    serving: bool | None = None         # None: omitted
    terminating: bool | None = None


@dataclasses.dataclass
class Service:
    name: str
    policy: str                         # 'Local' | 'Cluster'
    cluster_ip: str                     # IPv6 (with ':'): an IPv6 single-stack Service
    endpoints: list = dataclasses.field(default_factory=list)
    annotations: dict = dataclasses.field(default_factory=dict)
    namespace: str = 'e2e'
    slice_present: bool = True          # the EndpointSlice object exists
    service_present: bool = True        # the Service object exists
    udp: bool = False                   # also UDP port 80 (target 8080), beside TCP's
    affinity_seconds: int | None = None  # sessionAffinity ClientIP with this timeout
    source_ranges: list = dataclasses.field(default_factory=list)  # loadBalancerSourceRanges


@dataclasses.dataclass
class Node:
    name: str
    address: str
    address6: str | None = None         # a second InternalIP (a dual-stack node)
    labels: dict = dataclasses.field(default_factory=dict)
    network_unavailable: bool = False


@dataclasses.dataclass
class Cluster:
    tor_address: str
    my_asn: int
    tor_asn: int
    nodes: list                         # [Node]
    services: dict                      # name -> Service
    pool_addresses: list
    pool_labels: dict
    advert_pool_selector: dict          # matchLabels of the advertisement's pool selector
    hold_time: str = '9s'
    advert_annotations: dict = dataclasses.field(default_factory=dict)
    bfd_profile: dict | None = None     # the spec of BFDProfile BFD_PROFILE, which the BGPPeer then names
    graceful_restart: bool = False      # the BGPPeer's enableGracefulRestart
    tor_address6: str | None = None     # a second BGPPeer, tor6, at this IPv6 address

    def clone(self):
        return copy.deepcopy(self)

    def node(self, name):
        return next(n for n in self.nodes if n.name == name)


def objects(c):
    """{file name: object} for a Cluster."""
    out = {
        'pool-main.json': {
            'apiVersion': 'metallb.io/v1beta1', 'kind': 'IPAddressPool',
            'metadata': {'name': 'main', 'namespace': METALLB_NS, 'labels': dict(c.pool_labels)},
            'spec': {'addresses': list(c.pool_addresses), 'avoidBuggyIPs': True}},
        'peer-tor.json': {
            'apiVersion': 'metallb.io/v1beta2', 'kind': 'BGPPeer',
            'metadata': {'name': 'tor', 'namespace': METALLB_NS},
            'spec': {'myASN': c.my_asn, 'peerASN': c.tor_asn, 'peerAddress': c.tor_address,
                     'holdTime': c.hold_time}},
        'advert-main.json': {
            'apiVersion': 'metallb.io/v1beta1', 'kind': 'BGPAdvertisement',
            'metadata': dict({'name': 'main', 'namespace': METALLB_NS},
                             **({'annotations': dict(c.advert_annotations)} if c.advert_annotations else {})),
            'spec': {'ipAddressPoolSelectors': [{'matchLabels': dict(c.advert_pool_selector)}]}},
    }
    if c.tor_address6:
        out['peer-tor6.json'] = copy.deepcopy(out['peer-tor.json'])
        out['peer-tor6.json']['metadata']['name'] = 'tor6'
        out['peer-tor6.json']['spec']['peerAddress'] = c.tor_address6
    for peer in ('peer-tor.json', 'peer-tor6.json'):
        if c.graceful_restart and peer in out:
            out[peer]['spec']['enableGracefulRestart'] = True
    if c.bfd_profile is not None:
        out['bfd-%s.json' % BFD_PROFILE] = {
            'apiVersion': 'metallb.io/v1beta1', 'kind': 'BFDProfile',
            'metadata': {'name': BFD_PROFILE, 'namespace': METALLB_NS}, 'spec': dict(c.bfd_profile)}
        out['peer-tor.json']['spec']['bfdProfile'] = BFD_PROFILE
    for n in c.nodes:
        out['node-%s.json' % n.name] = {
            'apiVersion': 'v1', 'kind': 'Node',
            'metadata': {'name': n.name, 'labels': dict({'kubernetes.io/hostname': n.name}, **n.labels)},
            'status': {'addresses': [{'type': 'InternalIP', 'address': n.address}] +
                                    ([{'type': 'InternalIP', 'address': n.address6}] if n.address6 else []) +
                                    [{'type': 'Hostname', 'address': n.name}],
                       'conditions': [{'type': 'Ready', 'status': 'True'},
                                      {'type': 'NetworkUnavailable',
                                       'status': 'True' if n.network_unavailable else 'False'}]}}
    for s in c.services.values():
        if not s.service_present:
            continue
        meta = {'name': s.name, 'namespace': s.namespace}
        if s.annotations:
            meta['annotations'] = dict(s.annotations)
        spec = {'type': 'LoadBalancer', 'externalTrafficPolicy': s.policy, 'clusterIP': s.cluster_ip,
                'selector': {'app': s.name}, 'ports': [dict(p, port=80) for p in _ports(s)]}
        if s.affinity_seconds is not None:
            spec['sessionAffinity'] = 'ClientIP'
            spec['sessionAffinityConfig'] = {'clientIP': {'timeoutSeconds': s.affinity_seconds}}
        if s.source_ranges:
            spec['loadBalancerSourceRanges'] = list(s.source_ranges)
        if _family(s) == 'IPv6':
            spec.update(ipFamilies=['IPv6'], ipFamilyPolicy='SingleStack')
        out['svc-%s.json' % s.name] = {'apiVersion': 'v1', 'kind': 'Service', 'metadata': meta, 'spec': spec}
    for s in c.services.values():
        if not s.slice_present:
            continue
        eps = []
        for e in s.endpoints:
            cond = {k: v for k, v in (('ready', e.ready), ('serving', e.serving), ('terminating', e.terminating))
                    if v is not None}
            ep = {'addresses': [e.address], 'nodeName': e.node}
            if cond:
                ep['conditions'] = cond
            eps.append(ep)
        out['eps-%s.json' % s.name] = {
            'apiVersion': 'discovery.k8s.io/v1', 'kind': 'EndpointSlice',
            'metadata': {'name': '%s-abcde' % s.name, 'namespace': s.namespace,
                         'labels': {'kubernetes.io/service-name': s.name}},
            'addressType': _family(s), 'endpoints': eps,
            'ports': [dict(p, port=8080) for p in _ports(s)]}
    return out


def _family(s):
    return 'IPv6' if ':' in s.cluster_ip else 'IPv4'


def _ports(s):
    """The service's named ports without numbers (80 on the Service, 8080 on the slice)."""
    return [{'name': 'http', 'protocol': 'TCP'}] + ([{'name': 'udp', 'protocol': 'UDP'}] if s.udp else [])


class Directory:
    def __init__(self, path):
        self.path = path
        os.makedirs(path, exist_ok=True)
        self.files = {}                 # name -> text as written

    def sync(self, cluster):
        """Make the directory hold exactly `cluster`; returns the names of the files touched."""
        want = {name: json.dumps(obj, indent=2, sort_keys=True) + '\n' for name, obj in objects(cluster).items()}
        touched = []
        for name, text in sorted(want.items()):
            if self.files.get(name) != text:
                tmp = os.path.join(self.path, '.%s.tmp' % name)
                with open(tmp, 'w') as f:
                    f.write(text)
                os.rename(tmp, os.path.join(self.path, name))
                self.files[name] = text
                touched.append(name)
        for name in sorted(set(self.files) - set(want)):
            os.unlink(os.path.join(self.path, name))
            del self.files[name]
            touched.append(name)
        return touched
