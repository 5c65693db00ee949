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

/// enumeration: a string that must be one of `choices`.
enum class OptionType { string, integer, boolean, enumeration };

struct OptionSpec {
  std::string_view name;           // "section.key"
  OptionType type;
  std::string_view default_value;  // as it would be written in the file
  std::int64_t min;                // integers only
  std::int64_t max;
  std::string_view doc;
  bool secret;                     // never logged or reported
  std::string_view choices = {};   // enumerations only: "a|b|c" = the values allowed
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

  /// Fills each secret option NAME (smtp.password) that has no value from
  /// the file named by NAME_file, or else from the systemd credential NAME
  /// ($CREDENTIALS_DIRECTORY/NAME, see LoadCredential=) when that exists.
  /// A NAME_file without a '/' names a credential. A file read must not be
  /// readable or writable by other users; its content minus one trailing
  /// newline is the value. Both NAME and NAME_file set is an error. Throws
  /// ConfigError ("smtp.password_file: /etc/coproc/pw: ...").
  void load_secret_files();

  /// The secret options that have a value, as "name=value" lines, plus an
  /// empty NAME_file for each (already read): what the service hands each
  /// co-process through a pipe, never on its command line or environment.
  /// "" when there is nothing to hand over.
  std::string secret_lines() const;
  /// Applies secret_lines() text. Throws ConfigError.
  void set_secret_lines(std::string_view lines);
  /// True when a --set NAME=VALUE assignment sets a secret option.
  static bool sets_secret(std::string_view assignment);

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
