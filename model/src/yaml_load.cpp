// Builds yaml_tree from parser events: libyaml's (the fast path) or yaml-cpp's (the
// fallback that words syntax errors). Both feed one tree_builder, so the two trees agree
// wherever the two parsers agree on the events.
#include "yaml_load.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>
#include <yaml.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <sstream>
#include <unordered_map>

namespace model::detail {

yaml_tree::id yaml_tree::find(id map, std::string_view key) const {
  const node& m = nodes_[map];
  if (m.kind != type::map) return none;
  for (std::uint32_t i = 0; i < m.count; ++i) {
    const id k = children_[m.first + 2 * i];
    if (nodes_[k].kind == type::scalar && scalar(k) == key) return children_[m.first + 2 * i + 1];
  }
  return none;
}

class tree_builder {
 public:
  using id = yaml_tree::id;
  using type = yaml_tree::type;

  explicit tree_builder(yaml_tree& t) : t_(t) {}

  void begin_document() {
    anchors_.clear();
    depth_ = 0;
    root_ = yaml_tree::none;
  }
  void end_document() { t_.documents_.push_back(root_ != yaml_tree::none ? root_ : make(type::null, false, 0, 0)); }

  void null(std::string_view anchor) { add(make(type::null, false, 0, 0), anchor); }
  void scalar(std::string_view text, bool quoted, std::string_view anchor) {
    const auto offset = static_cast<std::uint32_t>(t_.chars_.size());
    t_.chars_.append(text);
    add(make(type::scalar, quoted, offset, static_cast<std::uint32_t>(text.size())), anchor);
  }
  // False when no node of this document carries the anchor.
  bool alias(std::string_view anchor) {
    const auto it = anchors_.find(std::string(anchor));
    if (it == anchors_.end()) return false;
    add(it->second, {});
    return true;
  }
  // The anchor names the collection from here on, so an alias inside it refers to it.
  void begin(type collection, std::string_view anchor) {
    const id n = make(collection, false, 0, 0);
    add(n, anchor);
    if (depth_ == stack_.size()) stack_.emplace_back();
    stack_[depth_].node = n;
    stack_[depth_].items.clear();
    ++depth_;
  }
  void end() {
    if (depth_ == 0) return;
    frame& f = stack_[--depth_];
    auto& n = t_.nodes_[f.node];
    const std::size_t per_entry = n.kind == type::map ? 2 : 1;
    n.first = static_cast<std::uint32_t>(t_.children_.size());
    n.count = static_cast<std::uint32_t>(f.items.size() / per_entry);
    t_.children_.insert(t_.children_.end(), f.items.begin(), f.items.begin() + n.count * per_entry);
  }

 private:
  struct frame {
    id node = 0;
    std::vector<id> items;
  };

  id make(type ty, bool quoted, std::uint32_t first, std::uint32_t count) {
    t_.nodes_.push_back({ty, quoted, first, count});
    return static_cast<id>(t_.nodes_.size() - 1);
  }
  void add(id n, std::string_view anchor) {
    if (!anchor.empty()) anchors_.insert_or_assign(std::string(anchor), n);
    if (depth_ == 0) {
      root_ = n;
    } else {
      stack_[depth_ - 1].items.push_back(n);
    }
  }

