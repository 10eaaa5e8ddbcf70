// model::decode: splits a file into documents, unwraps `List` kinds, reads metadata, picks
// the decoder by (apiVersion, kind) and keeps only objects whose own rules hold.
#include "model/decode.hpp"

#include <array>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

#include "decoders.hpp"
#include "k8s_names.hpp"
#include "yaml_load.hpp"

namespace model {

namespace {

using detail::field;
using detail::reader;

struct kind_row {
  std::string_view kind_text;
  std::string_view api_versions[2];
  model::kind kind;
  bool namespaced;
  bool metallb;
};

// One row per (kind, API group): MetalLB's and Calico's BGPPeer, and the v1 and Calico Node,
// share a kind name and are told apart by apiVersion.
constexpr std::array<kind_row, 13> kind_table{{
    {"Service", {"v1", ""}, kind::service, true, false},
    {"EndpointSlice", {"discovery.k8s.io/v1", ""}, kind::endpoint_slice, true, false},
    {"Node", {"v1", ""}, kind::node, false, false},
    {"Namespace", {"v1", ""}, kind::namespace_, false, false},
    {"Secret", {"v1", ""}, kind::secret, true, false},
    {"IPAddressPool", {"metallb.io/v1beta1", ""}, kind::ip_address_pool, true, true},
    {"BGPAdvertisement", {"metallb.io/v1beta1", ""}, kind::bgp_advertisement, true, true},
    {"Community", {"metallb.io/v1beta1", ""}, kind::community, true, true},
    {"BFDProfile", {"metallb.io/v1beta1", ""}, kind::bfd_profile, true, true},
    {"BGPPeer", {"metallb.io/v1beta2", "metallb.io/v1beta1"}, kind::bgp_peer, true, true},
    {"BGPConfiguration", {"crd.projectcalico.org/v1", "projectcalico.org/v3"}, kind::bgp_configuration, false, false},
    {"BGPPeer", {"projectcalico.org/v3", "crd.projectcalico.org/v1"}, kind::calico_bgp_peer, false, false},
    {"Node", {"projectcalico.org/v3", ""}, kind::calico_node, false, false},
}};

bool serves(const kind_row& row, std::string_view api_version) {
  return api_version == row.api_versions[0] || (!row.api_versions[1].empty() && api_version == row.api_versions[1]);
}

// The apiVersion a row serves as a text every object of it shares.
const shared_text& served_version(const kind_row& row, std::string_view api_version) {
  static const std::vector<std::pair<shared_text, shared_text>> texts = [] {
    std::vector<std::pair<shared_text, shared_text>> t;
    for (const auto& k : kind_table) t.emplace_back(k.api_versions[0], k.api_versions[1]);
    return t;
  }();
  const auto& [first, second] = texts[static_cast<std::size_t>(&row - kind_table.data())];
  return api_version == first.view() ? first : second;
}

// Decodes documents into `Result` (decode_result, or shared_decode_result where each
// object is allocated once, shared, as it is decoded).
template <class Result>
class document_decoder {
 public:
  document_decoder(std::string_view file, const decode_options& options, Result& out)
      : file_(file), options_(options), out_(out) {}

