// Image fixture helpers (see image_fixture.hpp).
#include "unit/scan/image_fixture.hpp"

#include "unit/rescue/test_util.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <stdexcept>

namespace kvmr::test {

std::string slurp(const std::string &path) {
  // One read of the whole file: an istreambuf_iterator goes a character
  // at a time, seconds for a 64 MiB image under the sanitizers.
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    throw std::runtime_error("cannot open " + path);
  }
  std::string out(static_cast<std::size_t>(in.tellg()), '\0');
  in.seekg(0);
  if (!in.read(out.data(), static_cast<std::streamsize>(out.size()))) {
    throw std::runtime_error("cannot read " + path);
  }
  return out;
}

void patch(const std::string &path, std::uint64_t offset, const std::string &data) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  if (!f) {
    throw std::runtime_error("cannot open " + path);
  }
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!f) {
    throw std::runtime_error("cannot patch " + path);
  }
}

std::string be(std::uint64_t value, int n) {
  std::string out;
  for (int i = n - 1; i >= 0; --i) {
    out.push_back(static_cast<char>((value >> (8U * static_cast<unsigned>(i))) & 0xffU));
  }
  return out;
}

bool need_qemu_img() {
  if (have("qemu-img")) {
    return true;
  }
  skip("qemu-img not installed (scripts/setup installs qemu-utils)");
  return false;
}

} // namespace kvmr::test
