// The mail part of the C ABI (coproc/mail.h): plain strings in, mail.send /
// mail.status / mail.list out. Attachment files are opened here, with the
// caller's rights, and passed to the co-process as descriptors (on Windows
// as bytes: local_file.h).
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "c_api_internal.h"
#include "idempotency.h"
#include "local_file.h"
#include "mail_messages.h"
#include "methods.h"
#include "result_fields.h"
#include "coproc/mail.h"

struct coproc_mail {
  struct Attachment {
    std::string filename;
    std::string content_type;  // "" = guessed by the co-process
    std::string data;
    int fd = -1;  // owned
  };
  std::string from, subject, text, html, reply_to, key;
  std::vector<std::string> to, cc, bcc;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<Attachment> attachments;

  ~coproc_mail() {
    for (auto& a : attachments) {
      coproc::local::close(a.fd);
    }
  }
};

namespace coproc::capi {
namespace {

std::string random_key() { return "capi-" + coproc::new_idempotency_key(); }

// The typed mail.send params; attachments with a file refer to fds by index.
rpc::MailSendParams params_of(const coproc_mail& m, std::vector<int>* fds) {
  rpc::MailSendParams p;
  p.from = m.from;
  p.to = m.to;
  p.cc = m.cc;
  p.bcc = m.bcc;
  if (!m.reply_to.empty()) p.reply_to.push_back(m.reply_to);
  p.subject = m.subject;
  p.text = m.text;
  p.html = m.html;
  p.headers = m.headers;
  p.idempotency_key = m.key;
  for (const auto& a : m.attachments) {
    rpc::MailAttachmentParams out;
    out.filename = a.filename;
    out.content_type = a.content_type;
    if (a.fd >= 0) {
      // A resend after a lost connection must read the file from the start.
      coproc::local::rewind(a.fd);
      out.fd = fds->size();
      fds->push_back(a.fd);
    } else {
      out.data = a.data;
    }
    p.attachments.push_back(std::move(out));
  }
  return p;
}

coproc_status submit(coproc_client* client, const coproc_mail& m, char** id_out) {
  if (id_out) *id_out = nullptr;
  CallOptions options;
  options.idempotent = 1;  // the idempotency key makes a resend safe
  const rpc::Packed params = rpc::pack_params(params_of(m, &options.fds));
  CallResult r = client->cpp.call(rpc::method::kMailSend, params.bytes, options);
  if (!r.ok()) return from_result(client, r);
  const std::string id = coproc::string_field(r.result, "id");
  if (id.empty()) return fail(client, COPROC_E_PROTOCOL, "protocol: mail.send returned no id");
  if (id_out) {
    *id_out = dup_string(id);
    if (!*id_out) return fail(client, COPROC_E_NOMEM, "coproc_mail_submit: out of memory");
  }
  return succeed(client);
}

coproc_status call_to_json(coproc_client* client, std::string_view method, const rpc::Packed& params,
                           char** json_out) {
  CallResult r = client->cpp.call(method, params.bytes);
  if (!r.ok()) return from_result(client, r);
  std::string json, error;
  if (!msgpack_to_json(r.result, &json, &error)) {
    return fail(client, COPROC_E_PROTOCOL,
                "protocol: " + std::string(method) + " returned bad data: " + error);
  }
  *json_out = dup_string(json);
  if (!*json_out) return fail(client, COPROC_E_NOMEM, std::string(method) + ": out of memory");
  return succeed(client);
}

bool has_line_break(const char* s) { return std::strpbrk(s, "\r\n") != nullptr; }

coproc_status add_address(coproc_mail* m, std::vector<std::string> coproc_mail::*list,
                          const char* address, const char* fn) {
  if (!m) return fail(nullptr, COPROC_E_MISUSE, std::string(fn) + ": mail is NULL");
  if (!address) return fail(nullptr, COPROC_E_MISUSE, std::string(fn) + ": address is NULL");
  return guard(nullptr, fn, [&] {
    (m->*list).emplace_back(address);
    return COPROC_OK;
  });
}

}  // namespace
}  // namespace coproc::capi

using coproc::capi::fail;
using coproc::capi::guard;

