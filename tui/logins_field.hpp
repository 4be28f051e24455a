// The New host screen's "Logins" row: how the admin gets into the rebuilt
// host. Same as the old host (its root password and keys, and its admin
// accounts: the default), a new root password typed twice and hashed
// here, or root locked with an SSH public key read from a file (a stick).
#pragma once

#include "rescue/plan/plan.hpp"
#include "tui/ui.hpp"

#include <optional>
#include <string>

namespace kvmr::tui {

// The row's value in words (names and counts only).
std::string logins_row(const plan::KickstartChoices &ks);

// Enter, Space, Left or Right cycle the policy (Left backwards); Enter
// then asks what the new one needs (the password twice, the key file). Nothing typed is logged or
// kept but the hash and the public key.
void change_logins(Ui &ui, plan::KickstartChoices &ks, Key k);

// Why the choices leave nobody a way in (or lack the new password).
std::optional<std::string> logins_refusal(const plan::KickstartChoices &ks);

} // namespace kvmr::tui
