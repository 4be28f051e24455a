// The restore script on the data disk (see restore_on_disk.hpp).
#include "rescue/flow/restore_on_disk.hpp"

#include "kickstart/dialect.hpp"
#include "kickstart/payload_facts.hpp"
#include "kickstart/profile_build.hpp"
#include "kickstart/restore.hpp"
#include "kickstart/restore_where.hpp"
#include "rescue/run/atomic_text.hpp"

#include <fmt/format.h>

namespace kvmr::flow {

std::string restore_script_file(const plan::RescuePlan &p, const std::string &target_root) {
  return fmt::format("{}/{}/{}", target_root, p.layout.state_dir, kickstart::kRestoreScriptName);
}

std::string restore_script_on_host(const plan::RescuePlan &p) {
  return restore_script_file(p, p.layout.images_dir);
}

void write_restore_script(const plan::RescuePlan &p, const std::string &target_root) {
  const kickstart::PayloadFacts facts = kickstart::read_payload_facts(p, target_root);
  const kickstart::RestoreSpec spec =
      kickstart::build_restore_spec(p, kickstart::parse_dialect(p.kickstart.dialect), facts);
  run::write_text_atomic(restore_script_file(p, target_root),
                         kickstart::render_restore_script(spec), 0700);
}

std::string restore_script_step(const plan::RescuePlan &p) {
  return fmt::format("or, on another KVM host that has virsh and xmllint: mount this disk at {} "
                     "and run {} --dry-run, then without --dry-run (README: \"Restoring on "
                     "another KVM host\")",
                     p.layout.images_dir, restore_script_on_host(p));
}

} // namespace kvmr::flow
