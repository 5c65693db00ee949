// libcoproc.so exports the C ABI and nothing else, every symbol versioned
// COPROC_1 (checked with nm, as a packager would).
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <sstream>
#include <string>

namespace {

std::string run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

TEST(ExportedSymbols, SharedLibraryExportsOnlyVersionedCoprocFunctions) {
  const std::string out = run(std::string("nm -D --defined-only ") + COPROC_SHARED_LIB);
  std::istringstream lines(out);
  std::string line;
  std::set<std::string> names;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string address, type, name;
    fields >> address >> type >> name;
    if (name.empty()) continue;
    if (name == "COPROC_1") continue;  // the version node itself
    EXPECT_EQ(name.rfind("coproc_", 0), 0u) << "exported: " << line;
    EXPECT_NE(name.find("@@COPROC_1"), std::string::npos) << "unversioned: " << line;
    names.insert(name.substr(0, name.find('@')));
  }
  for (const char* f : {"coproc_version", "coproc_version_number", "coproc_status_str",
                        "coproc_client_new", "coproc_client_set_str", "coproc_client_set_int",
                        "coproc_client_connect", "coproc_client_close", "coproc_call",
                        "coproc_call_json", "coproc_ping", "coproc_free", "coproc_errmsg",
                        "coproc_gateway_next", "coproc_gateway_reply", "coproc_gateway_reply_next",
                        "coproc_gateway_request_path", "coproc_gateway_request_body",
                        "coproc_gateway_request_free"}) {
    EXPECT_EQ(names.count(f), 1u) << f << " is not exported";
  }
}

TEST(ExportedSymbols, SharedLibraryHasItsSonameAndNoUndefinedCoprocReferences) {
  const std::string dynamic = run(std::string("readelf -d ") + COPROC_SHARED_LIB);
  EXPECT_NE(dynamic.find("Library soname: [libcoproc.so.1]"), std::string::npos) << dynamic;
  const std::string undefined = run(std::string("nm -D --undefined-only ") + COPROC_SHARED_LIB);
  EXPECT_EQ(undefined.find("coproc"), std::string::npos) << undefined;
  EXPECT_EQ(undefined.find("msgpack"), std::string::npos) << undefined;
}

}  // namespace
