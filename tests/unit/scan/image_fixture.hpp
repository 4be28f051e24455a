// Helpers for the scan tests that build real images with qemu-img: read a
// file whole, and patch bytes of a copy to make a corrupt image.
#pragma once

#include <cstdint>
#include <string>

namespace kvmr::test {

// The whole content of PATH (a test fixture, so small).
std::string slurp(const std::string &path);

// Overwrites the bytes at OFFSET of PATH with DATA.
void patch(const std::string &path, std::uint64_t offset, const std::string &data);

// DATA as N big-endian bytes (N = 4 or 8), for patching header fields.
std::string be(std::uint64_t value, int n);

// Skips the calling test (unit/skip.hpp) when qemu-img is missing;
// returns false then.
bool need_qemu_img();

} // namespace kvmr::test
