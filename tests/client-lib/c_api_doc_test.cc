// Every public C function is documented twice: a `///` comment on its
// declaration in the installed headers (client-lib/include/coproc/*.h) and a
// `###` heading of docs/c-api.md that names it. A function added without
// either fails here, with its name.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "temp_dir.h"

namespace coproc::test {
namespace {

struct Declaration {
  std::string header;    // file name, e.g. "mail.h"
  int line = 0;          // 1-based line of "COPROC_API ..."
  std::string name;      // coproc_mail_send
  bool has_doc_comment;  // the line before is a `///` comment
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b);
}

// The COPROC_API function declarations of the public C headers.
std::vector<Declaration> public_declarations() {
  const std::filesystem::path dir =
      std::filesystem::path(COPROC_SOURCE_DIR) / "client-lib" / "include" / "coproc";
  std::vector<std::filesystem::path> headers;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".h") headers.push_back(e.path());
  }
  std::sort(headers.begin(), headers.end());
  const std::regex function_name(R"((coproc_[a-z0-9_]+)\s*\()");
  std::vector<Declaration> out;
  for (const auto& path : headers) {
    const std::vector<std::string> lines = lines_of(read_file(path.string()));
    for (size_t i = 0; i < lines.size(); ++i) {
      if (!starts_with(lines[i], "COPROC_API ")) continue;
      std::smatch m;
      EXPECT_TRUE(std::regex_search(lines[i], m, function_name))
          << path.filename().string() << ":" << i + 1 << ": no function name in '" << lines[i]
          << "'";
      if (m.empty()) continue;
      const bool commented = i > 0 && starts_with(trimmed(lines[i - 1]), "///");
      out.push_back({path.filename().string(), static_cast<int>(i + 1), m[1].str(), commented});
    }
  }
  return out;
}

// Whether `name` appears as a whole identifier in `text`.
bool names(const std::string& text, const std::string& name) {
  auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
    const size_t end = at + name.size();
    if ((at == 0 || !ident(text[at - 1])) && (end == text.size() || !ident(text[end]))) {
      return true;
    }
  }
  return false;
}

TEST(CApiDoc, TheHeadersDeclareTheWholeApi) {
  // Guards the parser: a change of the declaration style must not make the
  // other tests pass vacuously.
  const auto declarations = public_declarations();
  EXPECT_GE(declarations.size(), 70u);
  auto has = [&](const std::string& name) {
    return std::any_of(declarations.begin(), declarations.end(),
                       [&](const Declaration& d) { return d.name == name; });
  };
  for (const char* name : {"coproc_client_new", "coproc_mail_send", "coproc_http_perform",
                           "coproc_gateway_next", "coproc_copy_text"}) {
    EXPECT_TRUE(has(name)) << name;
  }
}

TEST(CApiDoc, EveryPublicFunctionHasADocCommentInItsHeader) {
  for (const auto& d : public_declarations()) {
    EXPECT_TRUE(d.has_doc_comment) << d.header << ":" << d.line << ": " << d.name
                                   << " is not preceded by a /// comment";
  }
}

TEST(CApiDoc, EveryPublicFunctionHasASectionInCApiMd) {
  const std::string page = read_file(std::string(COPROC_SOURCE_DIR) + "/docs/c-api.md");
  ASSERT_FALSE(page.empty());
  std::string headings;
  for (const auto& line : lines_of(page)) {
    if (starts_with(line, "### ")) headings += line + "\n";
  }
  for (const auto& d : public_declarations()) {
    EXPECT_TRUE(names(headings, d.name))
        << d.name << " (" << d.header << ":" << d.line
        << ") is named in no '###' heading of docs/c-api.md";
  }
}

}  // namespace
}  // namespace coproc::test
