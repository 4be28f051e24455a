// The kickstart's %post section: installs the first-boot restore script
// and its systemd unit (as here-documents, or base64 when a line of the
// script could open or end a section for pykickstart, or end the
// here-document), enables libvirt for the dialect and the restore service.
#pragma once

#include "kickstart/profile.hpp"
#include "kickstart/render.hpp"

#include <string>
#include <vector>

namespace kvmr::kickstart {

// The %post section's header line, and its body (without %end).
struct KsSection {
  std::string header;
  std::vector<std::string> body;
};
KsSection post_section(const Profile &p, const PostPayload &post);

// Lines writing CONTENT to PATH with MODE inside %post: a quoted
// here-document with a delimiter no line of CONTENT equals, or base64
// when CONTENT could be read otherwise by pykickstart: a line whose first
// non-blank character is '%' (it may end or open a section, or be an
// %include or %ksappend), a line break bash does not see (\r, U+2028, ...:
// ks_reader.hpp), or bytes that are not UTF-8.
// MAKE_DIR: first `install -d -m 0755` the parent directory (which also
// sets that mode on one that exists: false for a directory whose own mode
// matters, made beforehand).
std::vector<std::string> write_file_lines(const std::string &path, const std::string &content,
                                          const char *mode, bool make_dir = true);

} // namespace kvmr::kickstart
