// Rules that span objects, checked on a whole snapshot as MetalLB checks its whole config:
// overlapping pools, undefined community aliases, aggregation length vs the pool's
// prefixes, conflicting LOCAL_PREF, duplicate advertisements, duplicate BGPPeers (same
// address or interface and VRF), missing BFD profiles and password secrets. Each error is blamed on one object (the later one in name order when
// two objects conflict), so a datastore can refuse exactly that object's file.
#pragma once

#include <vector>

#include "model/error.hpp"
#include "model/snapshot.hpp"

namespace model {

// s.conflicts() followed by check_rules(s).
std::vector<error> validate(const snapshot& s);

// The cross-object rules alone. They read only the kinds for which read_by_rules() is
// true, so a datastore whose change touches no such kind may reuse the previous result.
std::vector<error> check_rules(const snapshot& s);
bool read_by_rules(kind k);

// What MetalLB accepts but is most likely a mistake, in the same format; nothing is
// refused for it: a BGPAdvertisement naming an IPAddressPool or a BGPPeer that does not
// exist (MetalLB setBGPAdvertisementsToPools and validateConfig skip unknown names).
std::vector<error> warnings(const snapshot& s);

}  // namespace model
