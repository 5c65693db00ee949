#include "http_messages.h"

#include "msgpack_writer.h"

namespace coproc::rpc {
namespace {

}  // namespace

Packed pack_params(const HttpRequestParams& r) {
  const std::uint32_t entries =
      3 + r.body.has_value() + r.timeout_ms.has_value() + r.connect_timeout_ms.has_value() +
      r.follow_redirects.has_value() + r.max_redirects.has_value() + r.verify_tls.has_value() +
      r.ca_pem.has_value() + r.max_body_bytes.has_value() + r.save_to_fd.has_value();
  return pack_params_map(entries, [&](Packer& pk) {
    pack_entry(pk, "method", r.method);
    pack_entry(pk, "url", r.url);
    pk.pack("headers");
    pack_header_pairs(pk, r.headers);
    pack_bin_entry_if(pk, "body", r.body);
    pack_entry_if(pk, "timeout_ms", r.timeout_ms);
    pack_entry_if(pk, "connect_timeout_ms", r.connect_timeout_ms);
    pack_entry_if(pk, "follow_redirects", r.follow_redirects);
    pack_entry_if(pk, "max_redirects", r.max_redirects);
    pack_entry_if(pk, "verify_tls", r.verify_tls);
    pack_entry_if(pk, "ca_pem", r.ca_pem);
    pack_entry_if(pk, "max_body_bytes", r.max_body_bytes);
    pack_entry_if(pk, "save_to_fd", r.save_to_fd);
  });
}

Packed pack_result(const HttpResponseResult& r) {
  return pack_with([&](Packer& pk) {
    pk.pack_map(6 + r.body.has_value() + r.bytes_written.has_value());
    pack_entry(pk, "status", r.status);
    pack_entry(pk, "reason", r.reason);
    pk.pack("headers");
    pack_header_pairs(pk, r.headers);
    pack_entry_if(pk, "bytes_written", r.bytes_written);
    pack_bin_entry_if(pk, "body", r.body);
    pack_entry(pk, "url", r.url);
    pack_entry(pk, "redirects", r.redirects);
    pack_entry(pk, "elapsed_ms", r.elapsed_ms);
  });
}

bool read_result(std::string_view packed, HttpResponseResult* out) {
  try {
    msgpack::object_handle h = msgpack::unpack(packed.data(), packed.size());
    return read_result(h.get(), out);
  } catch (const std::exception&) {
    return false;
  }
}

bool read_result(const msgpack::object& m, HttpResponseResult* out) {
  try {
    if (m.type != msgpack::type::MAP) return false;
    for (std::uint32_t i = 0; i < m.via.map.size; ++i) {
      const auto& kv = m.via.map.ptr[i];
      const std::string key = text_of(kv.key);
      if (key == "status") {
        out->status = kv.val.as<int>();
      } else if (key == "reason") {
        out->reason = text_of(kv.val);
      } else if (key == "url") {
        out->url = text_of(kv.val);
      } else if (key == "body") {
        out->body = text_of(kv.val);
      } else if (key == "bytes_written") {
        out->bytes_written = kv.val.as<std::int64_t>();
      } else if (key == "redirects") {
        out->redirects = kv.val.as<std::int64_t>();
      } else if (key == "elapsed_ms") {
        out->elapsed_ms = kv.val.as<std::int64_t>();
      } else if (key == "headers") {
        if (kv.val.type != msgpack::type::ARRAY) return false;
        for (std::uint32_t j = 0; j < kv.val.via.array.size; ++j) {
          const auto& pair = kv.val.via.array.ptr[j];
          if (pair.type != msgpack::type::ARRAY || pair.via.array.size != 2) return false;
          out->headers.emplace_back(text_of(pair.via.array.ptr[0]), text_of(pair.via.array.ptr[1]));
        }
      }
    }
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace coproc::rpc
