// Plans and manifests for the kvmr_run tests: a small plan with two VMs
// (one qcow2 overlay on a base image, one LV-backed) and its payload.
#pragma once

#include "rescue/plan/plan.hpp"
#include "rescue/run/manifest.hpp"

namespace kvmr::test {

plan::RescuePlan sample_plan();
// The manifest of SAMPLE_PLAN with every item copied cleanly.
run::Manifest copied_manifest(const plan::RescuePlan &p);

} // namespace kvmr::test
