#include "async_call.h"

#include "connection.h"
#include "pending_call.h"
#include "status.h"

namespace coproc {

// A call is marked done before completed() counts it, so a caller may
// collect it first: the count then dips below zero and the completion that
// follows brings it back to zero without setting the signal (it used to set
// it, leaving the descriptor readable with nothing to collect).
void AsyncHub::completed() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (++uncollected_ == 1) signal_.set();
  }
  cv_.notify_all();
}

void AsyncHub::collected() {
  std::lock_guard<std::mutex> lock(mu_);
  if (--uncollected_ == 0) signal_.reset();
}

bool AsyncCall::ready() const {
  std::lock_guard<std::mutex> lock(mu_);
  return done_;
}

CallResult AsyncCall::result() {
  bool first = false;
  CallResult r;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!done_) return make_error(COPROC_E_MISUSE, "the call has not completed yet");
    first = !collected_;
    collected_ = true;
    r = result_;
  }
  if (first) hub_->collected();
  return r;
}

void AsyncCall::collect() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!done_ || collected_) return;
    collected_ = true;
  }
  hub_->collected();
}

void AsyncCall::cancel() {
  std::shared_ptr<Connection> conn;
  std::shared_ptr<PendingCall> call;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (done_) return;
    cancel_requested_ = true;
    conn = conn_;
    call = call_;
  }
  std::string how = "before it was sent";
  if (conn && call) {
    if (!conn->withdraw(call)) return;  // its answer or the connection's end is on its way
    if (conn->was_written(*call)) {
      conn->notify(rpc::encode_cancel(call->msgid()));
      how = "in flight; the co-process was told to stop it (sys.cancel)";
    }
  }
  finish(make_error(COPROC_E_CANCELLED, method_ + " was cancelled by the caller " + how));
}

bool AsyncCall::attach(std::shared_ptr<Connection> conn, std::shared_ptr<PendingCall> call) {
  std::lock_guard<std::mutex> lock(mu_);
  if (done_ || cancel_requested_) return false;
  conn_ = std::move(conn);
  call_ = std::move(call);
  return true;
}

void AsyncCall::detach() {
  std::lock_guard<std::mutex> lock(mu_);
  conn_.reset();
  call_.reset();
}

bool AsyncCall::cancel_requested() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cancel_requested_;
}

bool AsyncCall::count_resend(int retries) {
  std::lock_guard<std::mutex> lock(mu_);
  return ++resends_ <= retries;
}

int AsyncCall::resends() const {
  std::lock_guard<std::mutex> lock(mu_);
  return resends_;
}

void AsyncCall::finish(CallResult result) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (done_) return;
    done_ = true;
    result_ = std::move(result);
    conn_.reset();
    call_.reset();
  }
  hub_->completed();
}

}  // namespace coproc
