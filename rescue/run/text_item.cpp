// Small payload files (see text_item.hpp).
#include "rescue/run/text_item.hpp"

#include "rescue/copy/copy_error.hpp"
#include "rescue/run/atomic_text.hpp"
#include "rescue/util/error.hpp"

#include <cerrno>
#include <fstream>
#include <span>
#include <sstream>
#include <sys/stat.h>
#include <utility>

namespace kvmr::run {
namespace {

std::span<const std::byte> bytes_of(const std::string &s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

} // namespace

TextWrite write_text_item(const std::string &path, const std::string &content, bool secret,
                          copy::HashKind hash) {
  write_text_atomic(path, content, secret ? 0600 : 0644);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw SysError(path, "open to verify", errno);
  }
  // Read through rdbuf: GCC 12 at -O3 reports a bogus -Wnull-dereference
  // inside std::istreambuf_iterator when it builds a string from one.
  std::ostringstream read_back;
  read_back << in.rdbuf();
  const std::string back = std::move(read_back).str();
  if (back != content) {
    throw copy::VerifyMismatch(path + ": the bytes read back differ from those written", 0);
  }
  TextWrite w;
  w.hash = copy::hash_hex(hash, bytes_of(back));
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    w.allocated = static_cast<std::uint64_t>(st.st_blocks) * 512U;
  }
  return w;
}

} // namespace kvmr::run
