#include "content_digest.h"

#include <Poco/Crypto/DigestEngine.h>

namespace coproc::mail {
namespace {

// Each field length-prefixed, so ("ab", "c") and ("a", "bc") differ.
class Digest {
 public:
  Digest() : engine_("SHA256") {}
  Digest& add(const std::string& field) {
    const std::string length = std::to_string(field.size()) + ":";
    engine_.update(length.data(), static_cast<unsigned>(length.size()));
    engine_.update(field.data(), static_cast<unsigned>(field.size()));
    return *this;
  }
  Digest& add(const Address& a) { return add(a.display_name).add(a.addr_spec); }
  template <class T>
  Digest& add(const std::vector<T>& list) {
    add(std::to_string(list.size()));
    for (const auto& item : list) add(item);
    return *this;
  }
  std::string hex() { return Poco::DigestEngine::digestToHex(engine_.digest()); }

 private:
  Poco::Crypto::DigestEngine engine_;
};

}  // namespace

std::string content_digest(const MailRequest& r) {
  Digest d;
  d.add("built").add(r.from).add(r.to).add(r.cc).add(r.bcc).add(r.reply_to);
  d.add(r.subject).add(r.text).add(r.html);
  d.add(std::to_string(r.headers.size()));
  for (const auto& [name, value] : r.headers) d.add(name).add(value);
  d.add(std::to_string(r.attachments.size()));
  for (const Attachment& a : r.attachments) d.add(a.filename).add(a.content_type).add(a.data);
  return d.hex();
}

std::string raw_content_digest(const std::string& raw, const std::string& envelope_from,
                               const std::vector<std::string>& recipients) {
  return Digest().add("raw").add(raw).add(envelope_from).add(recipients).hex();
}

}  // namespace coproc::mail
