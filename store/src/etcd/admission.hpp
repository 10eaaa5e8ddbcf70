// Admission against the cross-object rules, as the file datastore admits files: units
// (an etcd key holding one object, or a manifest file bgplbctl applies) are admitted or
// refused whole, a unit being refused when it adds an error (model::check_rules) that the
// state in force does not have. Errors are blamed by their file, which is the unit's name.
//
// Round 1 tries every unit together and sets aside the units blamed for new errors (all
// of them when the blame lands on the state in force); round 2 tries each set-aside unit
// alone on what was admitted, in name order, and refuses it with exactly the errors it
// causes ("refused: admitting this ... breaks a rule elsewhere: ..." when they land on
// other objects). Removals are always admitted.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "model/error.hpp"
#include "model/snapshot.hpp"

namespace store::etcd {

using object_edits = std::map<model::object_key, model::object_ptr>;  // null: removed

struct admission {
  object_edits edits;  // the removals and every admitted unit's objects
  std::map<std::string, std::vector<model::error>> refused;
};

// `what` names a unit in the "elsewhere" message: "object" or "file".
admission admit(const model::snapshot& in_force, const object_edits& removals,
                std::map<std::string, std::vector<model::object_ptr>> units, std::string_view what);

// The errors as printed, to tell which ones a candidate state adds.
std::set<std::string> error_texts(const std::vector<model::error>& errors);

// model::check_rules of `in_force` with the edits applied.
std::vector<model::error> rules_under(const model::snapshot& in_force, const object_edits& edits);

}  // namespace store::etcd
