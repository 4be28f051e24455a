// Sample plans for the kvmr_run tests (see run_fixture.hpp).
#include "unit/run/run_fixture.hpp"

namespace kvmr::test {

plan::RescuePlan sample_plan() {
  using plan::ItemKind;
  plan::RescuePlan p;
  p.created = "2026-11-29T05:00:00Z";
  plan::DiskIdentity d;
  d.path = "/dev/sdb";
  d.size = 8ULL << 30U;
  d.table_type = "gpt";
  d.table_id = "0f1e2d3c-aaaa-bbbb-cccc-123456789abc";
  p.sources.push_back(d);
  p.vms = {"web01", "db01"};
  p.skipped = {"old01: its disk /var/lib/libvirt/images/old01.qcow2 is missing"};
  p.target.kind = plan::TargetKind::image;
  p.target.path = "/tmp/new.img";
  const auto item = [](ItemKind k, std::string vm, std::string src, std::string dest,
                       std::string fmt, std::uint64_t size) {
    plan::PlanItem i;
    i.kind = k;
    i.vm = std::move(vm);
    i.source = std::move(src);
    i.dest = std::move(dest);
    i.format = std::move(fmt);
    i.size = size;
    return i;
  };
  p.items.push_back(item(ItemKind::image, "web01", "/var/lib/libvirt/images/base.qcow2",
                         "base.qcow2", "qcow2", 1U << 20U));
  p.items.push_back(item(ItemKind::image, "web01", "/var/lib/libvirt/images/web01.qcow2",
                         "web01.qcow2", "qcow2", 2U << 20U));
  p.items.push_back(item(ItemKind::domain_xml, "web01", "/etc/libvirt/qemu/web01.xml",
                         "kvm-rescue/payload/etc/libvirt/qemu/web01.xml", "", 900));
  p.items.push_back(
      item(ItemKind::lv_image, "db01", "centos/db01", "lv/centos-db01.img", "raw", 4U << 20U));
  p.items.push_back(item(ItemKind::domain_xml, "db01", "/etc/libvirt/qemu/db01.xml",
                         "kvm-rescue/payload/etc/libvirt/qemu/db01.xml", "", 800));
  p.items.back().rewritten = true;
  auto secret = item(ItemKind::secret_value, "", "/etc/libvirt/secrets/abc.base64",
                     "kvm-rescue/payload/etc/libvirt/secrets/abc.base64", "", 44);
  secret.secret = true;
  p.items.push_back(secret);
  return p;
}

run::Manifest copied_manifest(const plan::RescuePlan &p) {
  run::Manifest m = run::manifest_for(p, "xxh3-128");
  for (auto &i : m.items) {
    i.status = run::ItemStatus::copied;
    i.data_bytes = i.size / 2;
    i.bytes_read = i.size / 2;
    i.allocated_bytes = i.size / 2;
    i.hash = "00112233445566778899aabbccddeeff";
    i.verified = true;
    i.copy_seconds = 0.5;
    i.verify_seconds = 0.25;
  }
  return m;
}

} // namespace kvmr::test
