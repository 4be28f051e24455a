// Whether this kernel really has device-mapper: the control node can exist
// without the driver (as on the build machine), so ask the driver itself
// with the DM_VERSION ioctl.
#pragma once

namespace kvmr::volume {

bool device_mapper_available() noexcept;

} // namespace kvmr::volume
