// The API server's JSON as the datastore keeps it: list responses, watch events and
// Status errors, parsed with Boost.JSON. An object is kept as the JSON text that
// model::decode reads (it takes JSON as YAML), with kind and apiVersion set (list items of
// built-in kinds omit them) and without the fields that change on every write and that no
// decoder reads (managedFields, resourceVersion, ...): an object whose relevant fields did
// not change keeps the same text and is not decoded again. Pure: no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "resources.hpp"

namespace store::kubernetes {

struct object_text {
  std::string file;  // object_file(): the object's name in errors
  std::string text;  // JSON for model::decode
  std::string resource_version;
  std::string ns;
  std::string name;
  std::string uid;
};

// An object from a list or a watch event, read with `version` of the resource. nullopt,
// with the reason in `why`, when it has no metadata.name.
std::optional<object_text> keep_object(const resource& r, std::string_view version, boost::json::object item,
                                       std::string& why);

// A metav1.Status (the body of every error response, and of a watch ERROR event).
struct api_status {
  int code = 0;         // HTTP status code
  std::string reason;   // "Expired", "Forbidden", "NotFound", "Conflict", ...
  std::string message;  // the API server's sentence
  friend bool operator==(const api_status&, const api_status&) = default;
};
// The Status in an error response's body; when the body is not one, the HTTP code and
// the start of the body.
api_status parse_status(int http_code, std::string_view body);
// "403 Forbidden: services is forbidden: User ... cannot list ...".
std::string describe(const api_status& s);

struct list_page {
  std::vector<object_text> items;
  std::string resource_version;  // of the collection at the time of the (first) page
  std::string continue_token;    // empty on the last page
};
// A LIST response body; nullopt with the reason when it is not a list.
std::optional<list_page> parse_list(const resource& r, std::string_view version, std::string_view body,
                                    std::string& why);

struct watch_event {
  enum class type : std::uint8_t { added, modified, deleted, bookmark, error };
  type what = type::added;
  std::optional<object_text> object;  // added, modified, deleted
  std::string resource_version;       // the object's, or the bookmark's
  api_status status;                  // error
};
// One line of a watch stream; nullopt with the reason when it is not a watch event.
std::optional<watch_event> parse_watch_event(const resource& r, std::string_view version, std::string_view line,
                                             std::string& why);

}  // namespace store::kubernetes
