// model::basic_table<K, T, KeyOf>: the immutable sorted map behind each kind of a
// snapshot. A B+tree whose nodes are never changed once built and are shared between
// versions: the next version after k edits copies only the O(k · log n) nodes on the
// edited paths, and every object stays where it is (entries hold std::shared_ptr<const
// T>). Iteration is in key order and yields (key, const T&) pairs, as a std::map<K, T>
// would.
//
// Keys are stored beside the values (KeyOf = void), or, with a KeyOf that has `static K
// of(const T&)`, read from the value itself: K is then a view into the object (say its
// namespace and name as string_views), the table holds no copy of it, and iteration yields
// it by value. An object a node holds outlives every view read from it, so a view is good
// for as long as the table (or the iterator's table) that yielded it lives.
#pragma once

#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace model {

template <class K, class T, class KeyOf = void>
class basic_table {
  static constexpr bool derived = !std::is_void_v<KeyOf>;  // keys read from the values

 public:
  using key_type = K;
  using mapped_type = T;
  using pointer = std::shared_ptr<const T>;
  using key_reference = std::conditional_t<derived, K, const K&>;
  using value_type = std::pair<key_reference, const T&>;
  // A set (non-null) or an erasure (null), keyed; a batch is sorted by key, keys unique.
  // With KeyOf, a set's key is KeyOf::of(its value), and an erasure's key need only live
  // until apply() returns.
  using edit = std::pair<K, pointer>;

 private:
  static constexpr std::size_t max_fill = 32;          // entries of a leaf, children of an inner node
  static constexpr std::size_t min_fill = max_fill / 4;  // below this, a rebuilt node joins a neighbour
  static constexpr int max_depth = 16;

  struct node;
  using node_ptr = std::shared_ptr<const node>;
  struct node {
    std::vector<K> keys;             // without KeyOf: leaf, the entries' keys; inner, each child's first key
    std::vector<const T*> firsts;    // with KeyOf, inner only: each child's first value (its key)
    std::vector<pointer> values;     // leaf only
    std::vector<node_ptr> children;  // inner only
    std::size_t count = 0;           // entries below
    bool leaf() const { return children.empty(); }
    std::size_t fill() const { return leaf() ? values.size() : children.size(); }
  };

