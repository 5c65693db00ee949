#include "config.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "secret_file.h"

namespace coproc {
namespace {

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

bool parse_int(std::string_view text, std::int64_t* out) {
  std::string s(text);
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 0);  // accepts 0666-style octal and 0x
  if (errno != 0 || end == s.c_str()) return false;
  std::string_view suffix = trim(std::string_view(end));
  std::int64_t mult = 1;
  if (suffix == "K" || suffix == "KiB") mult = 1024;
  else if (suffix == "M" || suffix == "MiB") mult = 1024LL * 1024;
  else if (suffix == "G" || suffix == "GiB") mult = 1024LL * 1024 * 1024;
  else if (!suffix.empty()) return false;
  *out = v * mult;
  return true;
}

bool parse_bool(std::string_view text, bool* out) {
  if (text == "true" || text == "yes" || text == "on" || text == "1") return *out = true, true;
  if (text == "false" || text == "no" || text == "off" || text == "0") return *out = false, true;
  return false;
}

const OptionSpec* find_spec(std::string_view name) {
  for (const auto& s : option_specs()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::vector<std::string_view> split_choices(std::string_view choices) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t bar = choices.find('|', pos);
    out.push_back(choices.substr(pos, bar == std::string_view::npos ? bar : bar - pos));
    if (bar == std::string_view::npos) return out;
    pos = bar + 1;
  }
}

// "a, b or c" from "a|b|c".
std::string choice_list(std::string_view choices) {
  const auto items = split_choices(choices);
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " or " : ", ";
    out += items[i];
  }
  return out;
}

bool is_choice(std::string_view choices, std::string_view value) {
  const auto items = split_choices(choices);
  return std::find(items.begin(), items.end(), value) != items.end();
}

}  // namespace

const OptionSpec& Config::spec(std::string_view name) const {
  const OptionSpec* s = find_spec(name);
  if (!s) throw ConfigError("internal: unknown option '" + std::string(name) + "'");
  return *s;
}

void Config::assign(std::string_view name, std::string_view value, const std::string& origin) {
  const std::string where = origin + ": ";
  const OptionSpec* s = find_spec(name);
  if (!s) throw ConfigError(where + "unknown option '" + std::string(name) + "'");
  if (s->type == OptionType::integer) {
    std::int64_t v = 0;
    if (!parse_int(value, &v)) {
      throw ConfigError(where + "option '" + std::string(name) + "' needs an integer, got '" +
                        std::string(value) + "'");
    }
    if (v < s->min || v > s->max) {
      throw ConfigError(where + "option '" + std::string(name) + "' must be between " +
                        std::to_string(s->min) + " and " + std::to_string(s->max));
    }
  } else if (s->type == OptionType::boolean) {
    bool b = false;
    if (!parse_bool(value, &b)) {
      throw ConfigError(where + "option '" + std::string(name) + "' needs true or false, got '" +
                        std::string(value) + "'");
    }
  } else if (s->type == OptionType::enumeration && !is_choice(s->choices, value)) {
    throw ConfigError(where + std::string(name) + " must be " + choice_list(s->choices) +
                      ", not '" + std::string(value) + "'");
  }
  values_[std::string(name)] = std::string(value);
  origins_[std::string(name)] = origin;
}

std::string Config::origin(std::string_view name) const {
  auto it = origins_.find(name);
  return it == origins_.end() ? std::string() : it->second;
}

Config Config::parse(std::string_view text, std::string_view origin) {
  Config config;
  std::string section;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = trim(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    const std::string here = std::string(origin) + ":" + std::to_string(line_no);
    const std::string where = here + ": ";
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      if (line.back() != ']') throw ConfigError(where + "section header needs a closing ']'");
      section = std::string(trim(line.substr(1, line.size() - 2)));
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) throw ConfigError(where + "expected 'name = value'");
    const std::string key = std::string(trim(line.substr(0, eq)));
    std::string_view value = trim(line.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    const std::string name = section.empty() ? key : section + "." + key;
    config.assign(name, value, here);
  }
  return config;
}