  void decode_document(const detail::yaml_tree& tree, detail::yaml_tree::id doc, const std::string& where) {
    const field root = field::root(tree, doc);
    if (!root.present()) return;
    reader r(file_, where, out_.errors);
    if (!root.is_map()) {
      r.fail("", "expected an object (a map), got a " + std::string(root.is_sequence() ? "list" : "scalar"));
      return;
    }
    const auto kind_text = r.string(root["kind"]);
    const auto api_version = r.string(root["apiVersion"]);
    if (!kind_text || !api_version) {
      if (!kind_text) r.fail("kind", "required");
      if (!api_version) r.fail("apiVersion", "required");
      return;
    }
    if (kind_text->ends_with("List")) {
      const field items = root["items"];
      if (!r.is_sequence(items)) return;
      for (std::size_t i = 0; i < items.size(); ++i) {
        decode_document(tree, items.at(i).node, where + " " + *kind_text + " items[" + std::to_string(i) + "]");
      }
      return;
    }
    // The row of this kind and apiVersion; else the kind's first row, to name the object
    // while refusing its apiVersion.
    const kind_row* row = nullptr;
    std::string supported;
    for (const auto& k : kind_table) {
      if (k.kind_text != *kind_text) continue;
      if (row == nullptr || (serves(k, *api_version) && !serves(*row, *api_version))) row = &k;
      for (auto v : k.api_versions) {
        if (!v.empty()) supported += (supported.empty() ? "" : " or ") + std::string(v);
      }
    }
    if (row == nullptr) return;  // not a kind bgplb reads

    object_meta meta;
    meta.api_version = serves(*row, *api_version) ? served_version(*row, *api_version) : shared_text(*api_version);
    meta.file = file_;
    const field md = root["metadata"];
    if (r.is_map(md)) {
      meta.name = r.string(md["name"]).value_or("");
      meta.ns = r.string(md["namespace"]).value_or("");
      meta.labels = r.string_map(md["labels"]);
      meta.annotations = r.string_map(md["annotations"]);
    }
    if (row->namespaced && meta.ns.empty()) meta.ns = row->metallb ? options_.metallb_namespace : "default";
    if (!row->namespaced) meta.ns.clear();
    r.set_object(object_key{row->kind, meta.ns, meta.name.empty() ? "<unnamed>" : meta.name}.to_string());
    if (meta.name.empty()) {
      r.fail("metadata.name", "required");
    } else if (auto why = row->kind == kind::service      ? k8s_names::dns1035_label(meta.name)
                          : row->kind == kind::namespace_ ? k8s_names::dns1123_label(meta.name)
                                                          : k8s_names::dns1123_subdomain(meta.name);
               !why.empty()) {
      r.fail("metadata.name", why);
    }
    if (row->namespaced) {
      if (auto why = k8s_names::dns1123_label(meta.ns); !why.empty()) r.fail("metadata.namespace", why);
    }
    if (row->metallb && meta.ns != options_.metallb_namespace) {
      r.fail("metadata.namespace", "MetalLB objects must live in namespace \"" + options_.metallb_namespace + "\"");
    }
    if (!serves(*row, *api_version)) {
      r.fail("apiVersion", "unsupported apiVersion \"" + *api_version + "\" for " + *kind_text + ": want " + supported);
      return;
    }

    std::optional<object> obj;
    switch (row->kind) {
      case kind::service: obj = detail::decode_service(r, root, std::move(meta)); break;
      case kind::endpoint_slice: obj = detail::decode_endpoint_slice(r, root, std::move(meta)); break;
      case kind::node: obj = detail::decode_node(r, root, std::move(meta)); break;
      case kind::namespace_: obj = namespace_object{std::move(meta)}; break;
      case kind::secret: obj = detail::decode_secret(r, root, std::move(meta)); break;
      case kind::ip_address_pool: obj = detail::decode_ip_address_pool(r, root, std::move(meta)); break;
      case kind::bgp_advertisement: obj = detail::decode_bgp_advertisement(r, root, std::move(meta)); break;
      case kind::community: obj = detail::decode_community(r, root, std::move(meta)); break;
      case kind::bfd_profile: obj = detail::decode_bfd_profile(r, root, std::move(meta)); break;
      case kind::bgp_peer:
        obj = detail::decode_bgp_peer(r, root, std::move(meta), *api_version == "metallb.io/v1beta1");
        break;
      case kind::bgp_configuration: obj = detail::decode_bgp_configuration(r, root, std::move(meta)); break;
      case kind::calico_bgp_peer: obj = detail::decode_calico_bgp_peer(r, root, std::move(meta)); break;
      case kind::calico_node: obj = detail::decode_calico_node(r, root, std::move(meta)); break;
    }
    if (r.failed() || !obj) return;
    if constexpr (std::is_same_v<Result, decode_result>) out_.objects.push_back(std::move(*obj));
    else out_.objects.push_back(std::make_shared<const object>(std::move(*obj)));
  }

