// copy_file: test-only driver of the copy engine for one file. Copies SRC
// to DST with copy::copy_item (SHA-256, 512-byte sectors, one retry pass)
// and prints the result as JSON: size, hash, bytes read, the bad ranges
// and the mapfile kept for them.
//
//   copy_file [--buffered] SRC DST
//
// --buffered reads (and narrows failed reads) with ordinary page-cache
// reads instead of direct ones, to show what that loses.
// Exit status: 0 copied (bad sectors or not), 1 an error (on stderr).
#include "rescue/copy/copy_item.hpp"
#include "rescue/io/file_byte_source.hpp"

#include <nlohmann/json.hpp>

#include <exception>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  kvmr::copy::CopyOptions opt;
  opt.hash = kvmr::copy::HashKind::sha256;
  opt.sector_size = 512;
  opt.retry_passes = 1;
  if (!args.empty() && args.front() == "--buffered") {
    opt.direct_read = false;
    opt.direct_split = false;
    args.erase(args.begin());
  }
  if (args.size() != 2) {
    std::cerr << "usage: copy_file [--buffered] SRC DST\n";
    return 2;
  }
  try {
    kvmr::io::FileByteSource src(args[0]);
    const auto r = kvmr::copy::copy_item(src, args[1], opt, nullptr);
    nlohmann::json bad = nlohmann::json::array();
    for (const auto &b : r.bad_ranges) {
      bad.push_back({b.offset, b.length});
    }
    const nlohmann::json out = {
        {"size", r.size}, {"hash", r.hash},    {"bytes_read", r.bytes_read},
        {"bad", bad},     {"map", r.map_path}, {"data_bytes", r.data_bytes}};
    std::cout << out.dump() << "\n";
  } catch (const std::exception &e) {
    std::cerr << "copy_file: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
