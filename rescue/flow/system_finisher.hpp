// The finishing steps of a copy done for real: rescue/finish with the
// system's qemu-img and virt-xml-validate behind run::Finisher.
#pragma once

#include "rescue/run/finisher.hpp"

#include <memory>

namespace kvmr::flow {

std::unique_ptr<run::Finisher> system_finisher();

} // namespace kvmr::flow
