// Test inputs for the libvirt XML tests: the dead-host fixture's libvirt
// configuration, written by the fixture builder's own functions
// (scripts/lib/fixture-libvirt.sh with --block-vm and --hostile-names), the
// hand-written samples in tests/data/libvirt, and virt-xml-validate.
#pragma once

#include <string>

namespace kvmr::test {

// The fixture's odd domain: its name, and its files' name (no "/").
inline const std::string hostile_name = "shop \"test\" $(touch /tmp/pwned) ウェブ";
inline const std::string hostile_file = "shop \"test\" $(touch tmppwned) ウェブ";

// Writes the fixture host's /etc/libvirt and /var/lib/libvirt under ROOT.
void write_fixture_libvirt(const std::string &root);

// tests/data/libvirt/NAME in the source tree.
std::string libvirt_data(const std::string &name);

// A file's whole content.
std::string read_text(const std::string &path);

// Writes TEXT to PATH, making its parent directories.
void write_text(const std::string &path, const std::string &text);

// Checks FILE against libvirt's SCHEMA (domain, network, storagepool, secret,
// domainsnapshot) with the real virt-xml-validate; fails the test when the
// tool is missing (scripts/setup installs it) or the file does not validate.
void require_valid(const std::string &file, const std::string &schema);

} // namespace kvmr::test
