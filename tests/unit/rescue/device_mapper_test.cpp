// device_mapper_available() agrees with what the kernel says in
// /proc/devices (the driver registers "device-mapper" there).
#include "rescue/volume/device_mapper.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <unistd.h>

TEST_CASE("device-mapper is reported exactly when the kernel has it") {
  if (geteuid() != 0) {
    MESSAGE("SKIP: /dev/mapper/control needs root");
    return;
  }
  std::ifstream in("/proc/devices");
  std::string line;
  bool registered = false;
  while (std::getline(in, line)) {
    registered = registered || line.find("device-mapper") != std::string::npos;
  }
  const std::string what = registered ? "has" : "has no";
  MESSAGE("this kernel " << what << " device-mapper");
  CHECK(kvmr::volume::device_mapper_available() == registered);
}
