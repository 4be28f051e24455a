// The answer file (see plan_json.hpp).
#include "rescue/plan/plan_json.hpp"

#include "rescue/util/error.hpp"
#include "rescue/util/fd.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace kvmr::plan {
namespace {

using nlohmann::json;

// --- writing -----------------------------------------------------------------------------------

json identity_json(const DiskIdentity &d) {
  return {{"path", d.path},         {"by_id", d.by_id},
          {"serial", d.serial},     {"model", d.model},
          {"size", d.size},         {"table_type", d.table_type},
          {"table_id", d.table_id}, {"partition_uuids", d.partition_uuids},
          {"fs_uuids", d.fs_uuids}};
}

json item_json(const PlanItem &i) {
  return {{"kind", to_string(i.kind)},
          {"vm", i.vm},
          {"source", i.source},
          {"dest", i.dest},
          {"new_path", i.new_path},
          {"format", i.format},
          {"convert_from", i.convert_from},
          {"size", i.size},
          {"allocated", i.allocated},
          {"guest_disk", i.guest_disk},
          {"secret", i.secret},
          {"new_backing_name", i.new_backing_name},
          {"new_backing_format", i.new_backing_format},
          {"rewritten", i.rewritten},
          {"autostart", i.autostart}};
}

json rewrite_json(const PathRewrite &r) {
  return {{"vm", r.vm},
          {"file", r.file},
          {"from", r.from},
          {"to", r.to},
          {"block_to_file", r.block_to_file},
          {"new_format", r.new_format},
          {"eject", r.eject},
          {"reason", r.reason}};
}

json network_json(const NetworkChoice &n) {
  return {{"nic", n.nic},
          {"method", n.method},
          {"address", n.address},
          {"gateway", n.gateway},
          {"dns", n.dns}};
}

json restore_json(const RestoreChoices &r) {
  json renames = json::array();
  for (const auto &n : r.renames) {
    renames.push_back({{"from", n.from}, {"to", n.to}});
  }
  return {{"start", r.start}, {"allow_emulation", r.allow_emulation}, {"renames", renames}};
}

json target_json(const PlanTarget &t) {
  return {{"kind", to_string(t.kind)},
          {"path", t.path},
          {"disk", t.disk ? identity_json(*t.disk) : json(nullptr)},
          {"fs_type", t.fs_type},
          {"el7_compatible", t.el7_compatible},
          {"label", t.label},
          {"oemdrv", t.oemdrv},
          {"capacity", t.capacity},
          {"fs_uuid", t.fs_uuid},
          {"host_key", t.host_key},
          {"known_hosts", t.known_hosts},
          {"identity", t.identity},
          {"network", network_json(t.network)}};
}

json logins_json(const scan::Logins &l) {
  json users = json::array();
  for (const auto &u : l.admins) {
    users.push_back({{"name", u.name},
                     {"gecos", u.gecos},
                     {"hash", u.hash},
                     {"groups", u.groups},
                     {"ssh_keys", u.ssh_keys}});
  }
  json sudoers = json::array();
  for (const auto &f : l.sudoers) {
    sudoers.push_back({{"name", f.name}, {"content", f.content}});
  }
  return {{"root_hash", l.root_hash},
          {"root_keys", l.root_keys},
          {"users", users},
          {"sudoers", sudoers}};
}

json kickstart_json(const KickstartChoices &k) {
  return {{"dialect", k.dialect},
          {"os_disk", k.os_disk},
          {"data_disk", k.data_disk},
          {"hostname", k.hostname},
          {"nic_map", k.nic_map},
          {"root_password", k.root_password},
          {"root_password_hash", k.root_password_hash},
          {"ssh_key", k.ssh_key},
          {"old_logins", logins_json(k.old_logins)},
          {"timezone", k.timezone},
          {"lang", k.lang},
          {"keyboard", k.keyboard},
          {"install_source", k.install_source},
          {"install_url", k.install_url},
          {"oemdrv", k.oemdrv}};
}

json layout_json(const PlanLayout &l) {
  return {{"images_dir", l.images_dir},
          {"relocated_dir", l.relocated_dir},
          {"lv_dir", l.lv_dir},
          {"state_dir", l.state_dir}};
}

// --- reading -----------------------------------------------------------------------------------

// "a string", "an array", "an object", "a number", "a boolean", "a null".
std::string a_type(const json &j) {
  const std::string t = j.type_name();
  return (t == "array" || t == "object" ? "an " : "a ") + t;
}

// A JSON value and the field path that leads to it ("items[3].dest").
struct Field {
  const json &j;
  std::string where;

  [[noreturn]] void fail(const std::string &what) const {
    throw InputError(fmt::format("{}: {}", where, what));
  }

