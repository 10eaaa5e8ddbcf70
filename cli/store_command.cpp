// bgplbctl apply/get/delete on an etcd datastore (see store_command.hpp); the work is
// store::etcd's (store/src/etcd/manifests.hpp), this file reads files and prints.
#include "store_command.hpp"
#include "text_table.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "etcd/manifests.hpp"
#include "store/file_backend.hpp"
#include "store/kubernetes.hpp"
#include "store/read_once.hpp"

namespace bgplbctl {

namespace {

namespace fs = std::filesystem;

struct connection {
  std::unique_ptr<store::etcd::client> client;
  std::unique_ptr<store::etcd::layout> layout;
};

// The client, or nothing with the reason on `err`.
std::optional<connection> connect(const store_options& opts, std::ostream& err) {
  if (opts.datastore.empty()) {
    err << "bgplbctl: no datastore: give --datastore etcd://HOST:PORT/PREFIX or set BGPLB_DATASTORE\n";
    return std::nullopt;
  }
  if (!opts.datastore.starts_with("etcd:")) {
    err << "bgplbctl: " << opts.datastore << ": apply and delete work on an etcd datastore (get reads a cluster too); a manifest directory is edited as "
           "files, a cluster with kubectl\n";
    return std::nullopt;
  }
  try {
    auto c = std::make_unique<store::etcd::client>(store::etcd::parse_uri(opts.datastore), /*keep_connected=*/false);
    auto l = std::make_unique<store::etcd::layout>(c->settings().prefix);
    return connection{std::move(c), std::move(l)};
  } catch (const std::invalid_argument& e) {
    err << "bgplbctl: " << e.what() << "\n";
    return std::nullopt;
  }
}

// The object a kind, namespace and name give, or nothing with the reason on `err`.
std::optional<model::object_key> object_of(const store_options& opts, std::ostream& err) {
  const auto* row = store::etcd::find_kind(opts.kind);
  if (row == nullptr) {
    err << "bgplbctl: unknown kind \"" << opts.kind << "\"; bgplb reads Service, EndpointSlice, Node, Namespace, Secret, "
        << "IPAddressPool, BGPAdvertisement, Community, BFDProfile, BGPPeer, BGPConfiguration\n";
    return std::nullopt;
  }
  model::object_key k{row->kind, "", opts.name.value_or("")};
  if (row->namespaced) k.ns = opts.ns.value_or(row->group == "metallb.io" ? model::decode_options{}.metallb_namespace : "default");
  return k;
}

bool read_text(const fs::path& p, std::string& text) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  text = s.str();
  return static_cast<bool>(in);
}

}  // namespace

int run_apply(const store_options& opts, std::ostream& out, std::ostream& err) {
  std::vector<store::etcd::manifest_file> files;
  for (const auto& given : opts.files) {
    std::error_code ec;
    if (fs::is_directory(given, ec)) {
      // As the file datastore reads a directory: recursively, .yaml/.yml/.json, no dot-entries.
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(given, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file()) continue;
        const auto relative = fs::relative(it->path(), given).generic_string();
        if (store::file::is_manifest(relative)) found.push_back((fs::path(given) / relative).string());
      }
      if (ec) {
        err << "bgplbctl: " << given << ": " << ec.message() << "\n";
        return 1;
      }
      std::sort(found.begin(), found.end());
      for (auto& f : found) files.push_back({std::move(f), {}});
    } else {
      files.push_back({given, {}});
    }
  }
  for (auto& f : files) {
    if (!read_text(f.path, f.text)) {
      err << "bgplbctl: " << f.path << ": cannot read\n";
      return 1;
    }
  }
  auto conn = connect(opts, err);
  if (!conn) return 2;
  const auto r = store::etcd::apply_manifests(*conn->client, *conn->layout, files);
  for (const auto& s : r.unchanged) out << s << " unchanged\n";
  for (const auto& s : r.stored) out << s << " stored\n";
  for (const auto& e : r.errors) err << "bgplbctl: " << e.to_string() << "\n";
  if (!r.failure.empty()) err << "bgplbctl: " << r.failure << "\n";
  return r.errors.empty() && r.failure.empty() ? 0 : 1;
}

// get on a cluster: the objects of the kind as bgplb reads them (one read-only read of
// the datastore; refused objects are absent and their errors go to `err`). The documents
// are kubectl's to print.
int get_from_cluster(const store_options& opts, const model::object_key& id, bool namespaced, std::ostream& out,
                     std::ostream& err) {
  store::read_result r;
  try {
    r = store::read_once(opts.datastore, {}, std::chrono::seconds(30));
  } catch (const std::invalid_argument& e) {
    err << "bgplbctl: " << e.what() << "\n";
    return 2;
  }
  if (!r.objects) {
    err << "bgplbctl: " << r.error << "\n";
    return 1;
  }
  for (const auto& e : r.objects->errors) err << "bgplbctl: refused: " << e.to_string() << "\n";
  std::vector<std::vector<std::string>> rows = {namespaced ? std::vector<std::string>{"NAMESPACE", "NAME"}
                                                           : std::vector<std::string>{"NAME"}};
  for (const auto& o : r.objects->snapshot->objects()) {
    const auto k = model::key_of(o);
    if (k.kind != id.kind || ((opts.ns || opts.name) && namespaced && k.ns != id.ns) || (opts.name && k.name != id.name)) {
      continue;
    }
    rows.push_back(namespaced ? std::vector<std::string>{k.ns, k.name} : std::vector<std::string>{k.name});
  }
  if (opts.name && rows.size() == 1) {
    err << "bgplbctl: " << id.to_string() << " not found\n";
    return 1;
  }
  out << text_table(rows);
  return 0;
}

