// A libvirt secret's definition (/etc/libvirt/secrets/UUID.xml): what it is
// for (a LUKS volume, a Ceph client, an iSCSI target) and its flags. The
// secret's value lives beside it in UUID.base64 and is never read into
// anything here: it is copied as a file, not shown.
#pragma once

#include <string>
#include <string_view>

namespace kvmr::scan {

struct Secret {
  std::string uuid;
  std::string usage_type; // volume, ceph, iscsi, tls, vtpm; "" when none
  // What the usage names: the volume path, the Ceph/TLS/vTPM name, the iSCSI
  // target.
  std::string usage_id;
  bool ephemeral = false;
  bool is_private = false;
  std::string description;
};

// Throws InputError (naming FILE) on bad XML, a root other than <secret> or no
// <uuid>.
Secret parse_secret_xml(std::string_view text, const std::string &file);

} // namespace kvmr::scan
