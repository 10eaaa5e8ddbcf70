// Calico selector expressions (see calico_selector.hpp): a recursive-descent parser with
// Calico's precedence (`||` below `&&` below a possibly negated operation) into an
// immutable tree, and its evaluation over a label map.
#include "model/calico_selector.hpp"

#include <algorithm>
#include <vector>

namespace model {

struct calico_selector::node {
  enum class op { all, has, eq, ne, in, not_in, contains, starts_with, ends_with, negate, all_of, any_of };
  op what = op::all;
  std::string label;
  std::vector<std::string> values;  // one for the comparisons, the set for in / not in
  std::vector<std::shared_ptr<const node>> operands;

  bool eval(const label_map& labels) const {
    const auto it = labels.find(label);
    const bool has = it != labels.end();
    const auto listed = [&] { return std::find(values.begin(), values.end(), it->second) != values.end(); };
    switch (what) {
      case op::all: return true;
      case op::has: return has;
      case op::eq: return has && it->second == values[0];
      case op::ne: return !has || it->second != values[0];
      case op::in: return has && listed();
      case op::not_in: return !has || !listed();
      case op::contains: return has && it->second.find(values[0]) != std::string::npos;
      case op::starts_with: return has && it->second.starts_with(values[0]);
      case op::ends_with: return has && it->second.ends_with(values[0]);
      case op::negate: return !operands[0]->eval(labels);
      case op::all_of:
        return std::all_of(operands.begin(), operands.end(), [&](const auto& o) { return o->eval(labels); });
      case op::any_of:
        return std::any_of(operands.begin(), operands.end(), [&](const auto& o) { return o->eval(labels); });
    }
    return false;
  }
};

namespace {

using node = calico_selector::node;
using node_ptr = std::shared_ptr<const node>;

bool label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '/' || c == '-';
}

class parser {
 public:
  explicit parser(std::string_view text) : text_(text) {}

  node_ptr root() {
    skip();
    if (pos_ == text_.size()) return std::make_shared<const node>();
    auto n = any_of();
    skip();
    if (n && pos_ != text_.size()) return fail("unexpected \"" + std::string(text_.substr(pos_, 1)) + "\"");
    return n;
  }
  const std::string& error() const { return error_; }

 private:
  // `||` binds loosest, then `&&`, then a possibly negated operation.
  node_ptr any_of() { return chain("||", node::op::any_of, &parser::all_of); }
  node_ptr all_of() { return chain("&&", node::op::all_of, &parser::operation); }

  // part (token part)*, one node when there is one part.
  node_ptr chain(std::string_view token, node::op what, node_ptr (parser::*part)()) {
    std::vector<node_ptr> parts;
    do {
      auto n = (this->*part)();
      if (!n) return nullptr;
      parts.push_back(std::move(n));
    } while (take(token));
    if (parts.size() == 1) return std::move(parts[0]);
    auto n = std::make_shared<node>();
    n->what = what;
    n->operands = std::move(parts);
    return n;
  }

  // A possibly negated has(), all(), global(), comparison or parenthesised expression.
  node_ptr operation() {
    bool negated = false;
    while (peek_is('!') && !next_is("!=")) {
      ++pos_;
      negated = !negated;
    }
    auto n = operand();
    if (!n || !negated) return n;
    auto neg = std::make_shared<node>();
    neg->what = node::op::negate;
    neg->operands.push_back(std::move(n));
    return neg;
  }

  node_ptr operand() {
    skip();
    if (take("(")) {
      auto n = any_of();
      if (!n) return nullptr;
      if (!take(")")) return fail("expected )");
      return n;
    }
    const std::size_t start = pos_;
    const std::string word = label();
    if (word.empty()) return fail(pos_ == text_.size() ? "unexpected end of selector" : "expected a label, has(), all() or (");
    if ((word == "all" || word == "global") && take("(")) {
      if (!take(")")) return fail("expected )");
      return std::make_shared<const node>();  // global() selects every node, as all() does
    }
    if (word == "has" && take("(")) {
      auto n = std::make_shared<node>();
      n->what = node::op::has;
      n->label = label();
      if (n->label.empty()) return fail("expected a label name in has()");
      if (!take(")")) return fail("expected )");
      return n;
    }
    auto n = std::make_shared<node>();
    n->label = word;
    if (take("==")) n->what = node::op::eq;
    else if (take("!=")) n->what = node::op::ne;
    else if (keyword("in")) n->what = node::op::in;
    else if (keyword("not") && keyword("in")) n->what = node::op::not_in;
    else if (keyword("contains")) n->what = node::op::contains;
    else if (keyword("starts") && keyword("with")) n->what = node::op::starts_with;
    else if (keyword("ends") && keyword("with")) n->what = node::op::ends_with;
    else {
      pos_ = start + word.size();
      return fail("expected ==, !=, in, not in, contains, starts with or ends with after \"" + word + "\"");
    }
    if (n->what == node::op::in || n->what == node::op::not_in) {
      if (!take("{")) return fail("expected { after in");
      if (!take("}")) {
        do {
          auto v = literal();
          if (!v) return nullptr;
          n->values.push_back(std::move(*v));
        } while (take(","));
        if (!take("}")) return fail("expected } or ,");
      }
      return n;
    }
    auto v = literal();
    if (!v) return nullptr;
    n->values.push_back(std::move(*v));
    return n;
  }

  std::optional<std::string> literal() {
    skip();
    if (pos_ == text_.size() || (text_[pos_] != '"' && text_[pos_] != '\'')) {
      fail("expected a quoted string");
      return std::nullopt;
    }
    const char quote = text_[pos_];
    const auto end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) {
      fail("unterminated string");
      return std::nullopt;
    }
    std::string v(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return v;
  }

  std::string label() {
    skip();
    const std::size_t start = pos_;
    while (pos_ < text_.size() && label_char(text_[pos_])) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  // A whole word: "in" does not match the start of "inside".
  bool keyword(std::string_view w) {
    skip();
    if (!text_.substr(pos_).starts_with(w)) return false;
    if (pos_ + w.size() < text_.size() && label_char(text_[pos_ + w.size()])) return false;
    pos_ += w.size();
    return true;
  }

  bool take(std::string_view token) {
    skip();
    if (!text_.substr(pos_).starts_with(token)) return false;
    pos_ += token.size();
    return true;
  }
  bool peek_is(char c) {
    skip();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  bool next_is(std::string_view s) const { return text_.substr(pos_).starts_with(s); }
  void skip() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n')) ++pos_;
  }
  node_ptr fail(std::string why) {
    if (error_.empty()) error_ = why + " at offset " + std::to_string(pos_);
    return nullptr;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::string error_;
};

}  // namespace

calico_selector::calico_selector() : root_(std::make_shared<const node>()) {}

calico_selector::parsed calico_selector::parse(std::string_view text) {
  parser p(text);
  auto root = p.root();
  if (!root) return {std::nullopt, p.error()};
  calico_selector s;
  s.text_ = std::string(text);
  s.root_ = std::move(root);
  return {std::move(s), ""};
}

bool calico_selector::matches(const label_map& labels) const { return root_->eval(labels); }

}  // namespace model
