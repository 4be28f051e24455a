// The real finishing steps through rescue/finish (see system_finisher.hpp).
#include "rescue/flow/system_finisher.hpp"
#include "rescue/finish/backing_rewrite.hpp"
#include "rescue/finish/image_check.hpp"
#include "rescue/finish/xml_rewrite.hpp"
#include "rescue/finish/xml_validate.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>

namespace kvmr::flow {
namespace {

class SystemFinisher final : public run::Finisher {
public:
  std::string rewrite_xml(const plan::PlanItem &item, const std::string &original,
                          const std::vector<plan::PathRewrite> &rewrites) override {
    const finish::XmlRewriteResult r =
        item.kind == plan::ItemKind::pool_xml
            ? finish::rewrite_pool_xml(original, item.source, rewrites)
            : finish::rewrite_domain_xml(original, item.source, rewrites);
    if (!r.complete()) {
      std::vector<std::string> missing;
      for (const auto &u : r.unapplied) {
        missing.push_back(u.from);
      }
      throw InputError(fmt::format("{}: the planned rewrite of {} found nothing to change",
                                   item.source, fmt::join(missing, ", ")));
    }
    if (item.kind == plan::ItemKind::domain_xml || item.kind == plan::ItemKind::snapshot_xml) {
      // A VM renamed by scan (its old name unsafe) is defined by its plan name.
      return finish::rename_domain_xml(r.text, item.source, item.vm).text;
    }
    return r.text;
  }

  run::CheckResult validate_xml(const plan::PlanItem &item, const std::string &path) override {
    finish::XmlKind kind = finish::XmlKind::domain;
    switch (item.kind) {
    case plan::ItemKind::network_xml: kind = finish::XmlKind::network; break;
    case plan::ItemKind::pool_xml: kind = finish::XmlKind::pool; break;
    case plan::ItemKind::secret_xml: kind = finish::XmlKind::secret; break;
    case plan::ItemKind::snapshot_xml: kind = finish::XmlKind::domainsnapshot; break;
    default: break;
    }
    const finish::ValidationResult v = finish::validate_libvirt_xml(path, kind);
    switch (v.status) {
    case finish::Validity::ok: return {"ok", ""};
    case finish::Validity::invalid: return {"failed", v.message};
    case finish::Validity::not_available: return {"unavailable", v.message};
    }
    return {"unavailable", v.message};
  }

  void set_backing(const std::string &path, const std::string &name,
                   const std::string &format) override {
    finish::set_backing_name(path, name, format);
  }

  run::CheckResult check_image(const std::string &path, const std::string &format) override {
    // The copy of an overlay names its backing file by its new-host path,
    // which need not exist here: the overlay's own metadata is checked
    // with the backing file left out ("backing": null).
    finish::ImageCheck c;
    if (format == "qcow2") {
      const nlohmann::json spec = {{"driver", "qcow2"},
                                   {"file", {{"driver", "file"}, {"filename", path}}},
                                   {"backing", nullptr}};
      SystemCommandRunner runner;
      c = finish::parse_image_check(
          path, format,
          runner.run({"qemu-img", "check", "--output=json", "json:" + spec.dump()},
                     std::chrono::minutes(30)));
    } else {
      c = finish::check_image(path, format);
    }
    switch (c.status) {
    case finish::CheckStatus::ok: return {"ok", ""};
    case finish::CheckStatus::not_applicable: return {"not_run", "no metadata to check"};
    case finish::CheckStatus::leaks: return {"ok", c.message};
    case finish::CheckStatus::corrupt:
    case finish::CheckStatus::error: return {"failed", c.message};
    }
    return {"failed", c.message};
  }
};

} // namespace

std::unique_ptr<run::Finisher> system_finisher() {
  return std::make_unique<SystemFinisher>();
}

} // namespace kvmr::flow
