#include "mail_request.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>

#include "mail_address.h"
#include "mail_messages.h"
#include "rpc_error.h"
#include "rpc_message.h"

#include <sstream>

#include <Poco/Base64Decoder.h>

namespace coproc::mail {
namespace {

constexpr std::size_t kMaxSubjectBytes = 2000;
constexpr std::size_t kMaxHeaderValueBytes = 2000;
constexpr std::size_t kMaxAttachments = 100;
constexpr std::size_t kMaxKeyBytes = 200;

[[noreturn]] void bad(const std::string& message) {
  throw RpcException(Errc::bad_request, message);
}

std::string_view view(const msgpack::object& o) {
  return std::string_view(o.via.str.ptr, o.via.str.size);
}

const msgpack::object* map_find(const msgpack::object& map, std::string_view key) {
  for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
    const auto& kv = map.via.map.ptr[i];
    if (kv.key.type == msgpack::type::STR && view(kv.key) == key) {
      return kv.val.type == msgpack::type::NIL ? nullptr : &kv.val;
    }
  }
  return nullptr;
}

bool is_token_char(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f && !std::strchr("()<>@,;:\\\"/[]?=", c);
}

bool valid_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char);
}

void check_utf8(std::string_view s, const std::string& what) {
  if (!valid_utf8(s)) bad("'" + what + "' is not valid UTF-8");
}

std::vector<Address> address_list(const rpc::Params& params, const char* key) {
  std::vector<Address> out;
  for (const std::string& item : params.str_list(key)) {
    for (const std::string& one : split_address_list(item)) {
      out.push_back(parse_address(one, key));
    }
  }
  return out;
}

std::string read_descriptor(int fd, const std::string& filename, std::uint64_t limit) {
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    bad("attachment '" + filename + "': the passed descriptor cannot be read: " +
        std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) bad("attachment '" + filename + "': the passed descriptor is a directory");
  std::string data;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      bad("attachment '" + filename + "': reading the passed descriptor failed: " +
          std::strerror(errno));
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > limit) {
      throw RpcException(Errc::too_large, "attachment '" + filename + "' is larger than " +
                                              "mail.max_message_bytes (" +
                                              std::to_string(limit) + " bytes)");
    }
  }
  return data;
}