Config Config::load(const std::string& path, bool missing_ok) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (missing_ok && errno == ENOENT) return Config();
    throw ConfigError(path + ": cannot read the configuration file");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

void Config::set(std::string_view assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos) {
    throw ConfigError("--set needs name=value, got '" + std::string(assignment) + "'");
  }
  assign(trim(assignment.substr(0, eq)), trim(assignment.substr(eq + 1)), "--set");
}

std::string Config::raw(std::string_view name) const {
  const OptionSpec& s = spec(name);
  auto it = values_.find(name);
  return it == values_.end() ? std::string(s.default_value) : it->second;
}

std::string Config::str(std::string_view name) const { return raw(name); }

std::int64_t Config::integer(std::string_view name) const {
  std::int64_t v = 0;
  parse_int(raw(name), &v);
  return v;
}

bool Config::boolean(std::string_view name) const {
  bool b = false;
  parse_bool(raw(name), &b);
  return b;
}

namespace {

constexpr std::string_view kFileSuffix = "_file";

// The content of a secret file: mode-checked, one trailing newline dropped.
std::string read_secret_file(const std::string& option, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(option + ": " + path + ": cannot read it (" + std::strerror(errno) + ")");
  }
  std::string why;
  if (!secret_file_is_private(path, &why)) throw ConfigError(option + ": " + why);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty() && text.back() == '\r') text.pop_back();
  if (text.find('\n') != std::string::npos) {
    throw ConfigError(option + ": " + path + " holds more than one line");
  }
  return text;
}

std::string credential_path(std::string_view name) {
  const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
  return dir && *dir ? std::string(dir) + "/" + std::string(name) : std::string();
}

}  // namespace

void Config::load_secret_files() {
  for (const auto& s : option_specs()) {
    if (!s.secret) continue;
    const std::string name(s.name);
    const std::string file_option = name + std::string(kFileSuffix);
    const bool has_file_option = find_spec(file_option) != nullptr;
    const std::string file = has_file_option ? raw(file_option) : std::string();
    if (!raw(name).empty()) {
      if (!file.empty()) {
        throw ConfigError(name + " and " + file_option + " are both set: keep one");
      }
      continue;
    }
    if (!file.empty()) {
      std::string path = file;
      // A bare name (no '/', and no '\' of a Windows path) is a credential.
      if (file.find_first_of("/\\") == std::string::npos) {
        path = credential_path(file);
        if (path.empty()) {
          throw ConfigError(file_option + ": '" + file +
                            "' names a systemd credential, but $CREDENTIALS_DIRECTORY is not "
                            "set (LoadCredential= in the unit; or give an absolute path)");
        }
      }
      assign(name, read_secret_file(file_option, path), path);
      continue;
    }
    const std::string credential = credential_path(name);
    std::error_code ec;
    if (!credential.empty() && std::filesystem::exists(credential, ec)) {
      assign(name, read_secret_file("credential " + name, credential), credential);
    }
  }
}

std::string Config::secret_lines() const {
  std::string lines;
  for (const auto& s : option_specs()) {
    if (!s.secret) continue;
    const std::string name(s.name);
    const std::string value = raw(name);
    if (value.find('\n') != std::string::npos) {
      throw ConfigError(name + " holds a line break");
    }
    if (!value.empty()) lines += name + "=" + value + "\n";
    const std::string file_option = name + std::string(kFileSuffix);
    if (find_spec(file_option) && !raw(file_option).empty()) lines += file_option + "=\n";
  }
  return lines;
}

void Config::set_secret_lines(std::string_view lines) {
  std::size_t pos = 0;
  while (pos < lines.size()) {
    std::size_t end = lines.find('\n', pos);
    if (end == std::string_view::npos) end = lines.size();
    const std::string_view line = lines.substr(pos, end - pos);
    pos = end + 1;
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) throw ConfigError("secrets: expected name=value lines");
    assign(line.substr(0, eq), line.substr(eq + 1), "secrets");  // value kept as is
  }
}

