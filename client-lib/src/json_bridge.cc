#include "json_bridge.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include <msgpack.hpp>

#include "coproc/client.hpp"
#include "msgpack_writer.h"

namespace coproc {
namespace json {
namespace {

using rpc::Packer;
using rpc::StringWriter;

// 'x' for a printable ASCII character, "byte 0xNN" for anything else, so
// an error message never echoes raw (perhaps invalid UTF-8) input.
std::string describe_byte(char ch) {
  const unsigned char c = static_cast<unsigned char>(ch);
  if (c >= 0x20 && c < 0x7f) return std::string("'") + ch + "'";
  static const char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[c >> 4] + kHex[c & 0x0F];
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  bool parse_document(std::string* out) {
    skip_ws();
    if (!value(out, 0)) return false;
    skip_ws();
    if (pos_ != s_.size()) return fail("unexpected text after the JSON value");
    return true;
  }
  const std::string& error() const { return error_; }
  bool at_end() {
    skip_ws();
    return pos_ == s_.size();
  }
  char peek_first() {
    skip_ws();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }

 private:
  bool fail(const std::string& what) {
    if (error_.empty()) error_ = "invalid JSON at byte " + std::to_string(pos_) + ": " + what;
    return false;
  }
  void skip_ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return fail("unknown literal");
    pos_ += word.size();
    return true;
  }

  bool value(std::string* out, int depth) {
    if (depth > kMaxDepth) {
      return fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    if (pos_ >= s_.size()) return fail("unexpected end of input");
    StringWriter w{out};
    Packer pk(w);
    const char c = s_[pos_];
    switch (c) {
      case 'n':
        if (!literal("null")) return false;
        pk.pack_nil();
        return true;
      case 't':
        if (!literal("true")) return false;
        pk.pack_true();
        return true;
      case 'f':
        if (!literal("false")) return false;
        pk.pack_false();
        return true;
      case '"': {
        std::string str;
        if (!string(&str)) return false;
        pk.pack_str(static_cast<std::uint32_t>(str.size()));
        pk.pack_str_body(str.data(), static_cast<std::uint32_t>(str.size()));
        return true;
      }
      case '[': return array(out, depth);
      case '{': return object(out, depth);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return number(out);
        return fail(std::string("unexpected character ") + describe_byte(c));
    }
  }

  bool array(std::string* out, int depth) {
    ++pos_;  // [
    std::string body;
    std::uint32_t n = 0;
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
    } else {
      for (;;) {
        skip_ws();
        if (!value(&body, depth + 1)) return false;
        ++n;
        skip_ws();
        if (pos_ >= s_.size()) return fail("unterminated array");
        if (s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (s_[pos_] == ']') {
          ++pos_;
          break;
        }
        return fail("expected ',' or ']' in array");
      }
    }
    StringWriter w{out};
    Packer(w).pack_array(n);
    out->append(body);
    return true;
  }

  bool object(std::string* out, int depth) {
    ++pos_;  // {
    std::string body;
    std::uint32_t n = 0;
    std::string only_key;
    std::string only_value_text;  // the string value when it is the only key
    bool only_value_is_string = false;
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
    } else {
      for (;;) {
        skip_ws();
        if (pos_ >= s_.size() || s_[pos_] != '"') return fail("expected a string as object key");
        std::string key;
        if (!string(&key)) return false;
        skip_ws();
        if (pos_ >= s_.size() || s_[pos_] != ':') return fail("expected ':' after object key");
        ++pos_;
        skip_ws();
        {
          StringWriter w{&body};
          Packer pk(w);
          pk.pack_str(static_cast<std::uint32_t>(key.size()));
          pk.pack_str_body(key.data(), static_cast<std::uint32_t>(key.size()));
        }
        if (n == 0) {
          only_key = key;
          only_value_is_string = pos_ < s_.size() && s_[pos_] == '"';
          if (only_value_is_string) {
            const std::size_t start = pos_;
            if (!string(&only_value_text)) return false;
            pos_ = start;  // parse again below as the regular value
          }
        }
        if (!value(&body, depth + 1)) return false;
        ++n;
        skip_ws();
        if (pos_ >= s_.size()) return fail("unterminated object");
        if (s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (s_[pos_] == '}') {
          ++pos_;
          break;
        }
        return fail("expected ',' or '}' in object");
      }
    }
    StringWriter w{out};
    Packer pk(w);
    if (n == 1 && only_key == "$base64" && only_value_is_string) {
      std::string bytes;
      if (!base64_decode(only_value_text, &bytes)) {
        return fail("the value of \"$base64\" is not valid base64");
      }
      pk.pack_bin(static_cast<std::uint32_t>(bytes.size()));
      pk.pack_bin_body(bytes.data(), static_cast<std::uint32_t>(bytes.size()));
      return true;
    }
    pk.pack_map(n);
    out->append(body);
    return true;
  }

  bool hex4(unsigned* v) {
    if (pos_ + 4 > s_.size()) return fail("truncated \\u escape");
    *v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      *v <<= 4;
      if (c >= '0' && c <= '9') *v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') *v |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') *v |= static_cast<unsigned>(c - 'A' + 10);
      else return fail("invalid hex digit in \\u escape");
    }
    return true;
  }

