// Reads the named arguments of a call. By convention `params` is an array
// holding one map (`[{"to": [...], ...}]`); an empty array means no
// arguments. Every accessor throws RpcException(bad_request) with a message
// that names the parameter and what was expected.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <msgpack.hpp>

namespace coproc::rpc {

class Params {
 public:
  /// Throws bad_request when `params` is not `[]` or `[map]`.
  explicit Params(const msgpack::object& params);

  bool has(std::string_view key) const { return find(key) != nullptr; }
  /// The raw value, or nullptr when absent or nil.
  const msgpack::object* find(std::string_view key) const;

  std::string str(std::string_view key) const;  // required
  std::optional<std::string> opt_str(std::string_view key) const;
  std::string str_or(std::string_view key, std::string_view fallback) const;

  /// Accepts a string or a binary value.
  std::optional<std::string> opt_bytes(std::string_view key) const;

  std::int64_t int_or(std::string_view key, std::int64_t fallback, std::int64_t min,
                      std::int64_t max) const;
  bool bool_or(std::string_view key, bool fallback) const;

  /// An array of strings; a single string is taken as a one-element list.
  std::vector<std::string> str_list(std::string_view key) const;

  /// Throws bad_request naming the first key not in `known`.
  void allow_only(std::initializer_list<std::string_view> known) const;
  /// The same for a typed definition's key lists (e.g. MailSendParams::kKeys).
  template <std::size_t... N>
  void allow_only(const std::array<std::string_view, N>&... lists) const {
    std::vector<std::string_view> known;
    (known.insert(known.end(), lists.begin(), lists.end()), ...);
    allow_only(known.data(), known.data() + known.size());
  }

 private:
  void allow_only(const std::string_view* begin, const std::string_view* end) const;
  const msgpack::object* map_ = nullptr;  // nullptr: no arguments
};

}  // namespace coproc::rpc
