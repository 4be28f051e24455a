// Rewriting the paths in a copied libvirt XML file after the copy: the
// plan's PathRewrites (plan/plan.hpp) applied to a domain (or domain
// snapshot) XML and to a storage pool XML, with libxml2 (scan::XmlDoc, so
// the same hardened parser reads the old host's files).
//
// Domain XML: every <disk> (in <devices>, in a snapshot's <disks>, in a
// snapshot's embedded <domain>) whose <source file=...> or <source dev=...>
// equals a rewrite's `from` gets `to`; with block_to_file, <disk
// type='block'> becomes type='file' and <source dev=> becomes <source
// file=>; new_format sets <driver type=> (added when missing). The same is
// done for the <backingStore> elements inside a <disk> (new_format sets
// their <format type=>). With eject (a cdrom or floppy whose medium is not
// copied) the <disk> keeps no <source> nor <backingStore> and becomes
// type='file', an empty drive. <nvram>PATH</nvram> and <nvram><source
// file=.../> are rewritten too. Pool XML: <target><path>.
//
// Everything else is kept as libxml2 keeps it: comments, white space, the
// XML declaration (present or not), entity references. Attribute quotes
// become double quotes in a file that changed; a file no rewrite applied to
// is returned byte for byte.
#pragma once

#include "rescue/plan/plan.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kvmr::finish {

struct XmlRewriteResult {
  std::string text;                         // the rewritten XML
  std::size_t changes = 0;                  // elements changed
  std::vector<plan::PathRewrite> unapplied; // rewrites whose `from` was not found
  [[nodiscard]] bool complete() const noexcept { return unapplied.empty(); }
};

// Applies REWRITES to XML, the content of a domain or domain snapshot XML
// file (FILE_FOR_MESSAGES names it in errors). Throws InputError naming the
// file when XML is not well-formed, its root is neither <domain> nor
// <domainsnapshot>, or the rewrites are unusable (an empty `from` or `to`,
// two different rewrites of one path).
XmlRewriteResult rewrite_domain_xml(std::string_view xml, std::string_view file_for_messages,
                                    const std::vector<plan::PathRewrite> &rewrites);

// XML (a domain, or a domain snapshot with its embedded <domain>) with
// the domain's <name> set to NAME: the safe name of a VM whose name on the
// old disk libvirt would refuse (scan/vm_name.hpp). Unchanged, byte for
// byte, when it already is NAME or has no <name>. Throws InputError
// naming the file when XML is not well-formed.
XmlRewriteResult rename_domain_xml(std::string_view xml, std::string_view file_for_messages,
                                   const std::string &name);

// The same for a storage pool XML file (<pool>): its <target><path>.
XmlRewriteResult rewrite_pool_xml(std::string_view xml, std::string_view file_for_messages,
                                  const std::vector<plan::PathRewrite> &rewrites);

} // namespace kvmr::finish