  static void put_utf8(std::string* out, unsigned cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool string(std::string* out) {
    ++pos_;  // opening quote
    const std::size_t start = pos_;
    for (;;) {
      if (pos_ >= s_.size()) return fail("unterminated string");
      const unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c < 0x20) return fail("control character in string (escape it)");
      if (c != '\\') {
        out->push_back(static_cast<char>(c));
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= s_.size()) return fail("unterminated escape");
      const char e = s_[pos_++];
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          unsigned cp = 0;
          if (!hex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned lo = 0;
            if (s_.substr(pos_, 2) != "\\u") return fail("high surrogate without a low surrogate");
            pos_ += 2;
            if (!hex4(&lo)) return false;
            if (lo < 0xDC00 || lo > 0xDFFF) return fail("high surrogate without a low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return fail("lone low surrogate in \\u escape");
          }
          put_utf8(out, cp);
          break;
        }
        default: return fail(std::string("invalid escape '\\") + e + "'");
      }
    }
    if (!valid_utf8(*out)) {
      pos_ = start;
      return fail("string is not valid UTF-8");
    }
    return true;
  }

  bool number(std::string* out) {
    const std::size_t start = pos_;
    bool negative = false;
    if (s_[pos_] == '-') {
      negative = true;
      ++pos_;
    }
    auto digits = [&] {
      const std::size_t d = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ - d;
    };
    const std::size_t int_start = pos_;
    if (digits() == 0) return fail("expected digits");
    if (s_[int_start] == '0' && pos_ - int_start > 1) return fail("leading zero in number");
    bool integral = true;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      integral = false;
      if (digits() == 0) return fail("expected digits after '.'");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      integral = false;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (digits() == 0) return fail("expected digits in exponent");
    }
    const char* first = s_.data() + start;
    const char* last = s_.data() + pos_;
    StringWriter w{out};
    Packer pk(w);
    if (integral) {
      if (negative) {
        std::int64_t v = 0;
        auto r = std::from_chars(first, last, v);
        if (r.ec == std::errc() && r.ptr == last) {
          pk.pack_int64(v);
          return true;
        }
      } else {
        std::uint64_t v = 0;
        auto r = std::from_chars(first, last, v);
        if (r.ec == std::errc() && r.ptr == last) {
          pk.pack_uint64(v);
          return true;
        }
      }
      // Outside 64 bits: a float64, as JavaScript would read it.
    }
    double d = 0;
    auto r = std::from_chars(first, last, d);
    if (r.ec == std::errc::result_out_of_range || !std::isfinite(d)) {
      pos_ = start;
      return fail("number out of the range of a 64-bit float");
    }
    if (r.ec != std::errc() || r.ptr != last) {
      pos_ = start;
      return fail("malformed number");
    }
    // Always float64 on the wire: msgpack-c's pack_double() would write an
    // integral double (2.0) as an integer.
    std::uint64_t bits;
    static_assert(sizeof bits == sizeof d, "IEEE 754 double");
    std::memcpy(&bits, &d, sizeof bits);
    char be[9];
    be[0] = static_cast<char>(0xcb);
    for (int i = 0; i < 8; ++i) be[1 + i] = static_cast<char>((bits >> (56 - 8 * i)) & 0xff);
    out->append(be, sizeof be);
    return true;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::string error_;
};

