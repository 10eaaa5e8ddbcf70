"""A Kubernetes API server fixture for tests: the documented REST behaviour of
kube-apiserver (discovery, list/watch with resourceVersion semantics, CRDs, patches, status
subresources, RBAC-like authorization) over HTTPS, with a test-control port. See
test/kube/README.md."""