extern "C" {

coproc_status coproc_mail_send(coproc_client* client, const char* from, const char* to,
                               const char* subject, const char* text_body, char** id_out) {
  if (id_out) *id_out = nullptr;
  if (!client) return fail(nullptr, COPROC_E_MISUSE, "coproc_mail_send: client is NULL");
  if (!from || !to) return fail(client, COPROC_E_MISUSE, "coproc_mail_send: from and to are required");
  return guard(client, __func__, [&] {
    coproc_mail m;
    m.from = from;
    m.to.emplace_back(to);
    if (subject) m.subject = subject;
    if (text_body) m.text = text_body;
    m.key = coproc::capi::random_key();
    return coproc::capi::submit(client, m, id_out);
  });
}

coproc_status coproc_mail_new(coproc_mail** out) {
  if (!out) return fail(nullptr, COPROC_E_MISUSE, "coproc_mail_new: out is NULL");
  *out = nullptr;
  return guard(nullptr, __func__, [&] {
    auto m = std::make_unique<coproc_mail>();
    m->key = coproc::capi::random_key();
    *out = m.release();
    return COPROC_OK;
  });
}

coproc_status coproc_mail_set(coproc_mail* mail, coproc_mail_field field, const char* value) {
  if (!mail) return fail(nullptr, COPROC_E_MISUSE, "coproc_mail_set: mail is NULL");
  std::string* target = nullptr;
  switch (field) {
    case COPROC_MAIL_FROM: target = &mail->from; break;
    case COPROC_MAIL_SUBJECT: target = &mail->subject; break;
    case COPROC_MAIL_TEXT: target = &mail->text; break;
    case COPROC_MAIL_HTML: target = &mail->html; break;
    case COPROC_MAIL_REPLY_TO: target = &mail->reply_to; break;
    case COPROC_MAIL_IDEMPOTENCY_KEY: target = &mail->key; break;
  }
  if (!target) {
    return fail(nullptr, COPROC_E_MISUSE,
                "coproc_mail_set: unknown field " + std::to_string(static_cast<int>(field)));
  }
  if (field == COPROC_MAIL_IDEMPOTENCY_KEY && (!value || !*value)) {
    return fail(nullptr, COPROC_E_MISUSE, "coproc_mail_set: the idempotency key cannot be empty");
  }
  return guard(nullptr, __func__, [&] {
    *target = value ? value : "";
    return COPROC_OK;
  });
}

coproc_status coproc_mail_add_to(coproc_mail* mail, const char* address) {
  return coproc::capi::add_address(mail, &coproc_mail::to, address, "coproc_mail_add_to");
}

coproc_status coproc_mail_add_cc(coproc_mail* mail, const char* address) {
  return coproc::capi::add_address(mail, &coproc_mail::cc, address, "coproc_mail_add_cc");
}

coproc_status coproc_mail_add_bcc(coproc_mail* mail, const char* address) {
  return coproc::capi::add_address(mail, &coproc_mail::bcc, address, "coproc_mail_add_bcc");
}

coproc_status coproc_mail_set_html(coproc_mail* mail, const char* html) {
  return coproc_mail_set(mail, COPROC_MAIL_HTML, html);
}

coproc_status coproc_mail_add_header(coproc_mail* mail, const char* name, const char* value) {
  if (!mail || !name || !value) {
    return fail(nullptr, COPROC_E_MISUSE, "coproc_mail_add_header: NULL argument");
  }
  if (coproc::capi::has_line_break(name) || coproc::capi::has_line_break(value)) {
    return fail(nullptr, COPROC_E_MISUSE,
                "coproc_mail_add_header: a header name or value cannot contain CR or LF");
  }
  return guard(nullptr, __func__, [&] {
    mail->headers.emplace_back(name, value);
    return COPROC_OK;
  });
}

coproc_status coproc_mail_attach_file(coproc_mail* mail, const char* path, const char* content_type) {
  if (!mail || !path) return fail(nullptr, COPROC_E_MISUSE, "coproc_mail_attach_file: NULL argument");
  return guard(nullptr, __func__, [&] {
    coproc::local::OpenedFile file;
    std::string error;
    if (!coproc::local::open_attachment(path, &file, &error)) {
      return fail(nullptr, COPROC_E_IO, std::string("coproc_mail_attach_file: cannot open attachment '") +
                                            path + "': " + error);
    }
    coproc_mail::Attachment a;
    a.filename = coproc::local::base_name(path);
    a.content_type = content_type ? content_type : "";
    a.fd = file.fd;
    a.data = std::move(file.bytes);
    try {
      mail->attachments.push_back(std::move(a));
    } catch (...) {
      coproc::local::close(file.fd);
      throw;
    }
    return COPROC_OK;
  });
}

coproc_status coproc_mail_attach_bytes(coproc_mail* mail, const char* filename, const void* data,
                                       size_t len, const char* content_type) {
  if (!mail || !filename || (!data && len > 0)) {
    return fail(nullptr, COPROC_E_MISUSE, "coproc_mail_attach_bytes: NULL argument");
  }
  return guard(nullptr, __func__, [&] {
    coproc_mail::Attachment a;
    a.filename = filename;
    a.content_type = content_type ? content_type : "";
    if (len) a.data.assign(static_cast<const char*>(data), len);
    mail->attachments.push_back(std::move(a));
    return COPROC_OK;
  });
}

coproc_status coproc_mail_submit(coproc_client* client, coproc_mail* mail, char** id_out) {
  if (id_out) *id_out = nullptr;
  if (!client) return fail(nullptr, COPROC_E_MISUSE, "coproc_mail_submit: client is NULL");
  if (!mail) return fail(client, COPROC_E_MISUSE, "coproc_mail_submit: mail is NULL");
  return guard(client, __func__, [&] { return coproc::capi::submit(client, *mail, id_out); });
}

void coproc_mail_free(coproc_mail* mail) { delete mail; }

coproc_status coproc_mail_status(coproc_client* client, const char* id, char** json_out) {
  if (json_out) *json_out = nullptr;
  if (!client) return fail(nullptr, COPROC_E_MISUSE, "coproc_mail_status: client is NULL");
  if (!id || !json_out) return fail(client, COPROC_E_MISUSE, "coproc_mail_status: NULL argument");
  return guard(client, __func__, [&] {
    return coproc::capi::call_to_json(client, coproc::rpc::method::kMailStatus,
                                      coproc::rpc::pack_params(coproc::rpc::MailStatusParams{id}),
                                      json_out);
  });
}

coproc_status coproc_mail_list(coproc_client* client, const char* state, int limit, char** json_out) {
  if (json_out) *json_out = nullptr;
  if (!client) return fail(nullptr, COPROC_E_MISUSE, "coproc_mail_list: client is NULL");
  if (!json_out) return fail(client, COPROC_E_MISUSE, "coproc_mail_list: json_out is NULL");
  return guard(client, __func__, [&] {
    coproc::rpc::MailListParams params;
    if (state) params.state = state;
    params.limit = limit > 0 ? limit : 100;
    return coproc::capi::call_to_json(client, coproc::rpc::method::kMailList,
                                      coproc::rpc::pack_params(params), json_out);
  });
}

}  // extern "C"