 private:
  shared_text file_;  // every object of the file shares it
  const decode_options& options_;
  Result& out_;
};

template <class Result>
Result decode_whole(std::string_view file, std::string_view text, const decode_options& options) {
  Result out;
  auto loaded = detail::load_all(text);
  if (loaded.error) {
    // A file is refused whole, so documents before the syntax error are not decoded.
    out.errors.push_back({std::string(file), "",
                          "line " + std::to_string(loaded.error->line) + ", column " + std::to_string(loaded.error->column),
                          "YAML syntax error: " + loaded.error->message});
    return out;
  }
  const auto& docs = loaded.tree.documents();
  document_decoder<Result> d(file, options, out);
  for (std::size_t i = 0; i < docs.size(); ++i) {
    d.decode_document(loaded.tree, docs[i], docs.size() > 1 ? "document " + std::to_string(i + 1) : "");
  }
  return out;
}

// A large file in parts (detail::document_cuts), parsed on two threads: this one and a
// parser thread take the next part to parse in turn, and this one decodes each part's
// documents, in file order, as soon as its tree is there (it parses a part itself when
// the parser has not reached it yet). The objects are allocated on this thread only (the
// datastore's). Parts are parsed by libyaml alone: a part libyaml refuses, and a file too
// small to be worth a thread, is read whole instead (libyaml, then yaml-cpp), so what is
// accepted and how errors are worded do not change.
constexpr std::size_t max_parts = 256;
// Trees parsed ahead of the decode at most: the parser thread's trees live in its own
// malloc arena, which is reused for the next parts instead of growing with the file.
constexpr std::size_t read_ahead = 1;

template <class Result>
Result decode_parts(std::string_view file, std::string_view text, const decode_options& options,
                    const std::vector<std::size_t>& cuts) {
  std::vector<std::string_view> parts;
  std::size_t from = 0;
  for (const auto at : cuts) {
    parts.push_back(text.substr(from, at - from));
    from = at;
  }
  parts.push_back(text.substr(from));

  struct shared {
    std::mutex m;
    std::condition_variable parsed;  // a tree is there, or the parser failed
    std::condition_variable room;    // the parser may take a part
    std::vector<std::optional<detail::loaded_yaml>> trees;
    std::size_t next = 1;     // the next part nobody has taken to parse (part 0 is this thread's)
    std::size_t decoded = 0;  // parts taken for decoding
    bool stop = false;
    std::exception_ptr thrown;  // from the parser thread (memory), thrown again here
  } sh;
  sh.trees.resize(parts.size());
  std::thread parser([&] {
    while (true) {
      std::size_t i = 0;
      {
        std::unique_lock lock(sh.m);
        sh.room.wait(lock, [&] { return sh.stop || (sh.next < parts.size() && sh.next <= sh.decoded + read_ahead); });
        if (sh.stop) return;
        i = sh.next++;
      }
      std::optional<detail::loaded_yaml> l;
      std::exception_ptr e;
      try {
        l = detail::load_part(parts[i]);
      } catch (...) {
        e = std::current_exception();
      }
      const std::lock_guard lock(sh.m);
      if (e) sh.thrown = e;
      else sh.trees[i] = std::move(l);
      sh.parsed.notify_one();
      if (e || sh.next == parts.size()) return;
    }
  });
  // Stops and joins the parser however this thread leaves.
  struct joiner {
    shared& sh;
    std::thread& t;
    ~joiner() {
      {
        const std::lock_guard lock(sh.m);
        sh.stop = true;
      }
      sh.room.notify_one();
      t.join();
    }
  } join{sh, parser};

  Result out;
  std::size_t documents_before = 0;
  document_decoder<Result> d(file, options, out);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    detail::loaded_yaml loaded;
    if (i == 0) {
      loaded = detail::load_part(parts[0]);
    } else {
      std::unique_lock lock(sh.m);
      while (true) {
        if (sh.thrown) std::rethrow_exception(sh.thrown);
        if (sh.trees[i]) {
          loaded = std::move(*sh.trees[i]);
          sh.trees[i].reset();
          break;
        }
        if (sh.next == i) {  // nobody has taken it: parse it here
          ++sh.next;
          lock.unlock();
          loaded = detail::load_part(parts[i]);
          lock.lock();
          break;
        }
        if (sh.next < parts.size() && sh.next <= i + read_ahead) {
          // The parser is on part i: parse the next one meanwhile.
          const std::size_t j = sh.next++;
          lock.unlock();
          auto l = detail::load_part(parts[j]);
          lock.lock();
          sh.trees[j] = std::move(l);
          continue;
        }
        sh.parsed.wait(lock);
      }
    }
    {
      const std::lock_guard lock(sh.m);
      sh.decoded = i + 1;
    }
    sh.room.notify_one();
    if (loaded.error) return decode_whole<Result>(file, text, options);
    const auto& docs = loaded.tree.documents();
    // Each later part opens with a document marker, so it holds at least one document:
    // with one more part to come the file has more than one.
    const bool numbered = documents_before + docs.size() + (parts.size() - 1 - i) > 1;
    for (std::size_t j = 0; j < docs.size(); ++j) {
      d.decode_document(loaded.tree, docs[j], numbered ? "document " + std::to_string(documents_before + j + 1) : "");
    }
    documents_before += docs.size();
  }
  return out;
}

template <class Result>
Result decode_into(std::string_view file, std::string_view text, const decode_options& options,
                   std::size_t min_part = detail::default_min_part) {
  // The size first: asking for the CPU count reads sysfs, on every small file of every change.
  static const bool two_cores = std::thread::hardware_concurrency() >= 2;
  const auto cuts = text.size() >= 2 * min_part && two_cores ? detail::document_cuts(text, max_parts, min_part)
                                                             : std::vector<std::size_t>{};
  if (cuts.empty()) return decode_whole<Result>(file, text, options);
  return decode_parts<Result>(file, text, options, cuts);
}

}  // namespace

decode_result decode(std::string_view file, std::string_view text, const decode_options& options) {
  return decode_into<decode_result>(file, text, options);
}

shared_decode_result decode_shared(std::string_view file, std::string_view text, const decode_options& options) {
  return decode_into<shared_decode_result>(file, text, options);
}

namespace detail {

decode_result decode_in_parts(std::string_view file, std::string_view text, const decode_options& options,
                              std::size_t min_part) {
  return decode_into<decode_result>(file, text, options, min_part);
}

}  // namespace detail

}  // namespace model
