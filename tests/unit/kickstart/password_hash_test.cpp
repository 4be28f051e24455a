// A new root password hashed here: the same hash as `openssl passwd -6`
// for the same salt, a fresh salt each time, and refusals of what a
// password file's first line cannot hold.
#include "kickstart/password_hash.hpp"
#include "kickstart/shell_quote.hpp"
#include "rescue/util/error.hpp"
#include "unit/rescue/test_util.hpp"
#include "unit/skip.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <string>

using namespace kvmr;

namespace {

std::string openssl_sha512(const std::string &password, const std::string &salt) {
  std::string out = test::sh_out("openssl passwd -6 -salt " + kickstart::shell_quote(salt) +
                                 " -stdin <<<" + kickstart::shell_quote(password));
  while (!out.empty() && out.back() == '\n') {
    out.pop_back();
  }
  return out;
}

void write_text(const std::string &path, const std::string &text) {
  std::ofstream(path, std::ios::binary) << text;
}

} // namespace

TEST_CASE("SHA-512 crypt agrees with openssl passwd -6" * doctest::test_suite("tools")) {
  KVMR_SKIP_UNLESS(test::have("openssl"), "openssl is not on PATH (scripts/setup installs it)");
  for (const std::string pw : {"hunter2", "パスワード with spaces", "a'b\"c$(d)`e`"}) {
    CAPTURE(pw);
    CHECK(kickstart::sha512_crypt(pw, "$6$kvmrTestSalt$") == openssl_sha512(pw, "kvmrTestSalt"));
  }
}

TEST_CASE("a fresh salt each time, and what a password cannot be") {
  const std::string a = kickstart::sha512_crypt("hunter2");
  const std::string b = kickstart::sha512_crypt("hunter2");
  CHECK(a.starts_with("$6$"));
  CHECK(a != b);
  // The setting is the hash's own prefix: hashing again with it gives it.
  CHECK(kickstart::sha512_crypt("hunter2", a) == a);
  CHECK(kickstart::sha512_crypt("hunter3", a) != a);
  CHECK_THROWS_AS(kickstart::sha512_crypt(""), InputError);
  CHECK_THROWS_AS(kickstart::sha512_crypt("a\nb"), InputError);
  CHECK_THROWS_AS(kickstart::sha512_crypt(std::string("a\0b", 3)), InputError);
}

TEST_CASE("a password file: its first line, named in errors") {
  const test::TempDir dir;
  write_text(dir / "pw", "s3cret\r\nsecond line ignored\n");
  const std::string h = kickstart::hash_password_file(dir / "pw");
  CHECK(kickstart::sha512_crypt("s3cret", h) == h);
  write_text(dir / "empty", "\n");
  try {
    (void)kickstart::hash_password_file(dir / "empty");
    FAIL("an empty password was taken");
  } catch (const InputError &e) {
    CHECK(std::string(e.what()).find(dir / "empty") != std::string::npos);
  }
  CHECK_THROWS_AS(kickstart::hash_password_file(dir / "missing"), InputError);
}
