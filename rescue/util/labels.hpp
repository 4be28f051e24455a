// Filesystem labels kvm-rescue writes or looks for, in one place so that
// they stay apart: a label shared by two filesystems makes
// /dev/disk/by-label point at either, and the EL rescue medium boots with
// root=live:CDLABEL=KVMRESCUE.
#pragma once

#include <string_view>

namespace kvmr {

// The rescue media's volume label (iso/build-debian, iso/el).
inline constexpr std::string_view kRescueMediumLabel = "KVMRESCUE";

// The data filesystem a prepared target gets (at most 12 characters: the
// XFS limit).
inline constexpr std::string_view kDataLabel = "KVMR-IMAGES";

// The data label of targets prepared before it changed (it was the
// medium's label); such a disk is still recognised as a kvm-rescue data
// disk, and a plan that names it still resumes on it.
inline constexpr std::string_view kOldDataLabel = "KVMRESCUE";

static_assert(kDataLabel != kRescueMediumLabel && kDataLabel.size() <= 12);

} // namespace kvmr
