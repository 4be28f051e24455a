// write_oemdrv_file: a file into the vfat OEMDRV partition with mtools, under
// a temporary name first, then renamed (see target.hpp).
#include "rescue/target/gpt_writer.hpp"
#include "rescue/target/mkfs.hpp"
#include "rescue/target/target.hpp"
#include "rescue/util/error.hpp"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

namespace kvmr::target {
namespace {

// A private local copy of CONTENT for mcopy to read, removed at the end.
class LocalFile {
public:
  explicit LocalFile(const std::string &content) {
    const char *tmp = std::getenv("TMPDIR");
    path_ = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/kvmr-oemdrv-XXXXXX";
    const int fd = ::mkstemp(path_.data());
    if (fd < 0) {
      throw SysError(path_, "make a temporary file", errno);
    }
    std::size_t done = 0;
    while (done < content.size()) {
      const ssize_t w = ::write(fd, content.data() + done, content.size() - done);
      if (w < 0 && errno == EINTR) {
        continue;
      }
      if (w < 0) {
        const int err = errno;
        ::close(fd);
        ::unlink(path_.c_str());
        throw SysError(path_, "write", err);
      }
      done += static_cast<std::size_t>(w);
    }
    ::close(fd);
  }
  LocalFile(const LocalFile &) = delete;
  LocalFile &operator=(const LocalFile &) = delete;
  LocalFile(LocalFile &&) = delete;
  LocalFile &operator=(LocalFile &&) = delete;
  ~LocalFile() { ::unlink(path_.c_str()); }
  [[nodiscard]] const std::string &path() const { return path_; }

private:
  std::string path_;
};

} // namespace

void write_oemdrv_file(const std::string &path, std::uint64_t oemdrv_offset,
                       const std::string &file_name, const std::string &content,
                       CommandRunner *runner) {
  if (file_name.empty() || file_name.find_first_of("/\\:") != std::string::npos) {
    throw InputError("OEMDRV file name '" + file_name + "' must be a plain name (no directories)");
  }
  if (oemdrv_offset == 0) {
    throw InputError(path + " has no OEMDRV partition");
  }
  SystemCommandRunner system;
  CommandRunner &run = runner != nullptr ? *runner : system;
  const LocalFile local(content);
  const std::string image = path + "@@" + std::to_string(oemdrv_offset);
  const std::string partial = file_name + ".partial";
  // MTOOLS_SKIP_CHECK: the volume is a partition, not a floppy geometry.
  const std::vector<std::string> env{"env", "MTOOLS_SKIP_CHECK=1", "MTOOLS_NO_VFAT=0"};
  auto with_env = [&env](std::vector<std::string> argv) {
    argv.insert(argv.begin(), env.begin(), env.end());
    return argv;
  };
  const std::string where = file_name + " in the OEMDRV partition of " + path;
  run_tool(run, with_env({"mcopy", "-o", "-i", image, local.path(), "::/" + partial}),
           "write " + where);
  // Replace an older file: mren would not overwrite it.
  const auto del =
      run.run(with_env({"mdel", "-i", image, "::/" + file_name}), std::chrono::minutes(1));
  (void)del; // absent is fine
  run_tool(run, with_env({"mren", "-i", image, "::/" + partial, "::/" + file_name}),
           "rename " + partial + " to " + where);
  flush_device(path);
}

} // namespace kvmr::target
