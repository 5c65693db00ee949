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

bool outbox_holds_mail(const std::string& state_dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(outbox_dir(state_dir), ec)) {
    if (is_mail_file_name(entry.path().filename().string())) return true;
  }
  return false;
}

}  // namespace coproc
