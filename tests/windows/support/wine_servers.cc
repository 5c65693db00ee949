#include "wine_servers.h"

#include <windows.h>

#include <sstream>
#include <stdexcept>

#include "child_process.h"

namespace coproc::test {

const WineServers& WineServers::get() {
  static const WineServers servers = [] {
    WineServers s;
    s.env_ = read_file(std::string(COPROC_WIN_SERVERS_DIR) + "\\servers.env");
    if (s.env_.empty()) {
      throw std::runtime_error(std::string("no ") + COPROC_WIN_SERVERS_DIR +
                               "\\servers.env: the wine_servers fixture did not run");
    }
    return s;
  }();
  return servers;
}

std::string WineServers::value(const std::string& key) const {
  std::istringstream in(env_);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size() + 1, key + "=") == 0) return line.substr(key.size() + 1);
  }
  throw std::runtime_error("servers.env has no " + key);
}

std::string WineServers::https_url(const std::string& path) const {
  return "https://localhost:" + value("HTTPS_PORT") + path;
}

std::string WineServers::wrong_host_url(const std::string& path) const {
  return "https://127.0.0.1:" + value("HTTPS_PORT") + path;
}

int WineServers::received(const std::string& smtp_dir) {
  WIN32_FIND_DATAA entry;
  HANDLE find = ::FindFirstFileA((smtp_dir + "\\messages\\*.eml").c_str(), &entry);
  if (find == INVALID_HANDLE_VALUE) return 0;
  int n = 0;
  do {
    ++n;
  } while (::FindNextFileA(find, &entry));
  ::FindClose(find);
  return n;
}

std::string WineServers::events(const std::string& smtp_dir) {
  return read_file(smtp_dir + "\\events.log");
}

}  // namespace coproc::test
