// Reading one field out of a packed result without a JSON round trip.
#pragma once

#include <string>
#include <string_view>

namespace coproc {

/// The string value of `key` in the packed map `packed` (a call's result),
/// or "" when the result is not a map or has no such string field.
std::string string_field(std::string_view packed, std::string_view key);

}  // namespace coproc