  yaml_tree& t_;
  std::vector<frame> stack_;  // frames above depth_ are kept for their capacity
  std::size_t depth_ = 0;
  std::unordered_map<std::string, id> anchors_;
  id root_ = yaml_tree::none;
};

namespace {

// ---- libyaml ----

struct parser_handle {
  yaml_parser_t parser;
  parser_handle() {
    if (!yaml_parser_initialize(&parser)) throw std::bad_alloc();
  }
  ~parser_handle() { yaml_parser_delete(&parser); }
  parser_handle(const parser_handle&) = delete;
  parser_handle& operator=(const parser_handle&) = delete;
};

struct event_handle {
  yaml_event_t event;
  ~event_handle() { yaml_event_delete(&event); }
};

// Constructs where libyaml and yaml-cpp disagree (found by fuzz_model_yaml_load) are refused by
// the fast path, so that load_all hands them to yaml-cpp.
loaded_yaml refuse(loaded_yaml& out, const yaml_event_t& e, std::string_view what) {
  out.error = yaml_error{e.start_mark.line + 1, e.start_mark.column + 1, "left to yaml-cpp: " + std::string(what)};
  return std::move(out);
}

// Text the fast path leaves to yaml-cpp whole, or "": libyaml breaks lines at a lone CR,
// NEL, LS and PS too, where yaml-cpp keeps them in scalars; the two detect encodings
// differently; yaml-cpp builds odd trees around explicit `?` keys. A '?' followed by a space inside a scalar is caught too, which
// only costs time.
std::string_view needs_yaml_cpp(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (c == '\r' && next != '\n') return "line break other than LF or CRLF";
    if (c == '\xc2' && next == '\x85') return "line break other than LF or CRLF";
    if (c == '\xe2' && next == '\x80' && i + 2 < text.size() && (text[i + 2] == '\xa8' || text[i + 2] == '\xa9')) {
      return "line break other than LF or CRLF";
    }
    // yaml-cpp guesses UTF-16 and UTF-32 from NULs and byte order marks on its own terms.
    if (c == '\0' || c == '\xfe' || c == '\xff' || (c == '\xef' && next == '\xbb')) return "byte order mark or NUL";
    if (c == '?' && (next == '\0' || std::strchr(" \t\r\n,[]{}", next) != nullptr)) return "explicit key";
  }
  return {};
}

// yaml-cpp's IsNullString, applied where yaml-cpp applies it: plain scalars without a tag.
bool null_spelling(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

}  // namespace

loaded_yaml load_all_libyaml(std::string_view text) {
  loaded_yaml out;
  if (const auto why = needs_yaml_cpp(text); !why.empty()) {
    out.error = yaml_error{0, 0, "left to yaml-cpp: " + std::string(why)};
    return out;
  }
  parser_handle p;
  static const unsigned char empty[] = "";
  yaml_parser_set_input_string(&p.parser, text.empty() ? empty : reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  tree_builder b(out.tree);
  while (true) {
    event_handle e;
    if (!yaml_parser_parse(&p.parser, &e.event)) {
      e.event.type = YAML_NO_EVENT;  // nothing to delete
      out.error = yaml_error{p.parser.problem_mark.line + 1, p.parser.problem_mark.column + 1,
                             p.parser.problem ? p.parser.problem : "invalid YAML"};
      return out;
    }
    switch (e.event.type) {
      case YAML_STREAM_END_EVENT: return out;
      case YAML_DOCUMENT_START_EVENT: b.begin_document(); break;
      case YAML_DOCUMENT_END_EVENT: b.end_document(); break;
      // libyaml ends an anchor name at ':' and other punctuation, yaml-cpp only at a space.
      case YAML_ALIAS_EVENT: return refuse(out, e.event, "alias");
      case YAML_SCALAR_EVENT: {
        const auto& s = e.event.data.scalar;
        if (s.tag != nullptr) return refuse(out, e.event, "tag");
        if (s.anchor != nullptr) return refuse(out, e.event, "anchor");
        // yaml-cpp folds line breaks differently at the end of input or before a closing
        // quote: a scalar is read by the fast path only when it is on one line.
        if (s.style == YAML_LITERAL_SCALAR_STYLE || s.style == YAML_FOLDED_SCALAR_STYLE) {
          return refuse(out, e.event, "block scalar");
        }
        if (e.event.start_mark.line != e.event.end_mark.line) return refuse(out, e.event, "multi-line scalar");
        const std::string_view value(reinterpret_cast<const char*>(s.value), s.length);
        const bool plain = s.style == YAML_PLAIN_SCALAR_STYLE;
        if (plain && null_spelling(value)) {
          b.null({});
        } else {
          b.scalar(value, !plain, {});
        }
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
        if (e.event.data.sequence_start.tag != nullptr) return refuse(out, e.event, "tag");
        if (e.event.data.sequence_start.anchor != nullptr) return refuse(out, e.event, "anchor");
        b.begin(yaml_tree::type::sequence, {});
        break;
      case YAML_MAPPING_START_EVENT:
        if (e.event.data.mapping_start.tag != nullptr) return refuse(out, e.event, "tag");
        if (e.event.data.mapping_start.anchor != nullptr) return refuse(out, e.event, "anchor");
        b.begin(yaml_tree::type::map, {});
        break;
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: b.end(); break;
      default: break;
    }
  }
}

// ---- yaml-cpp ----

namespace {

// yaml-cpp 0.7 turns the escapes `\N` (U+0085) and `\_` (U+00A0) into the lone bytes 0x85
// and 0xA0 instead of their UTF-8 encodings, which libyaml and the YAML spec give. A lone
// 0x85 or 0xA0 that no lead byte owns is re-encoded here, so both parsers give one value. (A
// raw, invalid 0x85 or 0xA0 in a quoted scalar, which libyaml refuses, becomes U+0085 or U+00A0 too.)
std::string utf8_for_lone_escapes(std::string s) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto continuation = [&](std::size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char b = byte(i);
    std::size_t len = 0;
    if (b < 0x80) {
      len = 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
    }
    bool valid = len > 0;
    for (std::size_t k = 1; valid && k < len; ++k) valid = continuation(i + k);
    if (valid) {
      i += len;
    } else if (b == 0x85 || b == 0xA0) {
      s.insert(i, 1, '\xc2');
      i += 2;
    } else {
      ++i;
    }
  }
  return s;
}

class yaml_cpp_handler final : public YAML::EventHandler {
 public:
  explicit yaml_cpp_handler(tree_builder& b) : b_(b) {}

  void start() {
    b_.begin_document();
    furthest_.reset();
  }
  const std::optional<YAML::Mark>& furthest() const { return furthest_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t anchor) override {
    seen(m);
    b_.null(name(anchor));
  }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t anchor) override {
    seen(m);
    if (!b_.alias(name(anchor))) b_.null({});  // yaml-cpp's parser refuses unknown anchors first
  }
  void OnScalar(const YAML::Mark& m, const std::string& tag, YAML::anchor_t anchor, const std::string& value) override {
    seen(m);
    if (tag == "!") {
      b_.scalar(utf8_for_lone_escapes(value), true, name(anchor));
    } else {
      b_.scalar(value, false, name(anchor));
    }
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    seen(m);
    b_.begin(yaml_tree::type::sequence, name(anchor));
  }
  void OnSequenceEnd() override { b_.end(); }
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    seen(m);
    b_.begin(yaml_tree::type::map, name(anchor));
  }
  void OnMapEnd() override { b_.end(); }

 private:
  // yaml-cpp numbers anchors; the builder keys them by name.
  static std::string name(YAML::anchor_t anchor) { return anchor == YAML::NullAnchor ? std::string() : std::to_string(anchor); }
  void seen(const YAML::Mark& m) {
    if (!furthest_ || m.pos > furthest_->pos) furthest_ = m;
  }

  tree_builder& b_;
  std::optional<YAML::Mark> furthest_;
};

}  // namespace

