// Names of the inventory's enums, as they appear in JSON and text output.
#include "rescue/disk/model.hpp"

namespace kvmr::disk {

const char *to_string(DiskStatus s) noexcept {
  switch (s) {
  case DiskStatus::ok: return "ok";
  case DiskStatus::problems: return "problems";
  case DiskStatus::blank: return "blank";
  case DiskStatus::unrecognised: return "unrecognised";
  case DiskStatus::error: return "error";
  }
  return "?";
}

const char *to_string(ChecksumVerdict v) noexcept {
  switch (v) {
  case ChecksumVerdict::ok: return "ok";
  case ChecksumVerdict::bad: return "bad";
  case ChecksumVerdict::none: return "none";
  case ChecksumVerdict::not_checked: return "not_checked";
  }
  return "?";
}

const char *to_string(ProbeOutcome o) noexcept {
  switch (o) {
  case ProbeOutcome::found: return "found";
  case ProbeOutcome::nothing: return "nothing";
  case ProbeOutcome::ambiguous: return "ambiguous";
  case ProbeOutcome::error: return "error";
  }
  return "?";
}

const char *to_string(PartitionState s) noexcept {
  switch (s) {
  case PartitionState::intact: return "intact";
  case PartitionState::damaged: return "damaged";
  case PartitionState::empty: return "empty";
  case PartitionState::unknown: return "unknown";
  }
  return "?";
}

const char *to_string(SmartStatus s) noexcept {
  switch (s) {
  case SmartStatus::passed: return "passed";
  case SmartStatus::failed: return "failed";
  case SmartStatus::unsupported: return "unsupported";
  case SmartStatus::not_applicable: return "not_applicable";
  case SmartStatus::unavailable: return "unavailable";
  }
  return "?";
}

const char *to_string(EvidenceState s) noexcept {
  switch (s) {
  case EvidenceState::ok: return "ok";
  case EvidenceState::missing: return "missing";
  case EvidenceState::damaged: return "damaged";
  case EvidenceState::not_checked: return "not_checked";
  case EvidenceState::not_applicable: return "not_applicable";
  }
  return "?";
}

const char *to_string(BootVerdict v) noexcept {
  switch (v) {
  case BootVerdict::boots: return "boots";
  case BootVerdict::does_not_boot: return "does_not_boot";
  case BootVerdict::unknown: return "unknown";
  case BootVerdict::not_applicable: return "not_applicable";
  }
  return "?";
}

} // namespace kvmr::disk