  [[nodiscard]] Field at(const char *name) const {
    if (!j.is_object()) {
      fail("is not an object");
    }
    const auto it = j.find(name);
    const std::string path = where.empty() ? name : where + "." + name;
    if (it == j.end()) {
      throw InputError(path + ": missing");
    }
    return {*it, path};
  }

  [[nodiscard]] bool has(const char *name) const { return j.is_object() && j.contains(name); }

  [[nodiscard]] Field at(std::size_t index) const {
    return {j.at(index), fmt::format("{}[{}]", where, index)};
  }

  [[nodiscard]] std::string str() const {
    if (!j.is_string()) {
      fail(fmt::format("is {}, not a string", a_type(j)));
    }
    return j.get<std::string>();
  }

  [[nodiscard]] std::uint64_t u64() const {
    if (!j.is_number_unsigned() && !(j.is_number_integer() && j.get<std::int64_t>() >= 0)) {
      fail(fmt::format("is {}, not a non-negative integer", a_type(j)));
    }
    return j.get<std::uint64_t>();
  }

  [[nodiscard]] bool boolean() const {
    if (!j.is_boolean()) {
      fail(fmt::format("is {}, not true or false", a_type(j)));
    }
    return j.get<bool>();
  }

  [[nodiscard]] const json &array() const {
    if (!j.is_array()) {
      fail(fmt::format("is {}, not an array", a_type(j)));
    }
    return j;
  }

  [[nodiscard]] std::vector<std::string> strings() const {
    std::vector<std::string> out;
    const json &a = array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      out.push_back(at(i).str());
    }
    return out;
  }

  template <typename T, typename F> [[nodiscard]] std::vector<T> list(F &&read) const {
    std::vector<T> out;
    const json &a = array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      out.push_back(read(at(i)));
    }
    return out;
  }

  template <typename T, typename F> [[nodiscard]] T parsed(F &&parse) const {
    try {
      return parse(str());
    } catch (const InputError &e) {
      fail(e.what());
    }
  }
};

DiskIdentity identity_from(const Field &f) {
  DiskIdentity d;
  d.path = f.at("path").str();
  d.by_id = f.at("by_id").strings();
  d.serial = f.at("serial").str();
  d.model = f.at("model").str();
  d.size = f.at("size").u64();
  d.table_type = f.at("table_type").str();
  d.table_id = f.at("table_id").str();
  d.partition_uuids = f.at("partition_uuids").strings();
  d.fs_uuids = f.at("fs_uuids").strings();
  return d;
}

PlanItem item_from(const Field &f) {
  PlanItem i;
  i.kind = f.at("kind").parsed<ItemKind>(parse_item_kind);
  i.vm = f.at("vm").str();
  i.source = f.at("source").str();
  i.dest = f.at("dest").str();
  i.new_path = f.at("new_path").str();
  i.format = f.at("format").str();
  if (f.j.contains("convert_from")) { // added after schema 1 was out
    i.convert_from = f.at("convert_from").str();
  }
  i.size = f.at("size").u64();
  i.allocated = f.at("allocated").u64();
  // Added after schema 1 was out: answer files without it still load.
  if (f.j.contains("guest_disk")) {
    i.guest_disk = f.at("guest_disk").str();
  }
  i.secret = f.at("secret").boolean();
  i.new_backing_name = f.at("new_backing_name").str();
  i.new_backing_format = f.at("new_backing_format").str();
  i.rewritten = f.at("rewritten").boolean();
  i.autostart = f.at("autostart").boolean();
  return i;
}

PathRewrite rewrite_from(const Field &f) {
  PathRewrite r;
  r.vm = f.at("vm").str();
  r.file = f.at("file").str();
  r.from = f.at("from").str();
  r.to = f.at("to").str();
  r.block_to_file = f.at("block_to_file").boolean();
  r.new_format = f.at("new_format").str();
  r.eject = f.has("eject") && f.at("eject").boolean(); // absent in older plans
  r.reason = f.at("reason").str();
  return r;
}

