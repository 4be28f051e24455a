// Helpers shared by the rescue unit tests: a private temporary directory
// and running a shell line (to build real images with real tools).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace kvmr::test {

class TempDir {
public:
  TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  TempDir(TempDir &&) = delete;
  TempDir &operator=(TempDir &&) = delete;
  ~TempDir();
  [[nodiscard]] const std::filesystem::path &path() const { return path_; }
  [[nodiscard]] std::string operator/(const std::string &name) const {
    return (path_ / name).string();
  }

private:
  std::filesystem::path path_;
};

// Runs LINE with bash -euo pipefail; fails the test when it exits non-zero.
void sh(const std::string &line);

// The same, returning LINE's standard output.
std::string sh_out(const std::string &line);

// A qcow2 IMAGE of SIZE ("16M") made by qemu-img, then qemu-io's
// `write -P W` for each of WRITES ("0xaa 1M 64k": pattern, offset, length).
void make_qcow2(const std::string &image, const std::string &size,
                const std::vector<std::string> &writes = {});

// True when PROGRAM is on PATH.
bool have(const std::string &program);

// SHA-256 of a file, as sha256sum prints it.
std::string sha256_of(const std::string &path);

// The standard output of shell LINE (popen); fails the test when it cannot
// be started.
std::string capture(const std::string &line);

} // namespace kvmr::test
