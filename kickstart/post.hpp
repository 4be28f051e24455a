// The kickstart's %post section: installs the first-boot restore script
// and its systemd unit (as here-documents, or base64 when a line of the
// script could end the section or the here-document), enables libvirt for
// the dialect and the restore service.
#pragma once

#include "kickstart/profile.hpp"
#include "kickstart/render.hpp"

#include <string>
#include <vector>

namespace kvmr::kickstart {

std::vector<std::string> post_section(const Profile &p, const PostPayload &post);

// Lines writing CONTENT to PATH with MODE inside %post: a quoted
// here-document with a delimiter no line of CONTENT equals, or base64
// when a line starts with '%' (anaconda would end the section there).
std::vector<std::string> write_file_lines(const std::string &path, const std::string &content,
                                          const char *mode);

} // namespace kvmr::kickstart
