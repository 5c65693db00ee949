// The JSON bridge: JSON text <-> MessagePack, so languages without a
// msgpack library can call any method. Mapping (docs/c-api.md):
//   null/true/false/string/array/object <-> nil/bool/str/array/map
//   integers in [-2^63, 2^64) <-> int; other numbers <-> float64
//   {"$base64": "..."} -> bin;  bin -> string if valid UTF-8, else {"$base64": "..."}
//   ext -> {"$ext": type, "$base64": "..."}; non-string map keys -> their JSON text
#pragma once

#include <string>
#include <string_view>

#include "utf8.h"

namespace coproc::json {

/// Deepest nesting accepted in JSON input.
constexpr int kMaxDepth = 64;

/// Params of a call from JSON: an object becomes `[object]`, an array is
/// used as is, "" (or only spaces) or `null` means `[{}]`. False with a
/// message for anything else or invalid JSON.
bool params_to_msgpack(std::string_view json, std::string* packed, std::string* error);

/// Standard base64 (RFC 4648, with padding).
std::string base64_encode(std::string_view bytes);
/// False when `text` is not valid base64.
bool base64_decode(std::string_view text, std::string* bytes);

using coproc::printable_utf8;  // utf8.h
using coproc::valid_utf8;

}  // namespace coproc::json
