#include "mail_messages.h"

#include "msgpack_writer.h"

namespace coproc::rpc {
namespace {

void pack_attachment(Packer& pk, const MailAttachmentParams& a) {
  pk.pack_map(1 + !a.content_type.empty() + a.data.has_value() + a.data_base64.has_value() +
              a.fd.has_value());
  pack_entry(pk, "filename", a.filename);
  if (!a.content_type.empty()) pack_entry(pk, "content_type", a.content_type);
  pack_bin_entry_if(pk, "data", a.data);
  pack_entry_if(pk, "data_base64", a.data_base64);
  pack_entry_if(pk, "fd", a.fd);
}

}  // namespace

Packed pack_params(const MailSendParams& m) {
  const std::uint32_t entries = 4 + !m.cc.empty() + !m.bcc.empty() + !m.reply_to.empty() +
                                !m.text.empty() + !m.html.empty() + !m.headers.empty() +
                                !m.attachments.empty();
  return pack_params_map(entries, [&](Packer& pk) {
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
  });
}

Packed pack_params(const MailSendRawParams& m) {
  return pack_params_map(4 + !m.from_name.empty() + !m.idempotency_key.empty(), [&](Packer& pk) {
    pack_bin_entry(pk, "raw", m.raw);
    pack_entry(pk, "envelope_from", m.envelope_from);
    pack_entry(pk, "envelope_to", m.envelope_to);
    pack_entry(pk, "recipients_from_headers", m.recipients_from_headers);
    if (!m.idempotency_key.empty()) pack_entry(pk, "idempotency_key", m.idempotency_key);
    if (!m.from_name.empty()) pack_entry(pk, "from_name", m.from_name);
  });
}

Packed pack_params(const MailStatusParams& p) {
  return pack_value(std::vector<MailStatusParams>{p});
}

Packed pack_params(const MailListParams& p) {
  return pack_params_map(1 + p.state.has_value(), [&](Packer& pk) {
    pack_entry(pk, "limit", p.limit);
    pack_entry_if(pk, "state", p.state);
  });
}

Packed pack_params(const MailTestParams& p) {
  return pack_params_map(p.to.has_value() + p.from.has_value(), [&](Packer& pk) {
    pack_entry_if(pk, "to", p.to);
    pack_entry_if(pk, "from", p.from);
  });
}

}  // namespace coproc::rpc