bool Config::sets_secret(std::string_view assignment) {
  const OptionSpec* s = find_spec(trim(assignment.substr(0, assignment.find('='))));
  return s && s->secret;
}

std::vector<std::pair<std::string, std::string>> Config::changed_options() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : values_) {
    const OptionSpec& s = spec(name);
    if (value == s.default_value) continue;
    out.emplace_back(name, s.secret ? std::string("(set)") : value);
  }
  return out;
}

std::string render_sample_config() {
  std::ostringstream out;
  out << "# coproc configuration. Every option is shown with its default, commented out.\n"
         "# This file may hold SMTP credentials: keep it mode 0640, owner root:coproc.\n";
  std::string section;
  for (const auto& s : option_specs()) {
    const std::string_view name = s.name;
    const auto dot = name.find('.');
    const std::string sec(name.substr(0, dot));
    if (sec != section) {
      section = sec;
      out << "\n[" << section << "]\n";
    }
    out << "# " << s.doc;
    if (s.type == OptionType::integer) out << " (" << s.min << ".." << s.max << ")";
    out << "\n#" << name.substr(dot + 1) << " = " << s.default_value << "\n";
  }
  return out.str();
}

namespace {

// The one walk of the option table both references share: `section(name)`
// when a new section starts ("smtp" for smtp.host), then `option(spec)`.
template <typename SectionFn, typename OptionFn>
void for_each_option_by_section(SectionFn section, OptionFn option) {
  std::string current;
  for (const auto& s : option_specs()) {
    const std::string_view name = s.name;
    const std::string sec(name.substr(0, name.find('.')));
    if (sec != current) {
      current = sec;
      section(current);
    }
    option(s);
  }
}

const char* type_name(OptionType type) {
  switch (type) {
    case OptionType::integer: return "integer";
    case OptionType::boolean: return "boolean";
    case OptionType::enumeration: return "enum";
    case OptionType::string: break;
  }
  return "string";
}

}  // namespace

std::string render_config_markdown() {
  std::ostringstream out;
  for_each_option_by_section(
      [&](const std::string& section) {
        out << "\n### [" << section << "]\n\n| option | type | default | range | meaning |\n"
            << "|---|---|---|---|---|\n";
      },
      [&](const auto& s) {
        out << "| `" << s.name << "` | " << type_name(s.type) << " | `" << s.default_value << "` | ";
        if (s.type == OptionType::integer) out << s.min << " .. " << s.max;
        for (const auto c : split_choices(s.choices)) {
          if (!c.empty()) out << (c.data() == s.choices.data() ? "" : ", ") << "`" << c << "`";
        }
        out << " | " << s.doc << (s.secret ? " (secret: never logged)" : "") << " |\n";
      });
  return out.str();
}

namespace {

// Text for troff: a backslash doubled, hyphens as \-, a leading dot or quote
// escaped.
std::string troff_text(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

}  // namespace

std::string render_config_man() {
  std::ostringstream out;
  for_each_option_by_section(
      [&](const std::string& section) { out << ".SS [" << section << "]\n"; },
      [&](const auto& s) {
        out << ".TP\n.B " << troff_text(s.name) << "\n";
        out << type_name(s.type) << ", default \\(lq" << troff_text(s.default_value) << "\\(rq";
        if (s.type == OptionType::integer) out << ", " << s.min << " to " << s.max;
        if (!s.choices.empty()) {
          out << ", one of";
          for (const auto c : split_choices(s.choices)) out << " " << troff_text(c);
        }
        out << ".\n" << troff_text(s.doc) << (s.secret ? " (secret: never logged)" : "") << ".\n";
      });
  return out.str();
}

}  // namespace coproc
