// Discovery of the old host's libvirt configuration (see libvirt_config.hpp).
#include "rescue/scan/libvirt_config.hpp"

#include "rescue/scan/host_path.hpp"
#include "rescue/scan/xml_doc.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>

namespace kvmr::scan {

namespace {

using io::FileType;
using io::SourceTree;

constexpr std::uint64_t max_qemu_conf_bytes = 1u << 20;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string join(const std::string &dir, const std::string &name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// "web01.xml" -> "web01".
std::string stem(const std::string &path) {
  std::string name = basename(path);
  return ends_with(name, ".xml") ? name.substr(0, name.size() - 4) : name;
}

// A message about PATH that names it, whatever the exception said.
std::string naming(const std::string &path, const std::exception &e) {
  const std::string what = e.what();
  return what.rfind(path, 0) == 0 ? what : fmt::format("{}: {}", path, what);
}

class Discovery {
public:
  explicit Discovery(SourceTree &tree) : tree_(tree) {}

  LibvirtConfig run();

private:
  struct Link {
    std::string name; // NAME.xml
    std::string path;
    std::string target; // resolved, normalized
    bool used = false;
  };

  std::optional<io::FileStat> stat(const std::string &path);
  std::optional<io::FileStat> followed(const std::string &path); // symlinks followed in root
  bool is_dir(const std::string &path);
  std::vector<io::DirEntry> list(const std::string &dir);
  std::vector<std::string> xml_files(const std::string &dir);
  std::vector<Link> links(const std::string &dir);
  template <class File>
  void mark_autostart(std::vector<File> &files, const std::string &dir, const char *kind);
  void warn(std::string w) { out_.warnings.push_back(std::move(w)); }

  void domains();
  void networks();
  void pools();
  void pool_volumes(PoolFile &f);
  void secrets();
  void snapshots();
  void nwfilters();
  void hooks();
  void qemu_conf();

  SourceTree &tree_;
  LibvirtConfig out_;
};

std::optional<io::FileStat> Discovery::stat(const std::string &path) {
  try {
    return tree_.lstat(path);
  } catch (const std::exception &e) {
    warn(naming(path, e));
    return std::nullopt;
  }
}

bool Discovery::is_dir(const std::string &path) {
  const auto st = stat(path);
  return st && (st->type == FileType::directory || st->type == FileType::symlink);
}

std::vector<io::DirEntry> Discovery::list(const std::string &dir) {
  try {
    return tree_.list(dir);
  } catch (const std::exception &e) {
    warn(naming(dir, e));
    return {};
  }
}

// DIR/*.xml (files or links to them), sorted by name.
std::vector<std::string> Discovery::xml_files(const std::string &dir) {
  std::vector<std::string> out;
  if (!is_dir(dir)) {
    return out;
  }
  for (const auto &e : list(dir)) {
    if (e.name.size() > 4 && ends_with(e.name, ".xml") &&
        (e.type == FileType::regular || e.type == FileType::symlink)) {
      out.push_back(join(dir, e.name));
    }
  }
  return out;
}

// The links of DIR/autostart with their resolved targets.
std::vector<Discovery::Link> Discovery::links(const std::string &dir) {
  std::vector<Link> out;
  const std::string autostart = join(dir, "autostart");
  if (!is_dir(autostart)) {
    return out;
  }
  for (const auto &e : list(autostart)) {
    const std::string path = join(autostart, e.name);
    if (e.type != FileType::symlink) {
      warn(fmt::format("{}: not a symbolic link; libvirt autostarts only through links", path));
      continue;
    }
    try {
      out.push_back({e.name, path, resolve(autostart, tree_.readlink(path))});
    } catch (const std::exception &ex) {
      warn(naming(path, ex));
    }
  }
  return out;
}

// libvirt's rule: DIR/autostart/STEM.xml must lead to DIR/STEM.xml.
template <class File>
void Discovery::mark_autostart(std::vector<File> &files, const std::string &dir, const char *kind) {
  std::vector<Link> found = links(dir);
  for (File &f : files) {
    const std::string name = stem(f.path) + ".xml";
    for (Link &l : found) {
      if (l.name != name) {
        continue;
      }
      l.used = true;
      f.autostart = l.target == f.path;
      if (!f.autostart) {
        warn(fmt::format("{}: points to {}, not {}: libvirt does not autostart this {}", l.path,
                         l.target, f.path, kind));
      }
    }
  }
  for (const Link &l : found) {
    if (l.used) {
      continue;
    }
    bool to_file = false;
    for (const File &f : files) {
      to_file = to_file || l.target == f.path;
    }
    warn(to_file
             ? fmt::format("{}: points to {} under another name: libvirt does not autostart "
                           "through it",
                           l.path, l.target)
             : fmt::format("{}: points to {}, which is no {} definition", l.path, l.target, kind));
  }
}

void Discovery::domains() {
  const std::string dir = libvirt_paths::domains;
  for (const std::string &path : xml_files(dir)) {
    DomainFile f{path, std::nullopt, "", false};
    try {
      f.domain = parse_domain_xml(tree_.read_file(path, max_libvirt_xml_bytes), path);
      if (f.domain->name != stem(path)) {
        warn(fmt::format("{}: defines domain '{}', whose name differs from the file's", path,
                         f.domain->name));
      }
    } catch (const std::exception &e) {
      f.error = naming(path, e);
      warn(f.error);
    }
    out_.domains.push_back(std::move(f));
  }
  if (out_.domains.empty()) {
    warn(fmt::format("{}: no domain definitions (*.xml): the old host defined no VMs", dir));
  }
  mark_autostart(out_.domains, dir, "domain");
}

void Discovery::networks() {
  const std::string dir = libvirt_paths::networks;
  for (const std::string &path : xml_files(dir)) {
    NetworkFile f{path, std::nullopt, "", false};
    try {
      f.network = parse_network_xml(tree_.read_file(path, max_libvirt_xml_bytes), path);
    } catch (const std::exception &e) {
      f.error = naming(path, e);
      warn(f.error);
    }
    out_.networks.push_back(std::move(f));
  }
  mark_autostart(out_.networks, dir, "network");
}

std::optional<io::FileStat> Discovery::followed(const std::string &path) {
  try {
    return resolve_in_root(tree_, path).stat;
  } catch (const std::exception &e) {
    warn(naming(path, e));
    return std::nullopt;
  }
}

// The pool's volumes: the target as written loosely ("images/", "//") is
// tidied, and a target or volume that is a symlink is followed inside the
// old root (/var/lib/libvirt/images -> /home/images). A volume keeps the
// path under the target, the one libvirt names it by.
void Discovery::pool_volumes(PoolFile &f) {
  const std::string target = normalize(f.pool->target_path);
  const auto st = followed(target);
  if (!st) {
    warn(fmt::format("{}: the target {} of pool '{}' is not on the old host's tree", f.path,
                     f.pool->target_path, f.pool->name));
    return;
  }
  if (st->type != FileType::directory) {
    warn(fmt::format("{}: the target {} of pool '{}' is not a directory", f.path,
                     f.pool->target_path, f.pool->name));
    return;
  }
  for (const auto &e : list(target)) {
    PoolVolume v{e.name, join(target, e.name), e.type, 0, 0};
    if (const auto vst = followed(v.path)) {
      v.type = vst->type;
      v.size = vst->size;
      v.allocated = vst->allocated;
    }
    f.volumes.push_back(std::move(v));
  }
}

void Discovery::pools() {
  const std::string dir = libvirt_paths::pools;
  for (const std::string &path : xml_files(dir)) {
    PoolFile f{path, std::nullopt, "", false, {}};
    try {
      f.pool = parse_pool_xml(tree_.read_file(path, max_libvirt_xml_bytes), path);
    } catch (const std::exception &e) {
      f.error = naming(path, e);
      warn(f.error);
    }
    if (f.pool && f.pool->type == "dir" && !f.pool->target_path.empty()) {
      pool_volumes(f);
    }
    out_.pools.push_back(std::move(f));
  }
  mark_autostart(out_.pools, dir, "storage pool");
}

void Discovery::secrets() {
  const std::string dir = libvirt_paths::secrets;
  std::vector<std::string> defined;
  for (const std::string &path : xml_files(dir)) {
    SecretFile f{path, std::nullopt, "", false, 0};
    try {
      f.secret = parse_secret_xml(tree_.read_file(path, max_libvirt_xml_bytes), path);
      if (f.secret->uuid != stem(path)) {
        warn(fmt::format("{}: defines secret {}, whose UUID differs from the file's name", path,
                         f.secret->uuid));
      }
    } catch (const std::exception &e) {
      f.error = naming(path, e);
      warn(f.error);
    }
    const std::string value = join(dir, stem(path) + ".base64");
    if (const auto st = stat(value); st && st->type == FileType::regular) {
      f.value_present = true;
      f.value_size = st->size;
    }
    defined.push_back(stem(path) + ".base64");
    out_.secrets.push_back(std::move(f));
  }
  if (!is_dir(dir)) {
    return;
  }
  for (const auto &e : list(dir)) {
    if (ends_with(e.name, ".base64") &&
        std::find(defined.begin(), defined.end(), e.name) == defined.end()) {
      warn(fmt::format("{}: a secret value without its definition (.xml)", join(dir, e.name)));
    }
  }
}

void Discovery::snapshots() {
  const std::string dir = libvirt_paths::snapshots;
  if (!stat(dir)) {
    return;
  }
  for (const auto &d : list(dir)) {
    if (d.type != FileType::directory) {
      continue;
    }
    for (const std::string &path : xml_files(join(dir, d.name))) {
      SnapshotFile f{path, d.name, std::nullopt, ""};
      try {
        f.snapshot = parse_snapshot_xml(tree_.read_file(path, max_libvirt_xml_bytes), path);
      } catch (const std::exception &e) {
        f.error = naming(path, e);
        warn(f.error);
      }
      out_.snapshots.push_back(std::move(f));
    }
  }
}

void Discovery::nwfilters() {
  for (const std::string &path : xml_files(libvirt_paths::nwfilters)) {
    try {
      const XmlDoc doc = XmlDoc::parse(tree_.read_file(path, max_libvirt_xml_bytes), path);
      const auto name = doc.root().attr("name");
      if (doc.root().name() != "filter" || !name || name->empty()) {
        doc.fail("not an nwfilter definition (<filter name=''>)", doc.root());
      }
      out_.nwfilters.push_back(*name);
    } catch (const std::exception &e) {
      warn(naming(path, e));
    }
  }
}

void Discovery::hooks() {
  if (!is_dir(libvirt_paths::hooks)) {
    return;
  }
  for (const auto &e : list(libvirt_paths::hooks)) {
    out_.hooks.push_back(e.name);
  }
}

void Discovery::qemu_conf() {
  const std::string path = libvirt_paths::qemu_conf;
  if (!stat(path)) {
    return;
  }
  out_.qemu_conf.present = true;
  try {
    out_.qemu_conf.settings =
        parse_qemu_conf(tree_.read_file(path, max_qemu_conf_bytes), path, out_.warnings);
  } catch (const std::exception &e) {
    warn(naming(path, e));
  }
}

LibvirtConfig Discovery::run() {
  if (!stat(libvirt_paths::etc)) {
    warn(fmt::format("{}: not found: the old host has no libvirt configuration (is this its root "
                     "filesystem?)",
                     libvirt_paths::etc));
    return std::move(out_);
  }
  domains();
  networks();
  pools();
  secrets();
  snapshots();
  nwfilters();
  hooks();
  qemu_conf();
  return std::move(out_);
}

} // namespace

LibvirtConfig read_libvirt_config(SourceTree &tree) {
  return Discovery(tree).run();
}

} // namespace kvmr::scan
