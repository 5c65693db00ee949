#include "mail_outbox.h"

#include <algorithm>
#include <random>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "durable_file.h"
#include "log.h"

namespace coproc::mail {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}


std::string frame_length(std::size_t size) {
  const auto n = static_cast<std::uint32_t>(size);
  std::string out(4, '\0');
  out[0] = static_cast<char>(n >> 24);
  out[1] = static_cast<char>((n >> 16) & 0xff);
  out[2] = static_cast<char>((n >> 8) & 0xff);
  out[3] = static_cast<char>(n & 0xff);
  return out;
}

std::size_t header_length(const std::string& content) {
  auto b = [&](int i) { return static_cast<std::size_t>(static_cast<unsigned char>(content[i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

// The record at the start of an <id>.mail file, without reading the message.
MailRecord read_header(const std::string& path) {
  const std::size_t n = header_length(read_file_range(path, 0, 4));
  if (n > (16u << 20)) throw std::runtime_error(path + " has an implausible header length");
  const std::string header = read_file_range(path, 4, n);
  msgpack::object_handle oh = msgpack::unpack(header.data(), header.size());
  return oh.get().as<MailRecord>();
}

// The record at the start of a mail file's content.
MailRecord record_in(const std::string& content) {
  if (content.size() < 4) throw std::runtime_error("shorter than its header");
  const std::size_t n = header_length(content);
  if (4 + n > content.size()) throw std::runtime_error("shorter than its header");
  msgpack::object_handle oh = msgpack::unpack(content.data() + 4, n);
  return oh.get().as<MailRecord>();
}

// Ids name files: a damaged log must not make one reach outside the outbox.
bool plausible_id(const std::string& id) {
  return !id.empty() && id.size() <= 64 &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '-' || c == '_';
         });
}

std::string pack_record(const MailRecord& r) {
  std::stringstream out;
  msgpack::pack(out, r);
  return out.str();
}

}  // namespace

Outbox::Outbox(std::string dir, std::uint64_t compact_log_bytes, std::uint64_t checkpoint_bytes)
    : dir_(std::move(dir)),
      compact_log_bytes_(compact_log_bytes),
      checkpoint_bytes_(checkpoint_bytes),
      journal_commit_(
          [this] {
            const std::uint64_t size = journal_bytes_;  // written before the flush starts
            journal_.sync();
            journal_synced_bytes_ = size;
          },
          [this] {
            // The failed entries must not come back at the next start.
            try {
              journal_.truncate(journal_synced_bytes_);
              journal_bytes_ = journal_synced_bytes_;
            } catch (const std::exception& e) {
              journal_broken_ = true;
              COPROC_LOG(error, "mail", "accepted.log: cannot cut back what failed to flush: " << e.what());
            }
          }) {
  make_private_directory(dir_);
  load();
}

std::string Outbox::new_id() {
  std::random_device random;  // getrandom() on Linux, the OS generator on Windows
  static const char hex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 3; ++i) {  // 96 bits
    std::uint32_t word = random();
    for (int nibble = 0; nibble < 8; ++nibble, word >>= 4) id += hex[word & 15];
  }
  return id;
}

void Outbox::load() {
  recover_journal();
  std::set<std::string> mails;
  std::vector<std::string> junk;
  for (const std::string& name : list_directory(dir_)) {
    if (name == kAllSentMarkerName) all_sent_marked_ = true;
    if (name[0] == '.' && ends_with(name, ".tmp")) {
      junk.push_back(name);  // a write that never completed: never acknowledged
    } else if (is_mail_file_name(name)) {
      mails.insert(name.substr(0, name.size() - kMailFileSuffix.size()));
    }
  }
  for (const std::string& id : mails) {
    try {
      MailRecord r = read_header(dir_ + "/" + mail_name(id));
      if (r.id != id) throw std::runtime_error("id does not match the file name");
      records_[id] = std::move(r);
    } catch (const std::exception& ex) {
      // Kept on disk for a person to look at; not delivered blindly.
      COPROC_LOG(error, "mail", "id=" << id << " unreadable outbox file, left in place: " << ex.what());
    }
  }
  const bool log_intact = replay_state_log();
  for (auto& [id, r] : records_) {
    if (r.state == "sending") r.state = "queued";
    if (!r.idempotency_key.empty()) keys_[{r.owner_uid, r.idempotency_key}] = r.id;
    if (unfinished_state(r.state)) ++unfinished_;
  }
  for (const std::string& name : junk) remove_file(dir_ + "/" + name);
  if (!junk.empty()) fsync_directory(dir_);
  // Appending after a torn entry would make every later one unreadable.
  if (!log_intact || log_bytes_ > compact_log_bytes_) {
    compact_state_log();
  } else {
    log_.open(log_path(), true);
  }
  if (unfinished_ > 0 && all_sent_marked_) {
    unmark_all_sent();  // e.g. a marker kept by a power cut that lost later mail's states
    fsync_directory(dir_);
  }
  mark_all_sent_if_done();
  COPROC_LOG(info, "mail", "outbox " << dir_ << " loaded: " << records_.size() << " messages ("
                                      << unfinished_ << " to deliver), " << junk.size()
                                      << " incomplete leftovers removed");
}

Outbox::~Outbox() = default;

void Outbox::recover_journal() {
  journal_.open(journal_path(), true);
  std::string log;
  try {
    log = read_whole_file(journal_path());
  } catch (const std::system_error& e) {
    throw std::system_error(e.code(), std::string("cannot read accepted.log: ") + e.what());
  }
  std::size_t pos = 0, restored = 0;
  while (pos + 4 <= log.size()) {
    const std::size_t n = header_length(log.substr(pos, 4));
    if (pos + 4 + n > log.size()) break;  // torn last entry: never acknowledged
    const std::string content = log.substr(pos + 4, n);
    std::string id;
    try {
      id = record_in(content).id;
    } catch (const std::exception&) {
      break;
    }
    if (!plausible_id(id)) break;
    bool intact = false;
    try {
      intact = read_whole_file(dir_ + "/" + mail_name(id)) == content;
    } catch (const std::exception&) {
    }
    if (!intact) {
      // The log keeps these bytes durable until the next checkpoint.
      write_file_unflushed(dir_, mail_name(id), content);
      ++restored;
    }
    journal_ids_.push_back(id);
    pos += 4 + n;
  }
  if (pos != log.size()) {
    COPROC_LOG(warn, "mail", "accepted.log ends in " << (log.size() - pos)
                                                    << " bytes of an entry never acknowledged; cut off");
    journal_.truncate(pos);  // appends must follow the last whole entry
    journal_.sync();
  }
  journal_bytes_ = pos;
  journal_synced_bytes_ = pos;
  if (!journal_ids_.empty()) {
    COPROC_LOG(info, "mail", "accepted.log: " << journal_ids_.size() << " entries, " << restored
                                              << " mail files written again from it");
  }
}

void Outbox::append_to_journal(const std::string& id, std::string_view entry) {
  const std::uint64_t before = journal_bytes_;
  try {
    journal_.append(entry);
  } catch (...) {
    // A partial entry would make every later one unreadable: cut it off.
    try {
      journal_.truncate(before);
    } catch (const std::exception& e) {
      journal_broken_ = true;
      COPROC_LOG(error, "mail", "accepted.log: cannot cut off a failed append: " << e.what());
    }
    throw;
  }
  journal_bytes_ = before + entry.size();
  journal_ids_.push_back(id);
}

void Outbox::checkpoint_journal() {
  if (journal_ids_.empty() && journal_bytes_ == 0 && !journal_broken_) return;
  std::vector<std::string> names;
  names.reserve(journal_ids_.size());
  for (const std::string& id : journal_ids_) names.push_back(mail_name(id));
  flush_files(dir_, names);
  journal_.truncate(0);
  journal_.sync();
  journal_ids_.clear();
  journal_bytes_ = 0;
  journal_synced_bytes_ = 0;
  journal_broken_ = false;
}

bool Outbox::checkpoint_journal_now() {
  try {
    journal_commit_.exclusive([this] { checkpoint_journal(); });
    return true;
  } catch (const std::exception& e) {
    COPROC_LOG(warn, "mail", "accepted.log: checkpoint failed (tried again later): " << e.what());
    return false;
  }
}

bool Outbox::replay_state_log() {
  std::string log;
  try {
    log = read_whole_file(log_path());
  } catch (const std::system_error&) {
    return true;  // no log yet
  }
  log_bytes_ = log.size();
  std::size_t pos = 0, applied = 0;
  while (pos + 4 <= log.size()) {
    const std::size_t n = header_length(log.substr(pos, 4));
    if (pos + 4 + n > log.size()) break;  // torn last entry (power cut)
    try {
      msgpack::object_handle h = msgpack::unpack(log.data() + pos + 4, n);
      MailRecord r = h.get().as<MailRecord>();
      auto it = records_.find(r.id);
      if (it != records_.end()) {
        it->second = std::move(r);
        ++applied;
      }
    } catch (const std::exception&) {
      break;  // damaged from here on: the records as accepted stand
    }
    pos += 4 + n;
  }
  if (pos != log.size()) {
    COPROC_LOG(warn, "mail", "states.log damaged after " << pos << " bytes; older states stand "
                                                         "(a mail may be sent again, none lost)");
  }
  COPROC_LOG(debug, "mail", "states.log: " << applied << " state changes replayed");
  return pos == log.size();
}

void Outbox::compact_state_log() {
  std::string content;
  for (const auto& [id, r] : records_) {
    if (r.state == "queued" && r.attempts == 0) continue;  // as accepted: nothing to add
    const std::string packed = pack_record(r);
    content += frame_length(packed.size());
    content += packed;
  }
  write_file_durably(dir_, "states.log", content, true);
  log_.open(log_path(), false);
  log_bytes_ = content.size();
}

std::optional<MailRecord> Outbox::reserve(std::uint32_t uid, const std::string& key) {
  if (key.empty()) return std::nullopt;
  std::unique_lock<std::mutex> lock(mutex_);
  const auto k = std::make_pair(uid, key);
  key_released_.wait(lock, [&] { return !reserved_.count(k); });
  auto it = keys_.find(k);
  if (it != keys_.end()) {
    auto rec = records_.find(it->second);
    if (rec != records_.end()) return rec->second;
    keys_.erase(it);  // its record expired: the key may be used again
  }
  reserved_.insert(k);
  return std::nullopt;
}

void Outbox::release(std::uint32_t uid, const std::string& key) {
  if (key.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    reserved_.erase({uid, key});
  }
  key_released_.notify_all();
}

void Outbox::add(const MailRecord& record, const std::string& message) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (all_sent_marked_) {
      // Gone for good before the mail can be on disk: with the marker a
      // power cut would leave the mail waiting until someone starts us.
      unmark_all_sent();
      fsync_directory(dir_);
    }
    ++adds_under_way_;
  }
  struct AddUnderWay {
    Outbox& outbox;
    ~AddUnderWay() {
      std::lock_guard<std::mutex> lock(outbox.mutex_);
      --outbox.adds_under_way_;
    }
  } under_way{*this};
  const std::string header = pack_record(record);
  // The log's entry: the file's length, then the file's content.
  std::string entry;
  entry.reserve(8 + header.size() + message.size());
  entry += frame_length(4 + header.size() + message.size());
  entry += frame_length(header.size());
  entry += header;
  entry += message;
  const std::string_view content = std::string_view(entry).substr(4);
  if (journal_broken_ || journal_bytes_ > checkpoint_bytes_) {
    if (!checkpoint_journal_now() && journal_broken_) {
      throw std::system_error(std::make_error_code(std::errc::io_error),
                              "accepted.log cannot be appended to until a checkpoint succeeds");
    }
  }
  write_file_unflushed(dir_, mail_name(record.id), content);
  try {
    journal_commit_.commit([&] { append_to_journal(record.id, entry); });
  } catch (...) {
    // Not acknowledged, so it must not be delivered after a restart either.
    remove_file(dir_ + "/" + mail_name(record.id));
    throw;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    records_[record.id] = record;
    if (unfinished_state(record.state)) ++unfinished_;
    if (!record.idempotency_key.empty()) {
      keys_[{record.owner_uid, record.idempotency_key}] = record.id;
      reserved_.erase({record.owner_uid, record.idempotency_key});
    }
  }
  key_released_.notify_all();
}