loaded_yaml load_all_yaml_cpp(std::string_view text) {
  loaded_yaml out;
  std::istringstream in{std::string(text)};
  tree_builder b(out.tree);
  yaml_cpp_handler h(b);
  std::optional<int> previous;
  try {
    YAML::Parser parser(in);
    while (true) {
      h.start();
      if (!parser.HandleNextDocument(h)) break;
      const auto& f = h.furthest();
      if (f && previous && f->pos <= *previous) {
        out.error = yaml_error{static_cast<std::size_t>(f->line) + 1, static_cast<std::size_t>(f->column) + 1,
                               "unexpected content after the end of a document"};
        break;
      }
      if (f) previous = f->pos;
      b.end_document();
    }
  } catch (const YAML::Exception& e) {
    out.error = yaml_error{static_cast<std::size_t>(e.mark.line) + 1, static_cast<std::size_t>(e.mark.column) + 1, e.msg};
  }
  return out;
}

namespace {

void dump_node(std::string& out, const yaml_tree& t, yaml_tree::id n, int depth) {
  if (depth == 0) {
    out += "...";
    return;
  }
  switch (t.type_of(n)) {
    case yaml_tree::type::null: out += '~'; break;
    case yaml_tree::type::scalar:
      out += t.quoted(n) ? '\'' : '=';
      for (const char c : t.scalar(n)) {
        if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f && c != '\\') {
          out += c;
        } else {
          static constexpr char hex[] = "0123456789abcdef";
          out += "\\x";
          out += hex[static_cast<unsigned char>(c) >> 4];
          out += hex[c & 0xf];
        }
      }
      break;
    case yaml_tree::type::sequence:
      out += '[';
      for (std::size_t i = 0; i < t.size(n); ++i) {
        if (i > 0) out += ", ";
        dump_node(out, t, t.element(n, i), depth - 1);
      }
      out += ']';
      break;
    case yaml_tree::type::map:
      out += '{';
      for (std::size_t i = 0; i < t.size(n); ++i) {
        if (i > 0) out += ", ";
        dump_node(out, t, t.key(n, i), depth - 1);
        out += ": ";
        dump_node(out, t, t.value(n, i), depth - 1);
      }
      out += '}';
      break;
  }
}

}  // namespace

