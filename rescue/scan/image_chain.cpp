// Backing-chain walk (see image_chain.hpp). Each member is located
// (resolve_in_root: every symlink followed inside the old root), its first
// bytes read and sniffed, a qcow2 header parsed, and the backing name
// resolved against the directory of the image that names it, as qemu does.
#include "rescue/scan/image_chain.hpp"

#include "rescue/scan/host_path.hpp"
#include "rescue/scan/other_images.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <set>

namespace kvmr::scan {
namespace {

void add(std::vector<Problem> &to, Severity s, std::string message) {
  to.push_back(Problem{s, std::move(message)});
}

// A name written in a header, as a local old-host path resolved against
// the directory of the image at IMAGE_PATH; empty when it is not local.
std::string resolve_name(const std::string &image_path, std::string_view name) {
  if (name.starts_with("file:")) {
    name.remove_prefix(5);
  } else if (is_protocol_name(name)) {
    return {};
  }
  return resolve(dirname(image_path), name);
}

// Reads the first bytes, then more if the qcow2 header asks for them.
Qcow2Header read_qcow2(io::SourceTree &tree, const ChainMember &m, const std::string &head) {
  const auto bytes = [](const std::string &s) { return std::as_bytes(std::span(s)); };
  Qcow2Header h = parse_qcow2_header(bytes(head), m.path, head.size() < qcow2_first_read);
  if (!h.complete()) {
    const std::string more = tree.read_range(m.real_path, 0, h.need_prefix);
    h = parse_qcow2_header(bytes(more), m.path, more.size() < h.need_prefix);
    if (!h.complete()) { // the file changed between the reads
      throw InputError(m.path + ": qcow2 header: still incomplete after a second read");
    }
  }
  return h;
}

void note_qcow2_header(ChainMember &m) {
  const Qcow2Header &h = *m.qcow2;
  auto &p = m.problems;
  if (h.crypt_method == static_cast<std::uint32_t>(Qcow2Crypt::aes)) {
    add(p, Severity::warning,
        fmt::format("{}: encrypted with legacy qcow2 AES: copied as it is, its passphrase "
                    "(a libvirt secret) is needed to use it",
                    m.path));
  } else if (h.crypt_method == static_cast<std::uint32_t>(Qcow2Crypt::luks)) {
    add(p, Severity::info,
        fmt::format("{}: LUKS-encrypted qcow2: its libvirt secret is needed to use it", m.path));
  }
  if ((h.incompatible_features & qcow2_incompat_corrupt) != 0) {
    add(p, Severity::warning,
        fmt::format("{}: marked corrupt by qemu: it opens read-only only; run qemu-img check "
                    "on the copy",
                    m.path));
  }
  if ((h.incompatible_features & qcow2_incompat_dirty) != 0) {
    add(p, Severity::info,
        fmt::format("{}: dirty (not closed cleanly, lazy refcounts): qemu repairs it on open",
                    m.path));
  }
  if (unknown_incompatible(h) != 0) {
    add(p, Severity::error,
        fmt::format("{}: unknown incompatible qcow2 features 0x{:x}: qemu refuses to open it",
                    m.path, unknown_incompatible(h)));
  }
  for (const std::uint32_t type : h.unknown_extensions) {
    add(p, Severity::info,
        fmt::format("{}: unknown qcow2 header extension 0x{:08x}", m.path, type));
  }
  const bool bit = (h.incompatible_features & qcow2_incompat_data_file) != 0;
  if (bit && h.data_file.empty()) {
    add(p, Severity::warning,
        fmt::format("{}: uses an external data file whose name the header does not record "
                    "(the domain XML must name it)",
                    m.path));
  } else if (!bit && !h.data_file.empty()) {
    add(p, Severity::warning,
        fmt::format("{}: names a data file {} without the external data file feature bit: "
                    "qemu refuses it",
                    m.path, h.data_file));
  }
}

// The file NAME (written in M's header) resolved and looked up; WHAT says
// what it is in messages ("external data file", "VMDK extent").
ReferencedFile look_up(io::SourceTree &tree, ChainMember &m, const std::string &name,
                       std::string_view what) {
  ReferencedFile f{name, resolve_name(m.path, name), false, 0, 0};
  if (f.path.empty()) {
    add(m.problems, Severity::warning,
        fmt::format("{}: {} {} is not a local file: not rescued", m.path, what, name));
    return f;
  }
  const InRootPath where = resolve_in_root(tree, f.path);
  if (where.stat) {
    f.exists = true;
    f.size = where.stat->size;
    f.allocated = where.stat->allocated;
  } else {
    add(m.problems, Severity::error,
        fmt::format("{}: {} missing: {}", m.path, what, where.problem));
  }
  return f;
}

void look_up_data_file(io::SourceTree &tree, ChainMember &m) {
  const std::string &name = m.qcow2->data_file;
  if (!name.empty()) {
    m.data_file = look_up(tree, m, name, "external data file");
  }
}

// Compares the declared format with the detected one; returns the format
// qemu would open the member as.
ImageFormat judge_format(ChainMember &m, bool top) {
  const ImageFormat detected = *m.format;
  const std::string source =
      top ? std::string("the domain XML") : fmt::format("the header naming it");
  if (m.declared_format.empty()) {
    if (!top) {
      add(m.problems, Severity::warning,
          fmt::format("{}: backing format not recorded in {}: qemu probes it (found {}); "
                      "record it with qemu-img rebase -u -F",
                      m.path, source, format_name(detected)));
    } else if (detected != ImageFormat::raw) {
      add(m.problems, Severity::warning,
          fmt::format("{}: no format declared in the domain XML (libvirt assumes raw), but the "
                      "file is {}",
                      m.path, format_name(detected)));
    }
    return detected;
  }
  const auto declared = parse_format_name(m.declared_format);
  if (!declared) {
    add(m.problems, Severity::warning,
        fmt::format("{}: {} declares unknown format '{}'; the file is {}", m.path, source,
                    m.declared_format, format_name(detected)));
    return detected;
  }
  if (*declared == ImageFormat::raw && detected == ImageFormat::qcow2) {
    add(m.problems, Severity::warning,
        fmt::format("{}: {} declares raw but the file starts with a qcow2 header. qemu gives "
                    "the guest these bytes as its disk; a guest can write such a header to "
                    "make a host that probes formats open host files as its backing file "
                    "(the classic format-probing hole). Kept as raw; its backing name is not "
                    "followed",
                    m.path, source));
  } else if (*declared != detected) {
    add(m.problems, Severity::warning,
        fmt::format("{}: {} declares {} but the file is {}", m.path, source, m.declared_format,
                    format_name(detected)));
  }
  return *declared;
}

Bytes bytes_of(const std::string &s) {
  return std::as_bytes(std::span(s));
}

// The format the first bytes show; a fixed VHD (a footer at the end, no
// header) is looked for only where the layer above declares vpc.
ImageFormat detect(io::SourceTree &tree, const ChainMember &m, const std::string &head) {
  const ImageFormat f = sniff_format(bytes_of(head));
  if (f == ImageFormat::raw && m.size >= 512 &&
      parse_format_name(m.declared_format) == ImageFormat::vpc &&
      is_fixed_vhd_footer(tree.read_range(m.real_path, m.size - 512, 512))) {
    return ImageFormat::vpc;
  }
  return f;
}

void read_qcow2_member(io::SourceTree &tree, ChainMember &m, const std::string &head) {
  m.qcow2 = read_qcow2(tree, m, head);
  m.virtual_size = m.qcow2->virtual_size;
  m.backing_name = m.qcow2->backing_file.value_or("");
  m.backing_format = m.qcow2->backing_format;
  note_qcow2_header(m);
  look_up_data_file(tree, m);
}

// vmdk, vhdx, vpc, parallels, qed, vdi, qcow v1.
void read_other_member(io::SourceTree &tree, ChainMember &m, const std::string &head) {
  OtherImage o = read_other_image(tree, m.path, m.real_path, *m.format, head, m.size);
  m.virtual_size = o.virtual_size;
  m.backing_name = std::move(o.backing_name);
  m.backing_format = std::move(o.backing_format);
  m.problems.insert(m.problems.end(), o.problems.begin(), o.problems.end());
  for (const auto &name : o.extent_names) {
    m.extents.push_back(look_up(tree, m, name, "VMDK extent"));
  }
  add(m.problems, Severity::warning,
      fmt::format("{}: {} image: EL's qemu-kvm opens this format read-only only; for an EL "
                  "target the plan converts the disk to qcow2 (plan --keep-format keeps it)",
                  m.path, format_name(*m.format)));
}

// The local path of M's backing file, to be followed next; empty: none.
std::string backing_of(ChainMember &m) {
  if (m.qcow2 && m.qcow2->has_backing() && m.backing_name.empty()) {
    add(m.problems, Severity::info,
        fmt::format("{}: empty backing file name: no backing file", m.path));
  }
  if (m.backing_name.empty()) {
    return {};
  }
  m.backing_path = resolve_name(m.path, m.backing_name);
  if (m.backing_path.empty()) {
    add(m.problems, Severity::error,
        fmt::format("{}: backing file {} is not a local file (a network or json: source): "
                    "not rescued",
                    m.path, m.backing_name));
  }
  return m.backing_path;
}

// Reads one located member; returns the local path of its backing file
// when the walk should go on, or an empty string. The header of a format
// other than qcow2 is read only when qemu would open the file in that
// format: a raw disk's guest may have written any header.
std::string read_member(io::SourceTree &tree, ChainMember &m, bool top) {
  const std::string head = tree.read_range(m.real_path, 0, qcow2_first_read);
  m.format = detect(tree, m, head);
  m.opened_as = judge_format(m, top);
  if (!is_supported(*m.opened_as)) {
    add(m.problems, Severity::error,
        fmt::format("{}: unsupported format {}: a LUKS volume needs its secret to be read", m.path,
                    format_name(*m.opened_as)));
    return {};
  }
  if (*m.format == ImageFormat::qcow2) {
    read_qcow2_member(tree, m, head);
  } else if (*m.format == ImageFormat::raw || *m.opened_as != *m.format) {
    m.virtual_size = m.size;
  } else {
    read_other_member(tree, m, head);
  }
  if (*m.opened_as != *m.format) {
    return {};
  }
  return backing_of(m);
}

bool has_error(const std::vector<Problem> &ps) {
  return std::any_of(ps.begin(), ps.end(),
                     [](const Problem &p) { return p.severity == Severity::error; });
}

} // namespace

bool ImageChain::ok() const {
  return !has_error(problems) && std::none_of(members.begin(), members.end(),
                                              [](const auto &m) { return has_error(m.problems); });
}

std::vector<std::string> ImageChain::files() const {
  std::vector<std::string> out;
  const auto put = [&out](const std::string &p) {
    if (std::find(out.begin(), out.end(), p) == out.end()) {
      out.push_back(p);
    }
  };
  for (const auto &m : members) {
    if (m.exists) {
      put(m.path);
    }
  }
  for (const auto &m : members) {
    if (m.data_file && m.data_file->exists) {
      put(m.data_file->path);
    }
    for (const auto &e : m.extents) {
      if (e.exists) {
        put(e.path);
      }
    }
  }
  return out;
}

ImageChain walk_image_chain(io::SourceTree &tree, const std::string &image_path,
                            std::string_view declared_format, std::size_t max_depth) {
  ImageChain chain;
  std::set<std::string> seen;
  std::string path = image_path;
  std::string declared(declared_format);
  std::string named_by; // the member whose header named PATH
  if (path.empty() || path.front() != '/') {
    add(chain.problems, Severity::error,
        fmt::format("{}: not an absolute path; cannot be found on the old host", image_path));
    return chain;
  }
  while (true) {
    if (chain.members.size() >= max_depth) {
      add(chain.problems, Severity::error,
          fmt::format("backing chain deeper than {} images: stopped at {} (named by {})", max_depth,
                      path, named_by));
      break;
    }
    ChainMember m;
    m.path = path;
    m.declared_format = declared;
    std::string next;
    try {
      const InRootPath where = resolve_in_root(tree, path);
      m.real_path = where.path;
      const std::string key = normalize(m.real_path);
      if (seen.contains(key) || seen.contains(normalize(path))) {
        add(chain.problems, Severity::error,
            fmt::format("backing chain loop: {} names {}, which is already in the chain", named_by,
                        path));
        break;
      }
      seen.insert(key);
      seen.insert(normalize(path));
      if (!where.stat) {
        add(m.problems, Severity::error,
            named_by.empty() ? where.problem
                             : fmt::format("{} (backing file of {})", where.problem, named_by));
      } else {
        m.exists = true;
        m.type = where.stat->type;
        m.size = where.stat->size;
        m.allocated = where.stat->allocated;
        if (m.type == io::FileType::regular) {
          next = read_member(tree, m, chain.members.empty());
          chain.complete = next.empty() && !has_error(m.problems) && m.backing_name.empty();
        } else if (m.type == io::FileType::block_device) {
          add(m.problems, Severity::warning,
              fmt::format("{}: block device: its header is not read through the old tree; "
                          "format {} assumed, any backing chain unseen",
                          path, declared.empty() ? "raw" : declared));
        } else {
          add(m.problems, Severity::error,
              fmt::format("{}: not a regular file or block device", path));
        }
      }
    } catch (const std::exception &e) {
      add(m.problems, Severity::error, fmt::format("{}: cannot read: {}", path, e.what()));
      next.clear();
    }
    chain.members.push_back(std::move(m));
    if (next.empty()) {
      break;
    }
    named_by = path;
    declared = chain.members.back().backing_format;
    path = next;
  }
  chain.depth = chain.members.size();
  return chain;
}

bool is_protocol_name(std::string_view name) {
  const std::size_t stop = name.find_first_of(":/");
  return stop != std::string_view::npos && name[stop] == ':';
}

std::string_view severity_name(Severity s) noexcept {
  switch (s) {
  case Severity::info: return "info";
  case Severity::warning: return "warning";
  case Severity::error: return "error";
  }
  return "error";
}

} // namespace kvmr::scan
