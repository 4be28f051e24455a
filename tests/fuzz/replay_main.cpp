// The plain driver of the fuzz targets: without libFuzzer, it calls the
// target's LLVMFuzzerTestOneInput once on every file of the corpus
// directories (or files) named on the command line, in name order, so
// ctest replays each committed corpus under the test build's sanitizers.
// Fails when an argument names nothing readable or holds no input, so an
// empty or missing corpus never passes as "replayed".
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size);

namespace {

// The regular files at ARG: itself, or those directly inside it, sorted.
std::vector<std::filesystem::path> inputs_of(const std::filesystem::path &arg) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  if (std::filesystem::is_directory(arg, ec)) {
    for (const auto &e : std::filesystem::directory_iterator(arg, ec)) {
      if (e.is_regular_file()) {
        out.push_back(e.path());
      }
    }
    std::sort(out.begin(), out.end());
  } else if (std::filesystem::is_regular_file(arg, ec)) {
    out.push_back(arg);
  }
  return out;
}

bool replay(const std::filesystem::path &file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    (void)std::fprintf(stderr, "cannot read %s\n", file.c_str());
    return false;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  // A copy of exactly SIZE bytes on the heap, as libFuzzer passes it, so
  // ASan sees a read past the end.
  const std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
  (void)LLVMFuzzerTestOneInput(data.empty() ? nullptr : data.data(), data.size());
  return true;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    (void)std::fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  std::size_t total = 0;
  for (int i = 1; i < argc; ++i) {
    const auto files = inputs_of(argv[i]);
    if (files.empty()) {
      (void)std::fprintf(stderr, "%s: no input files\n", argv[i]);
      return 1;
    }
    for (const auto &f : files) {
      if (!replay(f)) {
        return 1;
      }
      ++total;
    }
  }
  std::printf("replayed %zu inputs\n", total);
  return 0;
}
