// The damaged ranges of qcow2 images told in qcow2 terms: for each range
// of a qcow2 item in a RunReport, whether it hit the image's metadata
// (header, L1/L2 tables, refcounts, snapshots) or which guest offsets it
// held (scan::map_qcow2_damage). Read after the copy from the copies on
// the target, where the damaged ranges are zeros; summarize() stays pure
// and this step reads files through an injectable opener.
#pragma once

#include "rescue/io/byte_source.hpp"
#include "rescue/run/report.hpp"

#include <functional>
#include <memory>
#include <string>

namespace kvmr::run {

// Opens the copy at PATH for reading; throws when it cannot.
using ImageOpener = std::function<std::unique_ptr<io::ByteSource>(const std::string &path)>;

// Sets DamagedRange::qcow2 for every range of a qcow2 item of R, reading
// each copy once (TARGET_ROOT joined with its dest) through OPEN (empty:
// io::FileByteSource). A copy that cannot be read or mapped gives area
// "unknown" with the reason, never an exception.
void map_qcow2_damage(RunReport &r, const std::string &target_root, const ImageOpener &open = {});

} // namespace kvmr::run