std::string dump(const yaml_tree& tree, int depth) {
  std::string out;
  for (const auto d : tree.documents()) {
    dump_node(out, tree, d, depth);
    out += '\n';
  }
  return out;
}

namespace {

// How deep `text` nests, measured before any parser sees it: flow collections ('[', '{'
// outside quoted scalars and comments) and block levels (each deeper indentation on the
// way down, and each "- " or "? " that opens a collection on the same line). An estimate,
// enough to stop pathological input; the position where `limit` is passed.
std::optional<yaml_error> deeper_than(std::string_view text, std::size_t limit) {
  std::vector<std::size_t> indents;  // block levels open on the way to this line
  std::size_t flow = 0, line = 1, column = 1;
  char quote = 0;
  bool line_start = true, comment = false;
  std::size_t indent = 0, inline_levels = 0;
  for (std::size_t i = 0; i < text.size(); ++i, ++column) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      column = 0;
      line_start = true;
      comment = false;
      indent = inline_levels = 0;
      continue;
    }
    if (comment) continue;
    if (quote) {
      if (c == '\\' && quote == '"') ++i, ++column;
      else if (c == quote) quote = 0;
      continue;
    }
    if (line_start) {
      if (c == ' ') {
        ++indent;
        continue;
      }
      const char next = i + 1 < text.size() ? text[i + 1] : '\n';
      if ((c == '-' || c == '?') && (next == ' ' || next == '\n')) {
        ++inline_levels;
        ++indent;
        if (indents.size() + inline_levels + flow > limit) break;
        continue;
      }
      line_start = false;
      if (flow == 0 && c != '#') {
        while (!indents.empty() && indents.back() >= indent) indents.pop_back();
        indents.push_back(indent);
      }
    }
    if (c == '#' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t')) {
      comment = true;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[' || c == '{') {
      ++flow;
    } else if ((c == ']' || c == '}') && flow > 0) {
      --flow;
    }
    if (indents.size() + inline_levels + flow > limit) break;
  }
  if (indents.size() + inline_levels + flow <= limit) return std::nullopt;
  return yaml_error{line, column, "nesting deeper than " + std::to_string(limit) + " levels"};
}

// libyaml takes seconds on tens of thousands of nested '[' and yaml-cpp recurses once a
// level: nesting no manifest needs is refused before either parser starts.
std::optional<loaded_yaml> refused_as_too_deep(std::string_view text) {
  auto deep = deeper_than(text, max_nesting);
  if (!deep) return std::nullopt;
  loaded_yaml out;
  out.error = std::move(deep);
  return out;
}

}  // namespace

loaded_yaml load_all(std::string_view text) {
  if (auto refused = refused_as_too_deep(text)) return std::move(*refused);
  auto fast = load_all_libyaml(text);
  if (!fast.error) return fast;
  return load_all_yaml_cpp(text);
}

loaded_yaml load_part(std::string_view text) {
  if (auto refused = refused_as_too_deep(text)) return std::move(*refused);
  return load_all_libyaml(text);
}

std::vector<std::size_t> document_cuts(std::string_view text, std::size_t parts, std::size_t min_part) {
  std::vector<std::size_t> cuts;
  min_part = std::max<std::size_t>(min_part, 1);
  if (parts < 2 || text.size() < 2 * min_part) return cuts;
  if (text.starts_with('%') || text.find("\n%") != std::string_view::npos) return cuts;
  if (text.find("\xEF\xBB\xBF", 1) != std::string_view::npos) return cuts;
  parts = std::min(parts, text.size() / min_part);
  const auto marker_at = [&](std::size_t i) {
    // "---" then a blank or the end: a document start marker (not "----", not "---x").
    if (text.compare(i, 3, "---") != 0) return false;
    return i + 3 == text.size() || text[i + 3] == ' ' || text[i + 3] == '\t' || text[i + 3] == '\n' ||
           text[i + 3] == '\r';
  };
  std::size_t from = 0;
  for (std::size_t k = 1; k < parts; ++k) {
    // The first line start at or after the target, then line by line to a marker.
    std::size_t at = std::max(text.size() / parts * k, from + min_part);
    std::size_t nl = at - 1;  // at >= min_part >= 1
    bool found = false;
    while ((nl = text.find('\n', nl)) != std::string_view::npos) {
      at = nl + 1;
      if (at < text.size() && marker_at(at)) {
        found = true;
        break;
      }
      nl = at;
    }
    if (!found || text.size() - at < min_part / 2) break;
    cuts.push_back(at);
    from = at;
  }
  return cuts;
}

}  // namespace model::detail