  static key_reference leaf_key(const node& n, std::size_t i) {
    if constexpr (derived) return KeyOf::of(*n.values[i]);
    else return n.keys[i];
  }
  static key_reference inner_key(const node& n, std::size_t i) {
    if constexpr (derived) return KeyOf::of(*n.firsts[i]);
    else return n.keys[i];
  }
  static key_reference node_key(const node& n, std::size_t i) { return n.leaf() ? leaf_key(n, i) : inner_key(n, i); }
  // The first index in [0, fill) whose key is greater than k (upper) or not less (lower).
  static std::size_t upper(const node& n, const K& k) {
    std::size_t lo = 0, hi = n.fill();
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (k < node_key(n, mid)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
  static std::size_t lower(const node& n, const K& k) {
    std::size_t lo = 0, hi = n.fill();
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (node_key(n, mid) < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

 public:
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = basic_table::value_type;
    using difference_type = std::ptrdiff_t;
    using reference = value_type;
    struct arrow {
      value_type v;
      const value_type* operator->() const { return &v; }
    };
    using pointer = arrow;

    const_iterator() = default;
    value_type operator*() const {
      const auto& [n, i] = stack_[depth_ - 1];
      return {leaf_key(*n, i), *n->values[i]};
    }
    arrow operator->() const { return {**this}; }
    const_iterator& operator++() {
      ++stack_[depth_ - 1].second;
      if (stack_[depth_ - 1].second < stack_[depth_ - 1].first->values.size()) return *this;
      --depth_;
      while (depth_ > 0) {
        auto& [n, i] = stack_[depth_ - 1];
        if (++i < n->children.size()) {
          descend_first(n->children[i].get());
          return *this;
        }
        --depth_;
      }
      return *this;
    }
    const_iterator operator++(int) {
      auto old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      if (a.depth_ == 0 || b.depth_ == 0) return a.depth_ == b.depth_;
      return a.stack_[a.depth_ - 1] == b.stack_[b.depth_ - 1];
    }
    // The shared object this iterator points at.
    const std::shared_ptr<const T>& share() const { return stack_[depth_ - 1].first->values[stack_[depth_ - 1].second]; }

   private:
    friend class basic_table;
    void push(const node* n, std::size_t i) {
      assert(depth_ < max_depth);
      stack_[depth_++] = {n, i};
    }
    void descend_first(const node* n) {
      while (true) {
        push(n, 0);
        if (n->leaf()) return;
        n = n->children[0].get();
      }
    }
    std::array<std::pair<const node*, std::size_t>, max_depth> stack_{};
    int depth_ = 0;
  };
  using iterator = const_iterator;

  basic_table() = default;

  // From entries sorted by key with unique keys and non-null values.
  static basic_table from_sorted(std::vector<edit> entries) {
    std::vector<node_ptr> level;
    emit_leaves(entries, level);
    return basic_table(root_of(std::move(level)));
  }

  // This table with the edits applied; untouched nodes are shared with this one.
  basic_table apply(const std::vector<edit>& edits) const {
    if (edits.empty()) return *this;
    if (!root_) {
      std::vector<edit> sets;
      for (const auto& e : edits) {
        if (e.second) sets.push_back(e);
      }
      return from_sorted(std::move(sets));
    }
    std::vector<node_ptr> level;
    rebuild(*root_, edits.data(), edits.data() + edits.size(), level);
    return basic_table(root_of(std::move(level)));
  }

  const_iterator begin() const {
    const_iterator it;
    if (root_) it.descend_first(root_.get());
    return it;
  }
  const_iterator end() const { return {}; }
  std::size_t size() const { return root_ ? root_->count : 0; }
  bool empty() const { return size() == 0; }

  // The first entry whose key is not less than k.
  const_iterator lower_bound(const K& k) const {
    const_iterator it;
    if (!root_) return it;
    const node* n = root_.get();
    while (!n->leaf()) {
      const std::size_t pos = upper(*n, k);
      const std::size_t i = pos == 0 ? 0 : pos - 1;
      it.push(n, i);
      n = n->children[i].get();
    }
    const std::size_t pos = lower(*n, k);
    if (pos != n->values.size()) {
      it.push(n, pos);
    } else {
      it.push(n, n->values.size() - 1);  // every key here is less: the answer starts the next leaf
      ++it;
    }
    return it;
  }
  const_iterator find(const K& k) const {
    auto it = lower_bound(k);
    if (it == end() || k < (*it).first) return end();
    return it;
  }
  const T* get(const K& k) const {
    auto it = find(k);
    return it == end() ? nullptr : &(*it).second;
  }
  bool contains(const K& k) const { return get(k) != nullptr; }
  // True when both are the same version (every node shared).
  bool same(const basic_table& o) const { return root_ == o.root_; }

 private:
  explicit basic_table(node_ptr root) : root_(std::move(root)) {}

  static node_ptr make_leaf(std::vector<K> keys, std::vector<pointer> values) {
    auto n = std::make_shared<node>();
    n->count = values.size();
    n->keys = std::move(keys);
    n->values = std::move(values);
    return n;
  }
  static const T* first_value(const node& n) { return n.leaf() ? n.values.front().get() : n.firsts.front(); }
  static node_ptr make_inner(std::vector<node_ptr> children) {
    auto n = std::make_shared<node>();
    if constexpr (derived) n->firsts.reserve(children.size());
    else n->keys.reserve(children.size());
    for (const auto& c : children) {
      if constexpr (derived) n->firsts.push_back(first_value(*c));
      else n->keys.push_back(c->keys.front());
      n->count += c->count;
    }
    n->children = std::move(children);
    return n;
  }

  // Pieces of at most max_fill, as even as possible (each above max_fill / 2 when split).
  template <class F>
  static void split(std::size_t total, F&& piece) {
    if (total == 0) return;
    const std::size_t pieces = (total + max_fill - 1) / max_fill;
    std::size_t from = 0;
    for (std::size_t p = 0; p < pieces; ++p) {
      const std::size_t to = total * (p + 1) / pieces;
      piece(from, to);
      from = to;
    }
  }
  static void emit_leaves(const std::vector<edit>& entries, std::vector<node_ptr>& out) {
    split(entries.size(), [&](std::size_t from, std::size_t to) {
      std::vector<K> keys;
      std::vector<pointer> values;
      if constexpr (!derived) keys.reserve(to - from);
      values.reserve(to - from);
      for (std::size_t i = from; i < to; ++i) {
        if constexpr (derived) assert(!(entries[i].first < KeyOf::of(*entries[i].second)) &&
                                      !(KeyOf::of(*entries[i].second) < entries[i].first));
        else keys.push_back(entries[i].first);
        values.push_back(entries[i].second);
      }
      out.push_back(make_leaf(std::move(keys), std::move(values)));
    });
  }
  static void emit_inner(const std::vector<node_ptr>& children, std::vector<node_ptr>& out) {
    split(children.size(), [&](std::size_t from, std::size_t to) {
      out.push_back(make_inner({children.begin() + static_cast<std::ptrdiff_t>(from),
                                children.begin() + static_cast<std::ptrdiff_t>(to)}));
    });
  }
  // Two neighbours at the same height as one or two nodes.
  static void join(const node& a, const node& b, std::vector<node_ptr>& out) {
    if (a.leaf()) {
      std::vector<edit> entries;
      for (const node* n : {&a, &b}) {
        for (std::size_t i = 0; i < n->values.size(); ++i) entries.emplace_back(leaf_key(*n, i), n->values[i]);
      }
      emit_leaves(entries, out);
    } else {
      std::vector<node_ptr> children(a.children);
      children.insert(children.end(), b.children.begin(), b.children.end());
      emit_inner(children, out);
    }
  }

  // The nodes (same height as n, possibly none or several) that replace n after the edits
  // in [b, e), all of which fall in n's key range.
  static void rebuild(const node& n, const edit* b, const edit* e, std::vector<node_ptr>& out) {
    if (n.leaf()) {
      std::vector<edit> entries;
      entries.reserve(n.values.size() + static_cast<std::size_t>(e - b));
      std::size_t i = 0;
      while (i < n.values.size() || b != e) {
        if (b == e || (i < n.values.size() && leaf_key(n, i) < b->first)) {
          entries.emplace_back(leaf_key(n, i), n.values[i]);
          ++i;
          continue;
        }
        const bool same_key = i < n.values.size() && !(b->first < leaf_key(n, i));
        if (b->second) entries.push_back(*b);
        if (same_key) ++i;
        ++b;
      }
      emit_leaves(entries, out);
      return;
    }
    std::vector<node_ptr> children;
    children.reserve(n.children.size() + 2);
    const edit* at = b;
    for (std::size_t c = 0; c < n.children.size(); ++c) {
      const edit* stop = e;
      if (c + 1 < n.children.size()) {
        const key_reference next = inner_key(n, c + 1);
        stop = std::lower_bound(at, e, next, [](const edit& x, const K& k) { return x.first < k; });
      }
      if (at == stop) {
        children.push_back(n.children[c]);
        continue;
      }
      std::vector<node_ptr> rebuilt;
      rebuild(*n.children[c], at, stop, rebuilt);
      at = stop;
      for (auto& r : rebuilt) {
        // A small node joins its left neighbour (or the next one takes it in).
        if (!children.empty() && (r->fill() < min_fill || children.back()->fill() < min_fill)) {
          auto left = std::move(children.back());
          children.pop_back();
          join(*left, *r, children);
        } else {
          children.push_back(std::move(r));
        }
      }
    }
    if (children.size() >= 2 && children.front()->fill() < min_fill) {
      auto first = std::move(children[0]);
      auto second = std::move(children[1]);
      children.erase(children.begin(), children.begin() + 2);
      std::vector<node_ptr> joined;
      join(*first, *second, joined);
      children.insert(children.begin(), joined.begin(), joined.end());
    }
    emit_inner(children, out);
  }

  static node_ptr root_of(std::vector<node_ptr> level) {
    if (level.empty()) return nullptr;
    while (level.size() > 1) {
      std::vector<node_ptr> up;
      emit_inner(level, up);
      level = std::move(up);
    }
    node_ptr root = std::move(level.front());
    while (!root->leaf() && root->children.size() == 1) root = root->children.front();
    return root;
  }

  node_ptr root_;
};

}  // namespace model
