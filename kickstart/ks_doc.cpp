// The generator's kickstart and its intended structure (see ks_doc.hpp).
#include "kickstart/ks_doc.hpp"

namespace kvmr::kickstart {

void KsDoc::command(std::string line) {
  intended_.push_back({KsKind::command, line});
  lines_.push_back(std::move(line));
}

void KsDoc::comment(std::string line) {
  lines_.push_back(std::move(line));
}

void KsDoc::blank() {
  lines_.emplace_back();
}

void KsDoc::section(std::string header, const std::vector<std::string> &body) {
  intended_.push_back({KsKind::section, header});
  lines_.push_back(std::move(header));
  for (const auto &l : body) {
    intended_.push_back({KsKind::body, l});
    lines_.push_back(l);
  }
  intended_.push_back({KsKind::end, "%end"});
  lines_.emplace_back("%end");
}

std::string KsDoc::text() const {
  std::string out;
  for (const auto &l : lines_) {
    out += l;
    out += '\n';
  }
  return out;
}

} // namespace kvmr::kickstart