PlanTarget target_from(const Field &f) {
  PlanTarget t;
  t.kind = f.at("kind").parsed<TargetKind>(parse_target_kind);
  t.path = f.at("path").str();
  const Field disk = f.at("disk");
  if (!disk.j.is_null()) {
    t.disk = identity_from(disk);
  }
  t.fs_type = f.at("fs_type").str();
  t.el7_compatible = f.at("el7_compatible").boolean();
  t.label = f.at("label").str();
  t.oemdrv = f.at("oemdrv").boolean();
  t.capacity = f.at("capacity").u64();
  t.fs_uuid = f.at("fs_uuid").str();
  // Absent in plans made before the network target.
  t.host_key = f.has("host_key") ? f.at("host_key").str() : "";
  t.known_hosts = f.has("known_hosts") ? f.at("known_hosts").str() : "";
  t.identity = f.has("identity") ? f.at("identity").str() : "";
  if (f.has("network")) {
    const Field n = f.at("network");
    t.network.nic = n.at("nic").str();
    t.network.method = n.at("method").str();
    if (!t.network.method.empty() && t.network.method != "dhcp" && t.network.method != "static") {
      n.at("method").fail(fmt::format(R"("{}" is not "", "dhcp" or "static")", t.network.method));
    }
    t.network.address = n.at("address").str();
    t.network.gateway = n.at("gateway").str();
    t.network.dns = n.at("dns").str();
  }
  return t;
}

// Absent in plans made before the network target: nothing started.
RestoreChoices restore_from(const Field &f) {
  RestoreChoices r;
  r.start = f.at("start").boolean();
  r.allow_emulation = f.at("allow_emulation").boolean();
  r.renames = f.at("renames").list<RestoreRename>([](const Field &e) {
    return RestoreRename{e.at("from").str(), e.at("to").str()};
  });
  return r;
}

// A secret field of the answer file; `plan --json` prints kHidden instead.
std::string secret_str(const Field &f) {
  std::string v = f.str();
  if (v == kHidden) {
    f.fail("was printed with its secrets hidden (plan --json): use the answer file that "
           "`plan -o` or the wizard saved");
  }
  return v;
}

std::vector<std::string> secret_strings(const Field &f) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < f.array().size(); ++i) {
    out.push_back(secret_str(f.at(i)));
  }
  return out;
}

scan::Logins logins_from(const Field &f) {
  scan::Logins l;
  l.root_hash = secret_str(f.at("root_hash"));
  l.root_keys = secret_strings(f.at("root_keys"));
  l.admins = f.at("users").list<scan::AdminAccount>([](const Field &u) {
    return scan::AdminAccount{u.at("name").str(), u.at("gecos").str(), secret_str(u.at("hash")),
                              u.at("groups").strings(), secret_strings(u.at("ssh_keys"))};
  });
  l.sudoers = f.at("sudoers").list<scan::SudoersFile>([](const Field &e) {
    return scan::SudoersFile{e.at("name").str(), secret_str(e.at("content"))};
  });
  return l;
}

KickstartChoices kickstart_from(const Field &f) {
  KickstartChoices k;
  k.dialect = f.at("dialect").str();
  k.os_disk = f.at("os_disk").str();
  if (f.j.contains("data_disk")) { // added after schema version 1's first plans
    k.data_disk = f.at("data_disk").str();
  }
  k.hostname = f.at("hostname").str();
  const Field nics = f.at("nic_map");
  if (!nics.j.is_object()) {
    nics.fail(fmt::format("is {}, not an object", a_type(nics.j)));
  }
  for (const auto &[name, value] : nics.j.items()) {
    k.nic_map[name] = nics.at(name.c_str()).str();
  }
  k.root_password = f.at("root_password").str();
  k.root_password_hash = secret_str(f.at("root_password_hash"));
  k.ssh_key = f.at("ssh_key").str();
  if (f.has("old_logins")) { // plans before issue 21 have none
    k.old_logins = logins_from(f.at("old_logins"));
  }
  k.timezone = f.at("timezone").str();
  k.lang = f.at("lang").str();
  k.keyboard = f.at("keyboard").str();
  k.install_source = f.at("install_source").str();
  k.install_url = f.at("install_url").str();
  k.oemdrv = f.at("oemdrv").boolean();
  return k;
}

PlanLayout layout_from(const Field &f) {
  PlanLayout l;
  l.images_dir = f.at("images_dir").str();
  l.relocated_dir = f.at("relocated_dir").str();
  l.lv_dir = f.at("lv_dir").str();
  l.state_dir = f.at("state_dir").str();
  return l;
}

void write_all(int fd, const std::string &path, const std::string &data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw SysError(path, "write", errno);
    }
    done += static_cast<std::size_t>(n);
  }
}

