// One JSON-lines file per log group (see log_group_files.h). Owned by the
// express log writer thread.
#include "server/express_log/log_group_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "engine/logging_configuration.h"

namespace stepwise::server::express_log {

namespace {

bool SafeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '-' || c == '_';
}

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(ToAbsl(what), " ", path, ": ", std::strerror(errno)));
}

}  // namespace

std::string LogGroupFileName(std::string_view log_group_arn) {
  std::string name = engine::LogGroupName(log_group_arn);
  if (name.empty()) return "";
  for (char& c : name) {
    if (!SafeChar(c)) c = '_';
  }
  return name + ".jsonl";
}

LogGroupFiles::LogGroupFiles(std::string dir) : dir_(std::move(dir)) {}

LogGroupFiles::~LogGroupFiles() {
  for (auto& [path, f] : open_) ::close(f.fd);
}

absl::StatusOr<int> LogGroupFiles::FileFor(const std::string& path) {
  auto it = open_.find(path);
  if (it != open_.end()) {
    struct stat now {};
    if (::stat(path.c_str(), &now) == 0 && now.st_dev == it->second.dev &&
        now.st_ino == it->second.ino) {
      return it->second.fd;
    }
    ::close(it->second.fd);  // rotated or deleted: start a new file
    open_.erase(it);
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return Errno("cannot open", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Errno("cannot stat", path);
  }
  open_[path] = Open{fd, st.st_dev, st.st_ino};
  return fd;
}

absl::Status LogGroupFiles::Append(std::string_view log_group_arn,
                                   const std::vector<std::string>& lines) {
  std::string file = LogGroupFileName(log_group_arn);
  if (file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("not a log group ARN: ", ToAbsl(log_group_arn)));
  }
  std::string path = dir_ + "/" + file;
  absl::StatusOr<int> fd = FileFor(path);
  if (!fd.ok()) return fd.status();
  std::string text;
  for (const std::string& l : lines) absl::StrAppend(&text, l, "\n");
  // O_APPEND: each write lands at the end; loop over short writes.
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(*fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot write", path);
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace stepwise::server::express_log
