#include "outbox_layout.h"

#include <filesystem>

namespace coproc {

std::string outbox_dir(const std::string& state_dir) {
  return state_dir + "/" + std::string(kOutboxDirName);
}

bool outbox_holds_mail(const std::string& state_dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(outbox_dir(state_dir), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > kMailFileSuffix.size() && name[0] != '.' &&
        std::string_view(name).substr(name.size() - kMailFileSuffix.size()) == kMailFileSuffix) {
      return true;
    }
  }
  return false;
}

}  // namespace coproc
