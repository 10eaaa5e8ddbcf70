// bgplbctl's apply, get and delete on etcd (see manifests.hpp).
#include "manifests.hpp"

#include <yaml-cpp/yaml.h>

#include <map>
#include <set>

#include "admission.hpp"
#include "objects_view.hpp"

namespace store::etcd {

namespace {

// The documents of a file as separate texts: each document, or each item of a `...List`.
std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  auto emit = [&](const YAML::Node& n) {
    YAML::Emitter e;
    e << n;
    out.push_back(std::string(e.c_str()) + "\n");
  };
  for (const auto& doc : YAML::LoadAll(std::string(text))) {
    if (!doc.IsMap()) {
      if (!doc.IsNull()) emit(doc);
      continue;
    }
    const auto kind = doc["kind"];
    const auto items = doc["items"];
    if (kind && kind.IsScalar() && kind.Scalar().ends_with("List") && items && items.IsSequence()) {
      for (const auto& item : items) emit(item);
    } else {
      emit(doc);
    }
  }
  return out;
}

}  // namespace

manifest_read read_manifest(const std::string& path, std::string_view text, const model::decode_options& options) {
  manifest_read out;
  auto whole = model::decode(path, text, options);
  if (!whole.errors.empty()) {
    out.errors = std::move(whole.errors);
    return out;
  }
  std::vector<std::string> documents;
  try {
    documents = split(text);
  } catch (const YAML::Exception& e) {
    out.errors.push_back({path, "", "", "cannot split into documents: " + std::string(e.what())});
    return out;
  }
  std::size_t next = 0;
  for (auto& doc : documents) {
    auto d = model::decode(path, doc, options);
    if (d.objects.empty() && d.errors.empty()) continue;  // a kind bgplb does not read
    if (!d.errors.empty() || d.objects.size() != 1 || next >= whole.objects.size() || d.objects[0] != whole.objects[next]) {
      const auto what = next < whole.objects.size() ? model::key_of(whole.objects[next]).to_string() : "";
      out.errors.push_back({path, what, "", "cannot be stored as a document of its own that reads back the same"});
      out.objects.clear();
      return out;
    }
    out.objects.push_back({std::make_shared<const model::object>(std::move(whole.objects[next++])), std::move(doc)});
  }
  if (next != whole.objects.size()) {
    out.errors.push_back({path, "", "", "cannot be split into one document per object"});
    out.objects.clear();
  }
  return out;
}

apply_report apply_manifests(client& c, const layout& l, const std::vector<manifest_file>& files) {
  apply_report out;
  std::map<std::string, std::vector<manifest_object>> read;
  std::map<model::object_key, std::string> first;  // where each object is defined first
  for (const auto& f : files) {
    auto r = read_manifest(f.path, f.text);
    if (!r.errors.empty()) {
      out.errors.insert(out.errors.end(), r.errors.begin(), r.errors.end());
      continue;
    }
    std::vector<model::error> twice;
    for (const auto& o : r.objects) {
      const auto k = model::key_of(*o.object);
      if (auto [it, fresh] = first.try_emplace(k, f.path); !fresh) {
        twice.push_back({f.path, k.to_string(), "metadata.name", "defined twice; the definition in " + it->second + " is applied"});
      }
    }
    if (!twice.empty()) out.errors.insert(out.errors.end(), twice.begin(), twice.end());
    else read[f.path] = std::move(r.objects);
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::vector<kv_item> kvs;
    std::int64_t revision = 0;
    if (auto e = c.list(l.data_prefix(), kvs, revision)) {
      out.failure = "cannot read " + l.data_prefix() + ": " + e.message;
      return out;
    }
    std::map<std::string, std::string> stored;
    std::vector<key_change> changes;
    for (const auto& kv : kvs) {
      stored[kv.key] = kv.value;
      if (l.parse(kv.key).kind == layout::parsed::what::object) changes.push_back({kv.key, kv.value});
    }
    objects_view in_force(l, {});
    in_force.apply(changes, true);
    std::map<std::string, std::vector<model::object_ptr>> units;
    for (const auto& [path, objects] : read) {
      for (const auto& o : objects) units[path].push_back(o.object);
    }
    auto a = admit(*in_force.current(), {}, std::move(units), "file");
    apply_report report;
    report.errors = out.errors;
    std::vector<std::pair<std::string, const manifest_object*>> puts;
    for (const auto& [path, objects] : read) {
      if (auto it = a.refused.find(path); it != a.refused.end()) {
        report.errors.insert(report.errors.end(), it->second.begin(), it->second.end());
        continue;
      }
      for (const auto& o : objects) {
        const auto id = model::key_of(*o.object);
        const auto key = l.key(id);
        if (auto s = stored.find(key); s != stored.end() && s->second == o.document) {
          report.unchanged.push_back(id.to_string());
          continue;
        }
        report.stored.push_back(id.to_string());
        puts.emplace_back(key, &o);
      }
    }
    bool raced = false;
    for (std::size_t at = 0; at < puts.size() && !raced; at += c.settings().max_txn_ops) {
      etcdserverpb::TxnRequest t;
      // Nothing under the data prefix changed since it was read (and validated against).
      auto* cmp = t.add_compare();
      cmp->set_key(l.data_prefix());
      cmp->set_range_end(range_end(l.data_prefix()));
      cmp->set_target(etcdserverpb::Compare::MOD);
      cmp->set_result(etcdserverpb::Compare::LESS);
      cmp->set_mod_revision(revision + 1);
      for (std::size_t i = at; i < std::min(puts.size(), at + c.settings().max_txn_ops); ++i) {
        auto* put = t.add_success()->mutable_request_put();
        put->set_key(puts[i].first);
        put->set_value(puts[i].second->document);
      }
      etcdserverpb::TxnResponse r;
      if (auto e = c.txn(t, r)) {
        out.failure = "cannot write: " + e.message;
        out.stored.assign(report.stored.begin(), report.stored.begin() + static_cast<std::ptrdiff_t>(at));
        return out;
      }
      raced = !r.succeeded();
      revision = r.header().revision();
    }
    if (!raced) return report;
  }
  out.failure = "the objects under " + l.data_prefix() + " kept changing while applying; try again";
  return out;
}

std::vector<stored_object> get_objects(client& c, const layout& l, model::kind k, const std::optional<std::string>& ns,
                                       const std::optional<std::string>& name, std::string& failure) {
  std::vector<stored_object> out;
  std::vector<kv_item> kvs;
  std::int64_t revision = 0;
  std::string prefix = l.kind_prefix(k);
  if (row_of(k).namespaced && ns) prefix += *ns + "/";
  if (auto e = c.list(prefix, kvs, revision)) {
    failure = "cannot read " + prefix + ": " + e.message;
    return out;
  }
  for (auto& kv : kvs) {
    const auto p = l.parse(kv.key);
    if (p.kind != layout::parsed::what::object || (name && p.object.name != *name)) continue;
    out.push_back({std::move(kv.key), std::move(kv.value)});
  }
  return out;
}

bool remove_object(client& c, const layout& l, const model::object_key& id, std::string& failure) {
  etcdserverpb::TxnRequest t;
  t.add_success()->mutable_request_delete_range()->set_key(l.key(id));
  etcdserverpb::TxnResponse r;
  if (auto e = c.txn(t, r)) {
    failure = "cannot delete " + l.key(id) + ": " + e.message;
    return false;
  }
  return r.responses_size() > 0 && r.responses(0).response_delete_range().deleted() > 0;
}

}  // namespace store::etcd
