#include "mail_messages.h"

#include "msgpack_writer.h"

namespace coproc::rpc {
namespace {

void pack_attachment(Packer& pk, const MailAttachmentParams& a) {
  pk.pack_map(1 + !a.content_type.empty() + a.data.has_value() + a.data_base64.has_value() +
              a.fd.has_value());
  pack_entry(pk, "filename", a.filename);
  if (!a.content_type.empty()) pack_entry(pk, "content_type", a.content_type);
  if (a.data) {
    pk.pack("data");
    pack_bin(pk, *a.data);
  }
  if (a.data_base64) pack_entry(pk, "data_base64", *a.data_base64);
  if (a.fd) pack_entry(pk, "fd", *a.fd);
}

}  // namespace

Packed pack_params(const MailSendParams& m) {
  Packed out;
  StringWriter w{&out.bytes};
  Packer pk(w);
  pk.pack_array(1);
  pk.pack_map(4 + !m.cc.empty() + !m.bcc.empty() + !m.reply_to.empty() + !m.text.empty() +
              !m.html.empty() + !m.headers.empty() + !m.attachments.empty());
  pack_entry(pk, "from", m.from);
  pack_entry(pk, "to", m.to);
  pack_entry(pk, "subject", m.subject);
  pack_entry(pk, "idempotency_key", m.idempotency_key);
  if (!m.cc.empty()) pack_entry(pk, "cc", m.cc);
  if (!m.bcc.empty()) pack_entry(pk, "bcc", m.bcc);
  if (!m.reply_to.empty()) pack_entry(pk, "reply_to", m.reply_to);
  if (!m.text.empty()) pack_entry(pk, "text", m.text);
  if (!m.html.empty()) pack_entry(pk, "html", m.html);
  if (!m.headers.empty()) {
    pk.pack("headers");
    pk.pack_map(static_cast<std::uint32_t>(m.headers.size()));
    for (const auto& [name, value] : m.headers) {
      pk.pack(name);
      pk.pack(value);
    }
  }
  if (!m.attachments.empty()) {
    pk.pack("attachments");
    pk.pack_array(static_cast<std::uint32_t>(m.attachments.size()));
    for (const auto& a : m.attachments) pack_attachment(pk, a);
  }
  return out;
}

Packed pack_params(const MailSendRawParams& m) {
  Packed out;
  StringWriter w{&out.bytes};
  Packer pk(w);
  pk.pack_array(1);
  pk.pack_map(4 + !m.from_name.empty() + !m.idempotency_key.empty());
  pk.pack("raw");
  pack_bin(pk, m.raw);
  pack_entry(pk, "envelope_from", m.envelope_from);
  pack_entry(pk, "envelope_to", m.envelope_to);
  pack_entry(pk, "recipients_from_headers", m.recipients_from_headers);
  if (!m.idempotency_key.empty()) pack_entry(pk, "idempotency_key", m.idempotency_key);
  if (!m.from_name.empty()) pack_entry(pk, "from_name", m.from_name);
  return out;
}

Packed pack_params(const MailStatusParams& p) {
  return pack_value(std::vector<MailStatusParams>{p});
}

Packed pack_params(const MailListParams& p) {
  Packed out;
  StringWriter w{&out.bytes};
  Packer pk(w);
  pk.pack_array(1);
  pk.pack_map(1 + p.state.has_value());
  pack_entry(pk, "limit", p.limit);
  if (p.state) pack_entry(pk, "state", *p.state);
  return out;
}

Packed pack_params(const MailTestParams& p) {
  Packed out;
  StringWriter w{&out.bytes};
  Packer pk(w);
  pk.pack_array(1);
  pk.pack_map(p.to.has_value() + p.from.has_value());
  if (p.to) pack_entry(pk, "to", *p.to);
  if (p.from) pack_entry(pk, "from", *p.from);
  return out;
}

}  // namespace coproc::rpc
