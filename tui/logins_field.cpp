// The New host screen's logins row (see logins_field.hpp).
#include "tui/logins_field.hpp"

#include "kickstart/logins.hpp"
#include "kickstart/password_hash.hpp"
#include "rescue/plan/plan_build.hpp"
#include "tui/widgets.hpp"

#include <algorithm>
#include <exception>
#include <vector>

namespace kvmr::tui {
namespace {

const std::vector<std::string> kPolicies{"keep-old", "hash", "locked"};

void wipe(std::string &s) {
  std::fill(s.begin(), s.end(), '\0');
  s.clear();
}

// The new password, typed twice; its SHA-512 crypt hash into KS.
void ask_new_password(Ui &ui, plan::KickstartChoices &ks) {
  auto first = ask_secret(ui, "New root password", "Type the new root password:");
  if (!first || first->empty()) {
    return;
  }
  auto again = ask_secret(ui, "New root password", "Type it again:");
  if (!again || *again != *first) {
    message_box(ui, "New root password", "The two passwords differ: nothing was changed.");
  } else {
    try {
      ks.root_password_hash = kickstart::sha512_crypt(*first);
    } catch (const std::exception &e) {
      message_box(ui, "New root password", e.what());
    }
  }
  wipe(*first);
  if (again) {
    wipe(*again);
  }
}

void ask_key_file(Ui &ui, plan::KickstartChoices &ks) {
  const auto file = ask_text(ui, "SSH key for root",
                             "The file holding the public key root logs in with (for example "
                             "on a USB stick mounted here):");
  if (!file || file->empty()) {
    return;
  }
  try {
    ks.ssh_key = kickstart::read_public_key(*file);
  } catch (const std::exception &e) {
    message_box(ui, "SSH key for root", e.what());
  }
}

} // namespace

std::string logins_row(const plan::KickstartChoices &ks) {
  if (ks.root_password == "hash" && ks.root_password_hash.empty()) {
    return "a new root password (Enter: type it)";
  }
  return plan::logins_choice(ks);
}

void change_logins(Ui &ui, plan::KickstartChoices &ks, Key k) {
  const auto it = std::find(kPolicies.begin(), kPolicies.end(), ks.root_password);
  const std::size_t n =
      it == kPolicies.end() ? 0 : static_cast<std::size_t>(it - kPolicies.begin());
  const std::size_t size = kPolicies.size();
  ks.root_password = kPolicies[k == kLeft ? (n + size - 1) % size : (n + 1) % size];
  if (k != kEnter) {
    return;
  }
  if (ks.root_password == "hash") {
    ask_new_password(ui, ks);
  } else if (ks.root_password == "locked") {
    ask_key_file(ui, ks);
  }
}

std::optional<std::string> logins_refusal(const plan::KickstartChoices &ks) {
  if (ks.root_password == "hash" && ks.root_password_hash.empty()) {
    return "Type the new root password (Enter on the Logins row), or choose another way in.";
  }
  if (!plan::gives_way_in(ks)) {
    return "Nobody could log in to the new host: the old host had no root password, key or "
           "admin account to carry over. Choose a new root password or an SSH key file on the "
           "Logins row.";
  }
  return std::nullopt;
}

} // namespace kvmr::tui