void Outbox::update(const MailRecord& record) {
  std::string entry;
  if (record.state != "sending") {
    const std::string packed = pack_record(record);
    entry = frame_length(packed.size()) + packed;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (!entry.empty()) {
    log_.append(entry);
    log_bytes_ += entry.size();
  }
  MailRecord& stored = records_[record.id];
  const bool was_unfinished = !stored.id.empty() && unfinished_state(stored.state);
  stored = record;
  if (was_unfinished != unfinished_state(record.state)) {
    was_unfinished ? --unfinished_ : ++unfinished_;
  }
  if (log_bytes_ > compact_log_bytes_) compact_state_log();
  mark_all_sent_if_done();
}

void Outbox::mark_all_sent_if_done() {
  if (all_sent_marked_ || unfinished_ > 0 || adds_under_way_ > 0) return;
  try {
    log_.sync();
    write_file_durably(dir_, std::string(kAllSentMarkerName), "", true);
    all_sent_marked_ = true;
  } catch (const std::exception& e) {
    COPROC_LOG(warn, "mail", "cannot mark the outbox all sent (the service will start the "
                             "co-process at boot to look): " << e.what());
  }
}

void Outbox::unmark_all_sent() {
  remove_file_checked(marker_path());
  all_sent_marked_ = false;
}

std::optional<MailRecord> Outbox::get(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = records_.find(id);
  if (it == records_.end()) return std::nullopt;
  return it->second;
}

std::optional<MailRecord> Outbox::claim(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = records_.find(id);
  if (it == records_.end() || it->second.state != "queued") return std::nullopt;
  it->second.state = "sending";
  it->second.updated_ms = now_ms();
  return it->second;
}

std::string Outbox::read_message(const std::string& id) const {
  std::string content = read_whole_file(dir_ + "/" + mail_name(id));
  if (content.size() < 4) throw std::runtime_error("outbox file of " + id + " is truncated");
  const std::size_t n = header_length(content);
  if (4 + n > content.size()) throw std::runtime_error("outbox file of " + id + " is truncated");
  return content.substr(4 + n);
}

std::vector<MailRecord> Outbox::list(std::optional<std::uint32_t> owner,
                                     std::optional<std::string> state, std::size_t limit) const {
  std::vector<MailRecord> out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [id, r] : records_) {
      if (owner && r.owner_uid != *owner) continue;
      if (state && r.state != *state) continue;
      out.push_back(r);
    }
  }
  std::sort(out.begin(), out.end(), [](const MailRecord& a, const MailRecord& b) {
    return a.created_ms != b.created_ms ? a.created_ms > b.created_ms : a.id > b.id;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::vector<MailRecord> Outbox::unfinished() const {
  std::vector<MailRecord> out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [id, r] : records_) {
      if (r.state == "queued" || r.state == "sending") out.push_back(r);
    }
  }
  std::sort(out.begin(), out.end(), [](const MailRecord& a, const MailRecord& b) {
    return a.created_ms < b.created_ms;
  });
  return out;
}

std::map<std::string, std::uint64_t> Outbox::counts() const {
  std::map<std::string, std::uint64_t> out{{"queued", 0}, {"sending", 0}, {"sent", 0}, {"failed", 0}};
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [id, r] : records_) ++out[r.state];
  return out;
}

std::size_t Outbox::remove_finished_before(std::int64_t cutoff_ms) {
  // A removed mail must not come back from accepted.log after a restart.
  if (!checkpoint_journal_now()) return 0;
  std::vector<std::string> victims;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = records_.begin(); it != records_.end();) {
      const MailRecord& r = it->second;
      if ((r.state == "sent" || r.state == "failed") && r.updated_ms < cutoff_ms) {
        victims.push_back(r.id);
        if (!r.idempotency_key.empty()) keys_.erase({r.owner_uid, r.idempotency_key});
        it = records_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const std::string& id : victims) remove_file(dir_ + "/" + mail_name(id));
  if (!victims.empty()) fsync_directory(dir_);
  return victims.size();
}

}  // namespace coproc::mail
