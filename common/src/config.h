// Configuration: one declarative table of options (config_options.cc) with
// types, defaults, ranges and documentation, read from an INI-style file:
//
//   # comment
//   [smtp]
//   host = mail.example.com
//   port = 587
//
// `[smtp]` + `port` is the option "smtp.port". A bad file stops start-up
// with "path:line: what is wrong". docs/configuration.md and
// installer/coproc.conf are generated from the same table.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace coproc {

enum class OptionType { string, integer, boolean };

struct OptionSpec {
  std::string_view name;           // "section.key"
  OptionType type;
  std::string_view default_value;  // as it would be written in the file
  std::int64_t min;                // integers only
  std::int64_t max;
  std::string_view doc;
  bool secret;                     // never logged or reported
  std::string_view choices = {};   // strings only: "a|b|c" = the only values allowed
};

/// The one table of every option of every part.
const std::vector<OptionSpec>& option_specs();

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Immutable once loaded; safe to read from any thread.
class Config {
 public:
  /// Defaults only.
  Config() = default;

  /// Parses `text`; `origin` names it in errors ("path:line: ...").
  static Config parse(std::string_view text, std::string_view origin);
  /// Reads a file. A missing file is an error unless `missing_ok`.
  static Config load(const std::string& path, bool missing_ok);

  /// Sets one option from "name=value" (command line --set). Throws ConfigError.
  void set(std::string_view assignment);

  std::string str(std::string_view name) const;
  std::int64_t integer(std::string_view name) const;
  bool boolean(std::string_view name) const;

  /// Where `name` was set, for messages about its value: "path:line" for a
  /// file, "--set" for the command line, "" when it has its default.
  std::string origin(std::string_view name) const;

  /// Options whose value differs from the default, secrets masked.
  std::vector<std::pair<std::string, std::string>> changed_options() const;

 private:
  // `origin` is "path:line" or "--set"; errors start with "<origin>: ".
  void assign(std::string_view name, std::string_view value, const std::string& origin);
  const OptionSpec& spec(std::string_view name) const;
  std::string raw(std::string_view name) const;

  std::map<std::string, std::string, std::less<>> values_;
  std::map<std::string, std::string, std::less<>> origins_;
};

/// The sample config file (every option, commented, with its default).
std::string render_sample_config();
/// docs/configuration.md body (a Markdown table per section).
std::string render_config_markdown();
/// The OPTIONS of coproc.conf(5): troff, a .SS per section, a .TP per option.
std::string render_config_man();

}  // namespace coproc
