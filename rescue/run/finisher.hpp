// The steps after an item's bytes are on the target: XML path rewrites,
// a new backing name in a qcow2 overlay, `qemu-img check`, and
// `virt-xml-validate`. An interface so execute_plan can be tested without
// the tools; flow::system_finisher() does them for real (rescue/finish).
#pragma once

#include "rescue/plan/plan.hpp"
#include "rescue/run/manifest.hpp"

#include <memory>
#include <string>
#include <vector>

namespace kvmr::run {

class Finisher {
public:
  Finisher() = default;
  Finisher(const Finisher &) = delete;
  Finisher &operator=(const Finisher &) = delete;
  Finisher(Finisher &&) = delete;
  Finisher &operator=(Finisher &&) = delete;
  virtual ~Finisher() = default;

  // ORIGINAL (the text of ITEM's XML file) with REWRITES applied. Throws
  // InputError naming the file when it cannot be rewritten.
  virtual std::string rewrite_xml(const plan::PlanItem &item, const std::string &original,
                                  const std::vector<plan::PathRewrite> &rewrites) = 0;
  // The XML file at PATH (ITEM's payload copy) against libvirt's schema.
  virtual CheckResult validate_xml(const plan::PlanItem &item, const std::string &path) = 0;
  // Writes NAME (and FORMAT) as the backing file of the qcow2 at PATH.
  // Throws InputError naming PATH on failure.
  virtual void set_backing(const std::string &path, const std::string &name,
                           const std::string &format) = 0;
  // Read-only consistency check of the image at PATH.
  virtual CheckResult check_image(const std::string &path, const std::string &format) = 0;
};

} // namespace kvmr::run
