// Internal to the host profile reader: careful file reads that turn every
// failure into a note, and the parts of read_host_profile that live in
// their own files (network, services, secrets).
#pragma once

#include "rescue/scan/host_profile.hpp"
#include "rescue/scan/shell_assign.hpp"

#include <optional>
#include <string>
#include <vector>

namespace kvmr::scan::detail {

inline constexpr std::uint64_t kMaxConfigBytes = std::uint64_t{1} << 20U;

enum class IfMissing { note, quiet };

// The content of PATH, or nullopt (with a note, unless quiet and missing).
std::optional<std::string> read_text(io::SourceTree &tree, const std::string &path,
                                     std::vector<SourceNote> &notes,
                                     IfMissing if_missing = IfMissing::note,
                                     std::uint64_t max_bytes = kMaxConfigBytes);

// read_text + parse_shell_assignments; the lexer's warnings become notes.
std::optional<ShellAssignments> read_shell(io::SourceTree &tree, const std::string &path,
                                           std::vector<SourceNote> &notes,
                                           IfMissing if_missing = IfMissing::note);

// SYSCONFIG is /etc/sysconfig/network when it could be read.
NetworkProfile read_network(io::SourceTree &tree, const ShellAssignments *sysconfig,
                            std::vector<SourceNote> &notes);

void read_services(io::SourceTree &tree, HostProfile &p);

KickstartInfo read_kickstart(io::SourceTree &tree, std::vector<SourceNote> &notes);

RootPassword read_root_password(io::SourceTree &tree, std::vector<SourceNote> &notes);

// Leading and trailing blanks (and a CR) removed.
std::string trim(std::string_view s);

} // namespace kvmr::scan::detail
