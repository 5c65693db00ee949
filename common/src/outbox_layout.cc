#include "outbox_layout.h"

#include <filesystem>

namespace coproc {

std::string outbox_dir(const std::string& state_dir) {
  return state_dir + "/" + std::string(kOutboxDirName);
}

bool is_mail_file_name(std::string_view name) {
  return name.size() > kMailFileSuffix.size() && name[0] != '.' &&
         name.substr(name.size() - kMailFileSuffix.size()) == kMailFileSuffix;
}

bool outbox_holds_unsent_mail(const std::string& state_dir) {
  std::error_code ec;
  bool mail = false, all_sent = false;
  for (const auto& entry : std::filesystem::directory_iterator(outbox_dir(state_dir), ec)) {
    const std::string name = entry.path().filename().string();
    std::error_code size_error;
    mail = mail || is_mail_file_name(name) ||
           (name == kAcceptedLogName && entry.file_size(size_error) > 0 && !size_error);
    all_sent = all_sent || name == kAllSentMarkerName;
  }
  return mail && !all_sent;
}

}  // namespace coproc