int run_get(const store_options& opts, std::ostream& out, std::ostream& err) {
  const auto id = object_of(opts, err);
  if (!id) return 2;
  if (store::is_kubernetes_uri(opts.datastore)) {
    spdlog::set_default_logger(spdlog::stderr_logger_mt("bgplbctl"));  // stdout carries the table alone
    return get_from_cluster(opts, *id, store::etcd::row_of(id->kind).namespaced, out, err);
  }
  auto conn = connect(opts, err);
  if (!conn) return 2;
  std::string failure;
  const bool namespaced = store::etcd::row_of(id->kind).namespaced;
  const auto found = store::etcd::get_objects(*conn->client, *conn->layout, id->kind,
                                              namespaced && (opts.ns || opts.name) ? std::optional(id->ns) : std::nullopt,
                                              opts.name, failure);
  if (!failure.empty()) {
    err << "bgplbctl: " << failure << "\n";
    return 1;
  }
  if (opts.name) {
    if (found.empty()) {
      err << "bgplbctl: " << id->to_string() << " not found\n";
      return 1;
    }
    out << found.front().document;
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {namespaced ? std::vector<std::string>{"NAMESPACE", "NAME"}
                                                           : std::vector<std::string>{"NAME"}};
  for (const auto& o : found) {
    const auto p = conn->layout->parse(o.key);
    rows.push_back(namespaced ? std::vector<std::string>{p.object.ns, p.object.name} : std::vector<std::string>{p.object.name});
  }
  out << text_table(rows);
  return 0;
}

int run_delete(const store_options& opts, std::ostream& out, std::ostream& err) {
  const auto id = object_of(opts, err);
  if (!id) return 2;
  auto conn = connect(opts, err);
  if (!conn) return 2;
  std::string failure;
  const bool deleted = store::etcd::remove_object(*conn->client, *conn->layout, *id, failure);
  if (!failure.empty()) {
    err << "bgplbctl: " << failure << "\n";
    return 1;
  }
  if (!deleted) {
    err << "bgplbctl: " << id->to_string() << " not found\n";
    return 1;
  }
  out << id->to_string() << " deleted\n";
  return 0;
}

void add_store_commands(CLI::App& app, int& status) {
  auto datastore = [](CLI::App* cmd, store_options& o) {
    cmd->add_option("--datastore", o.datastore,
                    "etcd://HOST:PORT[,HOST:PORT...]/PREFIX[?cacert=&cert=&key=] (docs/etcd.md); get also reads "
                    "kubernetes:?kubeconfig=FILE (docs/kubernetes.md)")
        ->envname("BGPLB_DATASTORE")
        ->type_name("URI");
  };
  const char* footer = "Exit status: 0 done, 1 refused or failed, 2 bad usage.";

  auto a = std::make_shared<store_options>();
  CLI::App* apply = app.add_subcommand("apply", "Validate manifests and store their objects in an etcd datastore");
  apply->add_option("-f,--filename", a->files, "a manifest file, or a directory read as the file datastore reads one")
      ->required()
      ->type_name("FILE|DIR");
  datastore(apply, *a);
  apply->footer(std::string("A file is stored whole or refused whole, as the file datastore admits files.\n") + footer);
  apply->callback([a, &status] { status = run_apply(*a, std::cout, std::cerr); });

  auto g = std::make_shared<store_options>();
  CLI::App* get = app.add_subcommand("get", "List a kind's objects in an etcd datastore, or print one as stored");
  get->add_option("kind", g->kind, "IPAddressPool, ipaddresspools, Service, ...")->required();
  get->add_option("name", g->name, "print this object's document");
  get->add_option("-n,--namespace", g->ns, "namespace (default: metallb-system for MetalLB kinds, default otherwise)");
  datastore(get, *g);
  get->footer(std::string("With --datastore kubernetes:?kubeconfig=FILE: the objects as bgplb reads them from the "
                          "cluster (read-only; refused ones are named on stderr; kubectl prints documents).\n") +
              footer);
  get->callback([g, &status] { status = run_get(*g, std::cout, std::cerr); });

  auto d = std::make_shared<store_options>();
  CLI::App* del = app.add_subcommand("delete", "Delete an object from an etcd datastore");
  del->add_option("kind", d->kind, "IPAddressPool, ipaddresspools, Service, ...")->required();
  del->add_option("name", d->name, "the object's name")->required();
  del->add_option("-n,--namespace", d->ns, "namespace (default: metallb-system for MetalLB kinds, default otherwise)");
  datastore(del, *d);
  del->footer(footer);
  del->callback([d, &status] { status = run_delete(*d, std::cout, std::cerr); });
}

}  // namespace bgplbctl
