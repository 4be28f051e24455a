// The network target's password on the command line's side: never an
// argument. `--password-stdin` reads it as one line from standard input
// (scripts, tests); without it and without --identity, a terminal on
// standard input is asked once, without echo ("root@HOST's password: ").
// The password then goes to the SSH link only (remote/ssh_link.hpp).
#pragma once

#include <istream>
#include <string>

namespace kvmr::cli {

// The password for TARGET (an ssh:// address), or "" when none is to be
// had: an IDENTITY is given, or standard input is no terminal (the link
// then says what is missing). Throws InputError for --password-stdin
// with --identity or with nothing to read; Interrupted for Ctrl-C at
// the prompt (the terminal's echo restored first). Call it while the
// signals are not held (signals.hpp).
std::string target_password(const std::string &target, const std::string &identity,
                            bool from_stdin);

// One line of IN without its line end; InputError at end of input.
std::string password_line(std::istream &in);

} // namespace kvmr::cli
