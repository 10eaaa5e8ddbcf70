// A yaml-cpp event handler that builds YAML::Node trees (what yaml-cpp's private
// NodeBuilder does) and remembers how far into the input each document got.
#include "yaml_load.hpp"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <map>
#include <sstream>

namespace model::detail {

namespace {

class builder final : public YAML::EventHandler {
 public:
  // YAML::Node::operator= rebinds the shared node it refers to, which would rewrite
  // documents already handed out: nodes here are only ever copy-constructed.
  void start() {
    root_.reset();
    stack_.clear();
    anchors_.clear();
    furthest_.reset();
  }
  YAML::Node root() const { return root_ ? *root_ : YAML::Node(YAML::NodeType::Null); }
  const std::optional<YAML::Mark>& furthest() const { return furthest_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t anchor) override { add(YAML::Node(YAML::NodeType::Null), anchor, m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    add(it != anchors_.end() ? it->second : YAML::Node(YAML::NodeType::Null), 0, m);
  }
  void OnScalar(const YAML::Mark& m, const std::string& tag, YAML::anchor_t anchor, const std::string& value) override {
    YAML::Node n(value);
    n.SetTag(tag);
    add(n, anchor, m);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string& tag, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    open(YAML::NodeType::Sequence, m, tag, anchor);
  }
  void OnSequenceEnd() override { stack_.pop_back(); }
  void OnMapStart(const YAML::Mark& m, const std::string& tag, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    open(YAML::NodeType::Map, m, tag, anchor);
  }
  void OnMapEnd() override { stack_.pop_back(); }

 private:
  struct frame {
    YAML::Node node;
    std::optional<YAML::Node> key;  // maps: the key waiting for its value
  };

  void open(YAML::NodeType::value type, const YAML::Mark& m, const std::string& tag, YAML::anchor_t anchor) {
    YAML::Node n(type);
    n.SetTag(tag);
    add(n, anchor, m);
    stack_.push_back({n, std::nullopt});
  }

  void add(const YAML::Node& n, YAML::anchor_t anchor, const YAML::Mark& m) {
    if (!furthest_ || m.pos > furthest_->pos) furthest_ = m;
    if (anchor != 0) {
      anchors_.erase(anchor);
      anchors_.emplace(anchor, n);
    }
    if (stack_.empty()) {
      root_.emplace(n);
      return;
    }
    frame& top = stack_.back();
    if (top.node.IsSequence()) {
      top.node.push_back(n);
    } else if (!top.key) {
      top.key.emplace(n);
    } else {
      top.node.force_insert(*top.key, n);
      top.key.reset();
    }
  }

  std::optional<YAML::Node> root_;
  std::vector<frame> stack_;
  std::map<YAML::anchor_t, YAML::Node> anchors_;
  std::optional<YAML::Mark> furthest_;
};

}  // namespace

loaded_yaml load_all(std::string_view text) {
  loaded_yaml out;
  std::istringstream in{std::string(text)};
  builder b;
  std::optional<int> previous;
  try {
    YAML::Parser parser(in);
    while (true) {
      b.start();
      if (!parser.HandleNextDocument(b)) break;
      const auto& f = b.furthest();
      if (f && previous && f->pos <= *previous) {
        out.error = yaml_error{static_cast<std::size_t>(f->line) + 1, static_cast<std::size_t>(f->column) + 1,
                               "unexpected content after the end of a document"};
        break;
      }
      if (f) previous = f->pos;
      out.documents.push_back(b.root());
    }
  } catch (const YAML::Exception& e) {
    out.error = yaml_error{static_cast<std::size_t>(e.mark.line) + 1, static_cast<std::size_t>(e.mark.column) + 1, e.msg};
  }
  return out;
}

}  // namespace model::detail
