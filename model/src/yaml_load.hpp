// Multi-document YAML loading into a small immutable node tree (yaml_tree) that the reader
// walks. libyaml parses; it is several times faster than yaml-cpp, whose node graph
// (shared_ptr per node, regex scanner) dominated cold start. yaml-cpp stays as the
// fallback: when libyaml rejects a file, yaml-cpp parses it again, so a syntax error keeps
// yaml-cpp's wording, line and column, and a file only yaml-cpp accepts still loads.
//
// The yaml-cpp path drives the parser itself with a progress guard: yaml-cpp 0.7's
// YAML::LoadAll loops forever (allocating) on some malformed input, e.g. a stray '}' after
// a flow mapping; the parser yields empty documents without consuming input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace model::detail {

// Every node of every document of one file, in flat arrays. A collection's children are a
// contiguous run of `children_` (maps: key, value, key, value, ...). An alias is the node
// it names, so the graph may hold cycles (an alias inside its own anchor), as yaml-cpp's
// does; walkers only ever go a fixed depth down.
class yaml_tree {
 public:
  using id = std::uint32_t;
  static constexpr id none = UINT32_MAX;  // absent: a key the map does not have
  enum class type : std::uint8_t { null, scalar, sequence, map };

  type type_of(id n) const { return nodes_[n].kind; }
  // yaml-cpp's non-specific "!" tag: quoted and block scalars, or an explicit `!`. Such a
  // scalar is a string even when it reads like a number or a boolean.
  bool quoted(id n) const { return nodes_[n].quoted; }
  std::string_view scalar(id n) const {
    const auto& x = nodes_[n];
    return x.kind == type::scalar ? std::string_view(chars_).substr(x.first, x.count) : std::string_view();
  }
  // Elements of a sequence, pairs of a map, 0 otherwise.
  std::size_t size(id n) const {
    const auto& x = nodes_[n];
    return x.kind == type::sequence || x.kind == type::map ? x.count : 0;
  }
  id element(id seq, std::size_t i) const { return children_[nodes_[seq].first + i]; }
  id key(id map, std::size_t i) const { return children_[nodes_[map].first + 2 * i]; }
  id value(id map, std::size_t i) const { return children_[nodes_[map].first + 2 * i + 1]; }
  // The value of the first scalar key equal to `key` (yaml-cpp's Node::operator[]), or none.
  id find(id map, std::string_view key) const;

  // One root per document; a document with no content has a null root.
  const std::vector<id>& documents() const { return documents_; }

 private:
  friend class tree_builder;
  struct node {
    type kind;
    bool quoted;
    std::uint32_t first;  // scalar: offset into chars_; collection: offset into children_
    std::uint32_t count;  // scalar: length; sequence: elements; map: pairs
  };
  std::vector<node> nodes_;
  std::vector<id> children_;
  std::string chars_;
  std::vector<id> documents_;
};

struct yaml_error {
  std::size_t line = 0;    // 1-based
  std::size_t column = 0;  // 1-based
  std::string message;
};

struct loaded_yaml {
  yaml_tree tree;
  std::optional<yaml_error> error;  // documents before the error are kept
};

// Deeper nesting is refused before parsing (a Kubernetes object, CRD schemas included,
// nests a few dozen levels at most).
inline constexpr std::size_t max_nesting = 256;

// libyaml, then yaml-cpp when libyaml fails (see above).
loaded_yaml load_all(std::string_view text);

// Where a stream may be cut into parts that are parsed one by one into the same documents
// in the same order: the start of a `---` line (a document start marker at
// column 0, which YAML forbids inside any content, quoted and block scalars included, so
// it always opens a document), at most `parts` parts of at least `min_part` bytes. Offsets
// after 0, increasing. None when the stream has a directive line (`%YAML`, `%TAG`: it
// belongs to the document after it) or a byte order mark past its start.
std::vector<std::size_t> document_cuts(std::string_view text, std::size_t parts, std::size_t min_part);

// load_all for a part of a stream (document_cuts) without the yaml-cpp fallback: yaml-cpp
// may accept a part that ends inside a scalar the whole stream has a syntax error in, so
// any error here means the caller reads the whole stream with load_all instead.
loaded_yaml load_part(std::string_view text);

// The two parsers behind load_all, each on its own (for tests comparing them).
loaded_yaml load_all_libyaml(std::string_view text);  // errors in libyaml's words
loaded_yaml load_all_yaml_cpp(std::string_view text);

// Every document as one line of text, down to `depth` levels (aliases may form cycles):
// null `~`, plain scalar `=text`, quoted `'text`, `[a, b]`, `{k: v}`. For tests.
std::string dump(const yaml_tree& tree, int depth = 8);

}  // namespace model::detail