void put_escaped(std::string* out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

void put_bytes(std::string* out, std::string_view bytes) {
  if (valid_utf8(bytes)) {
    put_escaped(out, bytes);
    return;
  }
  out->append("{\"$base64\":\"");
  out->append(base64_encode(bytes));
  out->append("\"}");
}

void put_double(std::string* out, double d) {
  if (!std::isfinite(d)) {
    out->append("null");
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
  out->append(text);
  // Keep floats recognisable as floats when read back (1.0 stays 1.0).
  if (text.find_first_of(".eEn") == std::string_view::npos) out->append(".0");
}

void put_value(std::string* out, const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL: out->append("null"); return;
    case msgpack::type::BOOLEAN: out->append(o.via.boolean ? "true" : "false"); return;
    case msgpack::type::POSITIVE_INTEGER: out->append(std::to_string(o.via.u64)); return;
    case msgpack::type::NEGATIVE_INTEGER: out->append(std::to_string(o.via.i64)); return;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: put_double(out, o.via.f64); return;
    case msgpack::type::STR: put_bytes(out, std::string_view(o.via.str.ptr, o.via.str.size)); return;
    case msgpack::type::BIN: put_bytes(out, std::string_view(o.via.bin.ptr, o.via.bin.size)); return;
    case msgpack::type::EXT:
      out->append("{\"$ext\":");
      out->append(std::to_string(static_cast<int>(o.via.ext.type())));
      out->append(",\"$base64\":\"");
      out->append(base64_encode(std::string_view(o.via.ext.data(), o.via.ext.size)));
      out->append("\"}");
      return;
    case msgpack::type::ARRAY:
      out->push_back('[');
      for (std::uint32_t i = 0; i < o.via.array.size; ++i) {
        if (i) out->push_back(',');
        put_value(out, o.via.array.ptr[i]);
      }
      out->push_back(']');
      return;
    case msgpack::type::MAP:
      out->push_back('{');
      for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
        if (i) out->push_back(',');
        const auto& kv = o.via.map.ptr[i];
        if (kv.key.type == msgpack::type::STR) {
          put_escaped(out, std::string_view(kv.key.via.str.ptr, kv.key.via.str.size));
        } else {
          std::string key;
          put_value(&key, kv.key);
          put_escaped(out, key);
        }
        out->push_back(':');
        put_value(out, kv.val);
      }
      out->push_back('}');
      return;
  }
  out->append("null");
}

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

bool base64_decode(std::string_view text, std::string* bytes) {
  if (text.size() % 4 != 0) return false;
  bytes->clear();
  bytes->reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        v[k] = 0;
        ++pad;
      } else if (pad > 0 || (v[k] = b64_value(c)) < 0) {
        return false;
      }
    }
    const unsigned n = (static_cast<unsigned>(v[0]) << 18) | (static_cast<unsigned>(v[1]) << 12) |
                       (static_cast<unsigned>(v[2]) << 6) | static_cast<unsigned>(v[3]);
    bytes->push_back(static_cast<char>(n >> 16));
    if (pad < 2) bytes->push_back(static_cast<char>((n >> 8) & 0xFF));
    if (pad < 1) bytes->push_back(static_cast<char>(n & 0xFF));
  }
  return true;
}

bool params_to_msgpack(std::string_view text, std::string* packed, std::string* error) {
  Parser parser(text);
  if (parser.at_end()) {
    *packed = std::string("\x91\x80", 2);  // [{}]
    return true;
  }
  const char first = parser.peek_first();
  std::string value;
  if (!parser.parse_document(&value)) {
    *error = parser.error();
    return false;
  }
  packed->clear();
  if (first == '[') {
    *packed = std::move(value);
  } else if (first == '{') {
    packed->push_back('\x91');
    packed->append(value);
  } else if (first == 'n') {
    *packed = std::string("\x91\x80", 2);
  } else {
    *error = "params must be a JSON object (named arguments) or an array, not a single value";
    return false;
  }
  return true;
}

}  // namespace json

bool json_to_msgpack(std::string_view text, std::string* packed, std::string* error) {
  json::Parser parser(text);
  packed->clear();
  if (!parser.parse_document(packed)) {
    *error = parser.error();
    return false;
  }
  return true;
}

bool msgpack_to_json(std::string_view packed, std::string* text, std::string* error) {
  try {
    std::size_t offset = 0;
    msgpack::object_handle oh = msgpack::unpack(
        packed.data(), packed.size(), offset, nullptr, nullptr,
        msgpack::unpack_limit(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
                              json::kMaxDepth * 4));
    if (offset != packed.size()) {
      *error = "more than one MessagePack value";
      return false;
    }
    text->clear();
    json::put_value(text, oh.get());
    return true;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    *error = std::string("not a valid MessagePack value: ") + e.what();
    return false;
  }
}

}  // namespace coproc
