#include "ordered_response.h"

#include <istream>
#include <streambuf>

#include <Poco/String.h>

namespace coproc::http {
namespace {

// Passes reads through and keeps a copy of every byte read.
class TeeBuf : public std::streambuf {
 public:
  explicit TeeBuf(std::streambuf* in) : in_(in) {}
  const std::string& seen() const { return seen_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    const int_type c = in_->sbumpc();
    if (traits_type::eq_int_type(c, traits_type::eof())) return c;
    ch_ = traits_type::to_char_type(c);
    seen_ += ch_;
    setg(&ch_, &ch_, &ch_ + 1);
    return c;
  }

 private:
  std::streambuf* in_;
  std::string seen_;
  char ch_ = 0;
};

}  // namespace

void OrderedResponse::read(std::istream& in) {
  in_order_.clear();
  TeeBuf tee(in.rdbuf());
  std::istream teed(&tee);
  HTTPResponse::read(teed);
  if (teed.bad()) in.setstate(std::ios::badbit);
  // Poco accepted the head; list its fields in their order. The first line
  // is the status line.
  const std::string& head = tee.seen();
  std::size_t start = head.find('\n');
  while (start != std::string::npos && start + 1 < head.size()) {
    const std::size_t end = head.find('\n', start + 1);
    std::string line = head.substr(start + 1, end == std::string::npos ? std::string::npos
                                                                       : end - start - 1);
    start = end;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    if ((line[0] == ' ' || line[0] == '\t') && !in_order_.empty()) {
      in_order_.back().second += " " + Poco::trim(line);
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    in_order_.emplace_back(Poco::trim(line.substr(0, colon)), Poco::trim(line.substr(colon + 1)));
  }
}

}  // namespace coproc::http
