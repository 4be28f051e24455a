// Test helpers (see test_util.hpp).
#include "unit/rescue/test_util.hpp"

#include "kickstart/shell_quote.hpp"
#include "rescue/util/command.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace kvmr::test {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "kvmr-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string sh_out(const std::string &line) {
  SystemCommandRunner r;
  const auto res = r.run({"bash", "-euo", "pipefail", "-c", line}, std::chrono::seconds(120));
  INFO("command: " << line << "\nstdout: " << res.out << "\nstderr: " << res.err);
  REQUIRE(res.exit_code == 0);
  return res.out;
}

void sh(const std::string &line) {
  sh_out(line);
}

void make_qcow2(const std::string &image, const std::string &size,
                const std::vector<std::string> &writes) {
  std::string line = "qemu-img create -q -f qcow2 " + kickstart::shell_quote(image) + " " + size;
  if (!writes.empty()) {
    line += " && qemu-io";
    for (const auto &w : writes) {
      line += " -c " + kickstart::shell_quote("write -P " + w);
    }
    line += " " + kickstart::shell_quote(image) + " >/dev/null";
  }
  sh(line);
}

bool have(const std::string &program) {
  SystemCommandRunner r;
  return r.run({"bash", "-c", "command -v " + kickstart::shell_quote(program)},
               std::chrono::seconds(10))
             .exit_code == 0;
}

std::string sha256_of(const std::string &path) {
  SystemCommandRunner r;
  const auto res = r.run({"sha256sum", path}, std::chrono::seconds(120));
  REQUIRE(res.exit_code == 0);
  return res.out.substr(0, 64);
}

std::string capture(const std::string &line) {
  std::unique_ptr<FILE, int (*)(FILE *)> p(::popen(line.c_str(), "r"), ::pclose);
  REQUIRE(p != nullptr);
  std::string out;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p.get())) > 0) {
    out.append(buf.data(), n);
  }
  return out;
}

} // namespace kvmr::test
