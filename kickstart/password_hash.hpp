// A new root password for the rebuilt host, hashed here so the kickstart
// carries only its crypt(3) hash (`rootpw --iscrypted`): SHA-512 crypt
// ("$6$", what EL7, EL8 and EL9 write by default) through libxcrypt.
#pragma once

#include <string>
#include <string_view>

namespace kvmr::kickstart {

// "$6$SALT$HASH" of PASSWORD with a fresh random salt. Throws InputError
// for an empty password or one holding a line break or NUL (a password
// file's first line is the password).
std::string sha512_crypt(std::string_view password);

// The same with the given SETTING ("$6$salt$"); for tests.
std::string sha512_crypt(std::string_view password, const std::string &setting);

// The first line of FILE as a new root password, hashed; the text read is
// wiped before returning. Throws InputError naming FILE.
std::string hash_password_file(const std::string &file);

} // namespace kvmr::kickstart
