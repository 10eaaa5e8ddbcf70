// The speaker e2e bench's manifests (test/bench/speaker_e2e/run.py writes the same text):
// a pool, a peer, an advertisement and a node, N Local LoadBalancer Services, and one
// EndpointSlice per Service with one endpoint on n1. Shared by the decode and store benches.
#pragma once

#include <cstdio>
#include <string>

namespace bench {

inline std::string bgp_yaml() {
  return "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: bench, namespace: metallb-system}\n"
         "spec: {addresses: [10.200.0.0/16]}\n---\n"
         "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: rcv, namespace: metallb-system}\n"
         "spec: {myASN: 64512, peerASN: 64500, peerAddress: 10.0.0.2, holdTime: 90s}\n---\n"
         "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: all, namespace: metallb-system}\n"
         "spec: {}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\n";
}

inline std::string service_doc(int i) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "apiVersion: v1\nkind: Service\nmetadata: {name: s%d, namespace: bench}\n"
                "spec: {type: LoadBalancer, externalTrafficPolicy: Local, clusterIP: 10.96.%d.%d, "
                "ports: [{port: 80}]}\n---\n",
                i, (i >> 8) & 255, i & 255);
  return buf;
}

inline std::string slice_doc(int i, bool ready) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s%d-a, namespace: bench, "
                "labels: {kubernetes.io/service-name: s%d}}\naddressType: IPv4\nendpoints: [{addresses: "
                "[10.244.%d.%d], nodeName: n1, conditions: {ready: %s}}]\n---\n",
                i, i, (i >> 8) & 255, i & 255, ready ? "true" : "false");
  return buf;
}

// Services s0 … s(n-1).
inline std::string services_yaml(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += service_doc(i);
  return out;
}

// Ready slices for services first … last.
inline std::string slices_yaml(int first, int last) {
  std::string out;
  for (int i = first; i <= last; ++i) out += slice_doc(i, true);
  return out;
}

}  // namespace bench
