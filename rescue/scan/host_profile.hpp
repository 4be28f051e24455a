// The old host's own profile, read off its root filesystem for the new
// host's kickstart and for the report: hostname, OS release, network
// (ifcfg interfaces, bridges, bonds, VLANs, gateway, DNS), time zone,
// locale and keyboard, SELinux, enabled services that matter, fstab, the
// installer's anaconda-ks.cfg (redacted) and the root password's state.
//
// Secrets stay behind: the root password hash is never stored, only its
// state and algorithm; kickstart lines keep no password. Anything missing or
// odd is a note naming the file; reading never fails on bad input.
#pragma once

#include "rescue/io/source_tree.hpp"
#include "rescue/scan/host_accounts.hpp"
#include "rescue/scan/ifcfg.hpp"
#include "rescue/scan/source_note.hpp"
#include "rescue/volume/fstab.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kvmr::scan {

struct HostnameInfo {
  std::string name;      // "kvmhost01.example.jp"
  std::string source;    // "/etc/hostname", "/etc/sysconfig/network", an ifcfg file, "fallback"
  bool fallback = false; // no file named it: "localhost.localdomain"
};

struct OsRelease {
  std::string release_line; // "CentOS Linux release 7.9.2009 (Core)"
  std::string release_file; // the file it came from
  std::string id;           // os-release ID ("centos")
  std::string version_id;   // "7"
  std::string name;         // "CentOS Linux"
  std::string pretty_name;  // "CentOS Linux 7 (Core)"
};

struct BridgePort {
  std::string device; // "eth0"
  std::string mac;    // its HWADDR/MACADDR, lower-case; may be empty
};

struct BridgeInfo {
  std::string device; // "br0"
  std::vector<BridgePort> ports;
};

struct BondInfo {
  std::string device; // "bond0"
  std::string bonding_opts;
  std::vector<BridgePort> slaves;
};

struct VlanInfo {
  std::string device; // "eth0.100"
  int id = -1;        // -1 when the file gives none
  std::string parent; // "eth0"
};

struct DefaultGateway {
  std::string address; // "192.168.10.1"; empty when none is configured
  std::string device;  // the interface carrying it, or GATEWAYDEV; may be empty
  std::string source;  // the file that set it
};

struct NetworkProfile {
  std::vector<HostInterface> interfaces; // ifcfg-* except lo, by file name
  std::vector<BridgeInfo> bridges;
  std::vector<BondInfo> bonds;
  std::vector<VlanInfo> vlans;
  DefaultGateway gateway;
  std::vector<std::string> dns;    // from the ifcfg files, else /etc/resolv.conf
  std::string dns_source;          // the file the DNS servers came from
  std::vector<std::string> search; // resolv.conf search/domain
  std::optional<bool> networking;  // /etc/sysconfig/network NETWORKING
};

struct TimeZoneInfo {
  std::string name = "unknown"; // "Asia/Tokyo"
  std::string source;           // "/etc/localtime symlink", "/etc/sysconfig/clock", ...
  std::optional<bool> utc;      // /etc/sysconfig/clock UTC, /etc/adjtime
};

struct LocaleInfo {
  std::string lang;                      // "ja_JP.UTF-8"
  std::map<std::string, std::string> lc; // LC_* from /etc/locale.conf
  std::string keymap;                    // "jp106"
  std::string font;                      // "latarcyrheb-sun16"
  std::string x11_layout;                // XkbLayout ("jp")
};

struct SelinuxInfo {
  std::string mode; // "enforcing", "permissive", "disabled"; empty when unknown
  std::string type; // "targeted"
};

struct EnabledService {
  std::string unit;      // "libvirtd.service"
  std::string wanted_by; // "multi-user.target", or "runlevel3" for SysV links
  std::string link;      // the link's target as written
};

struct KickstartInfo {
  bool present = false;
  std::uint64_t size = 0;
  std::vector<std::string> lines; // lang/keyboard/timezone/network/rootpw/part/... redacted
  bool rootpw = false;            // a rootpw line is present
  bool rootpw_iscrypted = false;  // ... with --iscrypted
};

enum class RootPasswordState { hash, locked, empty, unknown };
const char *to_string(RootPasswordState s);

struct RootPassword {
  RootPasswordState state = RootPasswordState::unknown;
  std::string algorithm; // "sha512", "sha256", "md5", "yescrypt", "bcrypt", "des", ...
};

struct HostProfile {
  HostnameInfo hostname;
  OsRelease os;
  NetworkProfile network;
  TimeZoneInfo timezone;
  LocaleInfo locale;
  SelinuxInfo selinux;
  std::vector<EnabledService> services; // those that matter, see kWatchedServices
  std::vector<std::string> masked;      // watched units linked to /dev/null
  std::vector<volume::FstabEntry> fstab;
  KickstartInfo kickstart;
  RootPassword root_password;
  HostAccounts accounts;         // secret: hashes and keys (host_accounts.hpp)
  std::vector<SourceNote> notes; // including the ifcfg warnings
};

// The services whose state the profile records (unit names without suffix).
extern const std::vector<std::string> kWatchedServices;

HostProfile read_host_profile(io::SourceTree &tree);

// Strings are the old disk's bytes (UTF-8 on CentOS 7, but not promised):
// dump with nlohmann::json::error_handler_t::replace.
nlohmann::json to_json(const HostProfile &p);
nlohmann::json to_json(const HostInterface &i);

} // namespace kvmr::scan