Attachment parse_attachment(const msgpack::object& o, std::size_t index, CallContext& call,
                            std::uint64_t limit) {
  const std::string where = "attachments[" + std::to_string(index) + "]";
  if (o.type != msgpack::type::MAP) bad("'" + where + "' must be a map");
  const auto& known = rpc::MailAttachmentParams::kKeys;
  for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
    const auto& key = o.via.map.ptr[i].key;
    if (key.type != msgpack::type::STR) bad("'" + where + "' has a key that is not a string");
    std::string_view k = view(key);
    if (k == "path") {
      bad("'" + where + "': a path is never accepted; pass the bytes as 'data' or an open "
          "file descriptor as 'fd' (the client library opens the file with your rights)");
    }
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      bad("'" + where + "' has an unknown key '" + std::string(k) +
          "' (known: filename, content_type, data, data_base64, fd)");
    }
  }
  Attachment a;
  const msgpack::object* name = map_find(o, "filename");
  if (!name || name->type != msgpack::type::STR || name->via.str.size == 0) {
    bad("'" + where + ".filename' is required and must be a non-empty string");
  }
  a.filename = std::string(view(*name));
  check_utf8(a.filename, where + ".filename");
  if (a.filename.size() > 255) bad("'" + where + ".filename' is longer than 255 bytes");
  for (char c : a.filename) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) bad("'" + where + ".filename' contains a control character");
    if (c == '/' || c == '\\') bad("'" + where + ".filename' must be a name, not a path");
  }
  if (const msgpack::object* ct = map_find(o, "content_type")) {
    if (ct->type != msgpack::type::STR) bad("'" + where + ".content_type' must be a string");
    std::string_view t = view(*ct);
    std::size_t slash = t.find('/');
    if (slash == std::string_view::npos || !valid_token(t.substr(0, slash)) ||
        !valid_token(t.substr(slash + 1))) {
      bad("'" + where + ".content_type' must look like type/subtype (e.g. application/pdf)");
    }
    a.content_type = std::string(t);
  } else {
    a.content_type = guess_content_type(a.filename);
  }
  const msgpack::object* data = map_find(o, "data");
  const msgpack::object* b64 = map_find(o, "data_base64");
  const msgpack::object* fd = map_find(o, "fd");
  if ((data != nullptr) + (b64 != nullptr) + (fd != nullptr) != 1) {
    bad("'" + where + "' needs exactly one of 'data' (bytes), 'data_base64' or 'fd'");
  }
  if (data) {
    if (data->type == msgpack::type::BIN) {
      a.data.assign(data->via.bin.ptr, data->via.bin.size);
    } else if (data->type == msgpack::type::STR) {
      a.data = std::string(view(*data));
    } else {
      bad("'" + where + ".data' must be binary or a string");
    }
  } else if (b64) {
    if (b64->type != msgpack::type::STR) bad("'" + where + ".data_base64' must be a string");
    std::string text(view(*b64));
    for (char c : text) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && !std::strchr("+/=\r\n ", c)) {
        bad("'" + where + ".data_base64' is not base64");
      }
    }
    std::istringstream in(text);
    Poco::Base64Decoder decoder(in);
    try {
      a.data.assign(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
    } catch (const std::exception&) {
      bad("'" + where + ".data_base64' is not base64");
    }
  } else {
    if (fd->type != msgpack::type::POSITIVE_INTEGER || fd->via.u64 > 1000) {
      bad("'" + where + ".fd' must be the index of a passed file descriptor");
    }
    int taken = call.take_fd(static_cast<std::size_t>(fd->via.u64));
    a.data = read_descriptor(taken, a.filename, limit);
  }
  return a;
}

}  // namespace

std::vector<std::string> split_address_list(const std::string& text) {
  std::vector<std::string> out;
  std::string last = copy_address_list(text, [&](char c, std::string& current) {
    if (c != ',') return false;
    out.push_back(current);
    current.clear();
    return true;
  });
  out.push_back(std::move(last));
  // "a@x," and ", a@x" leave empty pieces; a list that is only blanks stays
  // one empty entry so the caller reports it.
  std::vector<std::string> kept;
  for (auto& s : out) {
    if (s.find_first_not_of(" \t") != std::string::npos) kept.push_back(s);
  }
  if (kept.empty()) kept.push_back(text);
  return kept;
}