std::string parent_dir(const std::string &path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

json to_json(const RescuePlan &p) {
  json sources = json::array();
  for (const auto &s : p.sources) {
    sources.push_back(identity_json(s));
  }
  json items = json::array();
  for (const auto &i : p.items) {
    items.push_back(item_json(i));
  }
  json rewrites = json::array();
  for (const auto &r : p.rewrites) {
    rewrites.push_back(rewrite_json(r));
  }
  return {{"schema_version", p.schema_version},
          {"kind", kPlanKind},
          {"created", p.created},
          {"generator", p.generator},
          {"sources", sources},
          {"backend", p.backend},
          {"old_hostname", p.old_hostname},
          {"vms", p.vms},
          {"skipped", p.skipped},
          {"target", target_json(p.target)},
          {"layout", layout_json(p.layout)},
          {"items", items},
          {"rewrites", rewrites},
          {"bytes_needed", p.bytes_needed},
          {"kickstart", kickstart_json(p.kickstart)},
          {"restore", restore_json(p.restore)},
          {"host", p.host},
          {"warnings", p.warnings}};
}

json to_redacted_json(const RescuePlan &p) {
  json j = to_json(p);
  json &k = j["kickstart"];
  const auto hide = [](json &v) {
    if (!v.get<std::string>().empty()) {
      v = kHidden;
    }
  };
  const auto hide_all = [](json &a) {
    for (auto &v : a) {
      v = kHidden;
    }
  };
  hide(k["root_password_hash"]);
  json &l = k["old_logins"];
  hide(l["root_hash"]);
  hide_all(l["root_keys"]);
  for (auto &u : l["users"]) {
    hide(u["hash"]);
    hide_all(u["ssh_keys"]);
  }
  for (auto &f : l["sudoers"]) {
    f["content"] = kHidden;
  }
  return j;
}

RescuePlan plan_from_json(const json &j) {
  const Field root{j, ""};
  if (!j.is_object()) {
    throw InputError(fmt::format("the plan is {}, not an object", a_type(j)));
  }
  RescuePlan p;
  const Field version = root.at("schema_version");
  if (!version.j.is_number_integer() || version.j.get<std::int64_t>() != kSchemaVersion) {
    version.fail(fmt::format("{} is not a schema version this kvm-rescue reads (it reads {})",
                             version.j.dump(), kSchemaVersion));
  }
  p.schema_version = kSchemaVersion;
  const Field kind = root.at("kind");
  if (kind.str() != kPlanKind) {
    kind.fail(fmt::format(R"("{}" is not a plan ("{}"))", kind.str(), kPlanKind));
  }
  p.created = root.at("created").str();
  p.generator = root.at("generator").str();
  p.sources = root.at("sources").list<DiskIdentity>(identity_from);
  p.backend = root.at("backend").str();
  p.old_hostname = root.at("old_hostname").str();
  p.vms = root.at("vms").strings();
  p.skipped = root.at("skipped").strings();
  p.target = target_from(root.at("target"));
  p.layout = layout_from(root.at("layout"));
  p.items = root.at("items").list<PlanItem>(item_from);
  p.rewrites = root.at("rewrites").list<PathRewrite>(rewrite_from);
  p.bytes_needed = root.at("bytes_needed").u64();
  p.kickstart = kickstart_from(root.at("kickstart"));
  if (root.has("restore")) {
    p.restore = restore_from(root.at("restore"));
  }
  p.host = root.at("host").j;
  p.warnings = root.at("warnings").strings();
  return p;
}

void save_plan(const RescuePlan &p, const std::string &path) {
  const std::string text =
      to_json(p).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  const std::string partial = path + ".partial";
  UniqueFd fd(::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    throw SysError(partial, "create", errno);
  }
  try {
    if (::fchmod(fd.get(), 0600) != 0) {
      throw SysError(partial, "chmod 0600", errno);
    }
    write_all(fd.get(), partial, text);
    if (::fsync(fd.get()) != 0) {
      throw SysError(partial, "fsync", errno);
    }
    fd.close(partial);
    if (::rename(partial.c_str(), path.c_str()) != 0) {
      throw SysError(path, "rename from " + partial, errno);
    }
  } catch (...) {
    ::unlink(partial.c_str());
    throw;
  }
  const std::string dir = parent_dir(path);
  UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.valid()) {
    (void)::fsync(d.get()); // the rename lasts; a failure here loses nothing written
  }
}

RescuePlan load_plan(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError(fmt::format("{}: cannot read the plan: {}", path, std::strerror(errno)));
  }
  std::ostringstream s;
  s << in.rdbuf();
  json j;
  try {
    j = json::parse(s.str());
  } catch (const json::parse_error &e) {
    throw InputError(
        fmt::format("{}: not a complete JSON document (truncated?): {}", path, e.what()));
  }
  RescuePlan p;
  try {
    p = plan_from_json(j);
  } catch (const InputError &e) {
    throw InputError(fmt::format("{}: {}", path, e.what()));
  }
  // A key file named relative to the answer file is on the same stick.
  for (std::string *file : {&p.target.identity, &p.target.known_hosts}) {
    if (!file->empty() && !file->starts_with('/')) {
      *file = parent_dir(path) + "/" + *file;
    }
  }
  return p;
}

} // namespace kvmr::plan
