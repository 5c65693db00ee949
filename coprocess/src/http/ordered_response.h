// An HTTP response head that also remembers its header fields in the order
// they were received. Poco keeps fields with the same name together (a
// second Set-Cookie moves next to the first), so the order across names is
// lost; callers see the fields exactly as the server sent them.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <Poco/Net/HTTPResponse.h>

namespace coproc::http {

class OrderedResponse : public Poco::Net::HTTPResponse {
 public:
  using Fields = std::vector<std::pair<std::string, std::string>>;

  /// Reads the head as Poco does (same limits and errors), keeping the order.
  void read(std::istream& in) override;
  /// The header fields as received (obsolete line folding joined by a space).
  const Fields& in_order() const { return in_order_; }

 private:
  Fields in_order_;
};

}  // namespace coproc::http
