// Human-readable rendering of a result for `coprocctl status` and friends.
#include <msgpack.hpp>
#include <ostream>

#include "command.h"

namespace coproc::ctl {
namespace {

bool scalar(const msgpack::object& o) {
  return o.type != msgpack::type::MAP && o.type != msgpack::type::ARRAY;
}

void put_scalar(std::ostream& out, const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL: break;  // nothing, not a placeholder
    case msgpack::type::BOOLEAN: out << (o.via.boolean ? "yes" : "no"); break;
    case msgpack::type::POSITIVE_INTEGER: out << o.via.u64; break;
    case msgpack::type::NEGATIVE_INTEGER: out << o.via.i64; break;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: out << o.via.f64; break;
    case msgpack::type::STR: out.write(o.via.str.ptr, o.via.str.size); break;
    case msgpack::type::BIN: out << "<" << o.via.bin.size << " bytes>"; break;
    default: out << "<" << o.via.ext.size << " bytes of extension>"; break;
  }
}

void put(std::ostream& out, const msgpack::object& o, int indent) {
  const std::string pad(static_cast<std::size_t>(indent) * 2, ' ');
  if (o.type == msgpack::type::MAP) {
    for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
      const auto& kv = o.via.map.ptr[i];
      out << pad;
      put_scalar(out, kv.key);
      out << ":";
      if (scalar(kv.val)) {
        out << " ";
        put_scalar(out, kv.val);
        out << "\n";
      } else if ((kv.val.type == msgpack::type::ARRAY && kv.val.via.array.size == 0) ||
                 (kv.val.type == msgpack::type::MAP && kv.val.via.map.size == 0)) {
        out << "\n";  // empty: nothing, not a placeholder
      } else {
        out << "\n";
        put(out, kv.val, indent + 1);
      }
    }
  } else if (o.type == msgpack::type::ARRAY) {
    bool all_scalar = true;
    for (std::uint32_t i = 0; i < o.via.array.size; ++i) {
      all_scalar = all_scalar && scalar(o.via.array.ptr[i]);
    }
    if (all_scalar) {
      out << pad;
      for (std::uint32_t i = 0; i < o.via.array.size; ++i) {
        if (i) out << ", ";
        put_scalar(out, o.via.array.ptr[i]);
      }
      out << "\n";
      return;
    }
    for (std::uint32_t i = 0; i < o.via.array.size; ++i) {
      out << pad << "- \n";
      put(out, o.via.array.ptr[i], indent + 1);
    }
  } else {
    out << pad;
    put_scalar(out, o);
    out << "\n";
  }
}

}  // namespace

void render_readable(std::ostream& out, const std::string& packed, int indent) {
  msgpack::object_handle oh = msgpack::unpack(packed.data(), packed.size());
  put(out, oh.get(), indent);
}

}  // namespace coproc::ctl
