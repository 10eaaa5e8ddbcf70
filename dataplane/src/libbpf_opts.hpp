// libbpf's option structs from C++: zeroed, with their size set. (LIBBPF_OPTS is made of
// C compound literals and statement expressions, which -Wpedantic rejects in C++.)
#pragma once

namespace dataplane::detail {

template <class T>
T libbpf_opts() {
  T o{};
  o.sz = sizeof(T);
  return o;
}

}  // namespace dataplane::detail
