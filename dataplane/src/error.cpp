// error helpers.
#include "dataplane/error.hpp"

#include <cstring>

namespace dataplane {

error system_error(std::string what, int code) {
  return error{std::move(what) + ": " + std::strerror(code), code};
}

}  // namespace dataplane
