// A libvirt storage pool (/etc/libvirt/storage/NAME.xml): where its volumes
// live (the target path of a dir pool, the VG of a logical pool, the device
// or export of an fs/netfs pool, the target of an iSCSI pool).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kvmr::scan {

struct StoragePool {
  std::string name;
  std::string uuid;
  std::string type;                        // dir, fs, netfs, logical, disk, iscsi, rbd, ...
  std::string target_path;                 // /var/lib/libvirt/images, /dev/VG
  std::vector<std::string> source_devices; // <source><device path=''/>
  std::string source_name;                 // VG name, RBD pool, ...
  std::string source_dir;                  // netfs export path
  std::vector<std::string> source_hosts;   // netfs, iscsi, rbd servers
  std::string source_format;               // ext4, nfs, lvm2, gpt, ...
  std::string xml;                         // the file's text, unchanged
};

// Throws InputError (naming FILE) on bad XML, a root other than <pool> or no
// <name>.
StoragePool parse_pool_xml(std::string_view text, const std::string &file);

} // namespace kvmr::scan
