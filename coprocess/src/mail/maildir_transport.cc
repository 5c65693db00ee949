#include "maildir_transport.h"

#include <atomic>
#include <system_error>

#include <Poco/Process.h>

#include "durable_file.h"
#include "mail_types.h"

namespace coproc::mail {
namespace {

std::atomic<std::uint64_t> g_counter{0};

std::string host_name() {
  std::string out;
  for (char c : local_host_name()) out += (c == '/' || c == ':') ? '_' : c;
  return out;
}

class MaildirSession : public TransportSession {
 public:
  explicit MaildirSession(const std::string& dir) : dir_(dir), host_(host_name()) {}

  std::vector<Refusal> send(const Envelope& envelope, const std::string& message) override {
    const std::int64_t ms = now_ms();
    const std::string unique = std::to_string(ms / 1000) + ".M" + std::to_string(ms % 1000) + "P" +
                               std::to_string(Poco::Process::id()) + "Q" + std::to_string(++g_counter) +
                               "_" + envelope.id + "." + host_ + ".eml";
    std::string content = "Return-Path: <" + envelope.from + ">\r\n";
    for (const std::string& r : envelope.recipients) content += "Delivered-To: " + r + "\r\n";
    content += message;
    try {
      write_file_durably(dir_ + "/tmp", unique, content, false);
      rename_file(dir_ + "/tmp/" + unique, dir_ + "/new/" + unique);
      fsync_directory(dir_ + "/new");
    } catch (const std::system_error& e) {
      throw DeliveryError(false, std::string("maildir: ") + e.what());
    }
    return {};
  }

 private:
  std::string dir_;
  std::string host_;
};

}  // namespace

MaildirTransport::MaildirTransport(std::string dir) : dir_(std::move(dir)) {
  for (const std::string& d : {dir_, dir_ + "/tmp", dir_ + "/new", dir_ + "/cur"}) {
    make_private_directory(d);
  }
}

std::unique_ptr<TransportSession> MaildirTransport::open() {
  return std::make_unique<MaildirSession>(dir_);
}

}  // namespace coproc::mail
