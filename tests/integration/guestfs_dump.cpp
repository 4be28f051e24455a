// guestfs_dump: test-only helper of guestfs_tree_test.py. Opens disk
// images through guestfs::GuestfsTree and prints, as JSON, what the tree
// found and mounted and the SHA-256 of the files named on the command line
// (a directory: its regular files, one level), so the test can compare
// them with the same files read through kernel mounts.
//
//   guestfs_dump [--no-inspect|--inspect-first] [--log FILE] IMAGE... -- PATH...
//   guestfs_dump --launch-only [--log FILE]   (can any appliance start here?)
//
// Exit status: 0 done, 2 the appliance did not launch (message on stderr),
// 1 any other failure.
#include "rescue/guestfs/guestfs_tree.hpp"
#include "rescue/util/error.hpp"

#include "tests/integration/appliance_driver.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <unistd.h>

namespace {

using kvmr::guestfs::GuestfsError;
using kvmr::guestfs::GuestfsTree;
using kvmr::io::FileType;
using nlohmann::json;

const char *type_name(FileType t) {
  switch (t) {
  case FileType::regular: return "regular";
  case FileType::directory: return "directory";
  case FileType::symlink: return "symlink";
  case FileType::block_device: return "block_device";
  case FileType::other: return "other";
  }
  return "?";
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

json file_entry(GuestfsTree &tree, const std::string &path) {
  const auto st = tree.lstat(path);
  if (!st) {
    return nullptr;
  }
  json j{{"type", type_name(st->type)}, {"size", st->size}, {"mode", st->mode}};
  if (st->type == FileType::regular) {
    j["sha256"] = tree.sha256(path);
  } else if (st->type == FileType::symlink) {
    j["target"] = tree.readlink(path);
  }
  return j;
}

void dump_path(GuestfsTree &tree, const std::string &path, json &files) {
  const auto st = tree.lstat(path);
  if (st && st->type == FileType::directory) {
    json names = json::array();
    for (const auto &e : tree.list(path)) {
      names.push_back(e.name);
      if (e.type == FileType::regular) {
        files[path + "/" + e.name] = file_entry(tree, path + "/" + e.name);
      }
    }
    files[path] = {{"type", "directory"}, {"entries", names}};
    return;
  }
  files[path] = file_entry(tree, path);
}

// An appliance over a 1 MiB blank read-only drive (libguestfs needs one).

int run(int argc, char **argv) {
  std::vector<std::string> images;
  std::vector<std::string> paths;
  kvmr::guestfs::GuestfsTreeOptions opts;
  std::string log;
  bool after_dashes = false;
  bool probe = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (after_dashes) {
      paths.push_back(a);
    } else if (a == "--") {
      after_dashes = true;
    } else if (a == "--launch-only") {
      probe = true;
    } else if (a == "--no-inspect") {
      opts.inspect = false;
    } else if (a == "--inspect-first") {
      opts.inspect_first = true;
    } else if (a == "--log" && i + 1 < argc) {
      log = argv[++i];
    } else {
      images.push_back(a);
    }
  }
  kvmr::test::FileSink sink(log);
  if (probe) {
    return kvmr::test::launch_only(sink, "guestfs_dump");
  }
  opts.sink = &sink;
  const auto started = std::chrono::steady_clock::now();
  std::unique_ptr<GuestfsTree> tree;
  try {
    tree = std::make_unique<GuestfsTree>(images, opts);
  } catch (const GuestfsError &e) {
    std::cerr << "guestfs_dump: " << e.what() << '\n';
    return e.call() == "launch" ? 2 : 1;
  }
  const double open_s = seconds_since(started);
  json out;
  out["describe"] = tree->describe();
  out["root_device"] = tree->root_device();
  out["inspected_roots"] = tree->inspected_roots();
  out["inspection_error"] = tree->inspection_error();
  for (const auto &fs : tree->filesystems()) {
    out["filesystems"].push_back({{"device", fs.device},
                                  {"type", fs.type},
                                  {"uuid", fs.uuid},
                                  {"label", fs.label},
                                  {"partuuid", fs.partuuid}});
  }
  for (const auto &m : tree->mounts()) {
    out["mounts"].push_back({{"spec", m.spec},
                             {"mountpoint", m.mountpoint},
                             {"fstype", m.fstype},
                             {"device", m.device},
                             {"options", m.options},
                             {"state", kvmr::guestfs::to_string(m.state)},
                             {"reason", m.reason}});
  }
  const auto hashing = std::chrono::steady_clock::now();
  json files = json::object();
  for (const auto &p : paths) {
    dump_path(*tree, p, files);
  }
  out["files"] = files;
  out["hostname"] = tree->read_file("/etc/hostname", 4096);
  try {
    static_cast<void>(tree->read_file("/etc/fstab", 16));
    out["read_file_limit"] = "not enforced";
  } catch (const kvmr::InputError &e) {
    out["read_file_limit"] = e.what();
  }
  out["missing_path"] = tree->lstat("/etc/no/such/file") ? "found" : "absent";
  const double hash_s = seconds_since(hashing);
  const auto closing = std::chrono::steady_clock::now();
  tree->close();
  out["timings"] = {{"open_s", open_s}, {"files_s", hash_s}, {"close_s", seconds_since(closing)}};
  std::cout << out.dump(2) << '\n';
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception &e) {
    std::cerr << "guestfs_dump: " << e.what() << '\n';
    return 1;
  }
}