std::string guess_content_type(const std::string& filename) {
  static const std::map<std::string, std::string> types = {
      {"txt", "text/plain"},        {"csv", "text/csv"},
      {"htm", "text/html"},         {"html", "text/html"},
      {"xml", "application/xml"},   {"json", "application/json"},
      {"pdf", "application/pdf"},   {"zip", "application/zip"},
      {"gz", "application/gzip"},   {"png", "image/png"},
      {"jpg", "image/jpeg"},        {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},         {"svg", "image/svg+xml"},
      {"doc", "application/msword"},
      {"xls", "application/vnd.ms-excel"},
      {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {"eml", "message/rfc822"},
  };
  std::size_t dot = filename.rfind('.');
  if (dot != std::string::npos) {
    std::string ext = filename.substr(dot + 1);
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = types.find(ext);
    if (it != types.end()) return it->second;
  }
  return "application/octet-stream";
}

MailRequest parse_mail_request(const rpc::Params& params, CallContext& call,
                               std::uint64_t max_message_bytes) {
  params.allow_only(rpc::MailSendParams::kKeys);
  MailRequest r;
  r.from = parse_address(params.str("from"), "from");
  r.to = address_list(params, "to");
  r.cc = address_list(params, "cc");
  r.bcc = address_list(params, "bcc");
  r.reply_to = address_list(params, "reply_to");
  for (const auto* list : {&r.to, &r.cc, &r.bcc, &r.reply_to}) {
    for (const Address& a : *list) check_utf8(a.display_name, "display name");
  }
  check_utf8(r.from.display_name, "from");
  const std::size_t recipients = r.to.size() + r.cc.size() + r.bcc.size();
  if (recipients == 0) bad("no recipients: give at least one address in 'to', 'cc' or 'bcc'");
  if (recipients > kMaxRecipients) {
    bad("too many recipients (" + std::to_string(recipients) + "; at most " +
        std::to_string(kMaxRecipients) + ")");
  }

  r.subject = params.str_or("subject", "");
  if (has_line_break(r.subject)) bad("'subject' contains a CR, LF or NUL; header values are one line");
  if (r.subject.size() > kMaxSubjectBytes) bad("'subject' is longer than 2000 bytes");
  check_utf8(r.subject, "subject");

  std::uint64_t total = 0;
  auto add_size = [&](std::uint64_t n, const std::string& what) {
    total += n;
    if (total > max_message_bytes) {
      throw RpcException(Errc::too_large, what + " makes the message larger than "
                                               "mail.max_message_bytes (" +
                                               std::to_string(max_message_bytes) + " bytes)");
    }
  };
  if (auto text = params.opt_str("text")) r.text = std::move(*text);
  if (auto html = params.opt_str("html")) r.html = std::move(*html);
  check_utf8(r.text, "text");
  check_utf8(r.html, "html");
  add_size(r.text.size() + r.html.size(), "the body");

  if (const msgpack::object* h = params.find("headers")) {
    if (h->type != msgpack::type::MAP) bad("'headers' must be a map of name to value");
    static const char* const reserved[] = {
        "from", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version",
        "reply-to", "content-type", "content-transfer-encoding", "content-disposition",
        "sender", "return-path", "received"};
    for (std::uint32_t i = 0; i < h->via.map.size; ++i) {
      const auto& kv = h->via.map.ptr[i];
      if (kv.key.type != msgpack::type::STR || kv.val.type != msgpack::type::STR) {
        bad("'headers' must map strings to strings");
      }
      std::string name(view(kv.key));
      std::string value(view(kv.val));
      if (name.empty() || name.size() > 76) bad("header name '" + name + "' must be 1..76 characters");
      for (char c : name) {
        unsigned char u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == ':') {
          bad("header name '" + name.substr(0, 40) +
              "' may contain only printable ASCII without ':' or spaces");
        }
      }
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (std::any_of(std::begin(reserved), std::end(reserved),
                      [&](const char* n) { return lower == n; })) {
        bad("header '" + name + "' is set by mail.send itself; use the named parameter");
      }
      if (has_line_break(value)) {
        bad("header '" + name + "' contains a CR, LF or NUL; header values are one line");
      }
      if (value.size() > kMaxHeaderValueBytes) bad("header '" + name + "' is longer than 2000 bytes");
      check_utf8(value, "headers." + name);
      r.headers.emplace_back(std::move(name), std::move(value));
    }
  }

  if (const msgpack::object* list = params.find("attachments")) {
    if (list->type != msgpack::type::ARRAY) bad("'attachments' must be an array of maps");
    if (list->via.array.size > kMaxAttachments) bad("more than 100 attachments");
    for (std::uint32_t i = 0; i < list->via.array.size; ++i) {
      r.attachments.push_back(parse_attachment(list->via.array.ptr[i], i, call, max_message_bytes));
      add_size(r.attachments.back().data.size(),
               "attachment '" + r.attachments.back().filename + "'");
    }
  }

  r.idempotency_key = parse_idempotency_key(params);
  return r;
}

std::string parse_idempotency_key(const rpc::Params& params) {
  std::string key = params.str_or("idempotency_key", "");
  if (key.size() > kMaxKeyBytes) bad("'idempotency_key' is longer than 200 bytes");
  for (char c : key) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) bad("'idempotency_key' contains a control character");
  }
  return key;
}

}  // namespace coproc::mail
