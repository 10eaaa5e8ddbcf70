// Rules that span objects, checked on a whole snapshot as MetalLB checks its whole config:
// overlapping pools, undefined community aliases, aggregation length vs the pool's
// prefixes, conflicting LOCAL_PREF, duplicate advertisements, duplicate BGPPeers (same
// address or interface and VRF), missing BFD profiles and password secrets. Each error
// is blamed on one object, so a datastore can refuse exactly that object's file: of two
// conflicting objects, the one a datastore is admitting anew when the other is in force,
// else the later one in namespace/name order.
#pragma once

#include <functional>
#include <vector>

#include "model/error.hpp"
#include "model/snapshot.hpp"

namespace model {

// Whether an object is new: added or changed since the state a datastore has in force.
// Given, a rule two objects break together is blamed on the new one when the other is in
// force (whatever their name order), and the message says the other stays in force: the
// change that introduced a conflict is the one refused. Unset: nothing is new.
using newcomer = std::function<bool(const object_key&)>;

// s.conflicts() followed by check_rules(s).
std::vector<error> validate(const snapshot& s, const newcomer& is_new = {});

// The cross-object rules alone. They read only the kinds for which read_by_rules() is
// true, so a datastore whose change touches no such kind may reuse the previous result.
std::vector<error> check_rules(const snapshot& s, const newcomer& is_new = {});
bool read_by_rules(kind k);

// What MetalLB or Calico accepts but bgplb does not act on, or is most likely a mistake,
// in the same format; nothing is refused for it: a BGPAdvertisement naming an
// IPAddressPool or a BGPPeer that does not exist (MetalLB setBGPAdvertisementsToPools and
// validateConfig skip unknown names); Calico BGPPeer and Node fields bgplb ignores, and a
// node-to-node mesh it does not make.
std::vector<error> warnings(const snapshot& s);

}  // namespace model
