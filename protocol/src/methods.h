// Method names, the protocol level and which methods are safe to retry: the
// one table every part takes method names from. Params and results are
// typed in *_messages.h; level 1 is frozen in protocol/catalogue/level1.txt
// and documented in docs/protocol.md.
#pragma once

#include <string_view>

namespace coproc::rpc {

/// Bumped only for incompatible changes; sys.hello refuses other levels.
constexpr int kProtocolLevel = 1;

namespace method {
constexpr std::string_view kHello = "sys.hello";
constexpr std::string_view kPing = "sys.ping";
constexpr std::string_view kStatus = "sys.status";
/// A notification, [2, "sys.cancel", [{msgid}]]: cancel that call of the
/// same connection (never answered; see docs/protocol.md).
constexpr std::string_view kCancel = "sys.cancel";
constexpr std::string_view kMailSend = "mail.send";
constexpr std::string_view kMailStatus = "mail.status";
constexpr std::string_view kMailList = "mail.list";
constexpr std::string_view kMailTest = "mail.test";
constexpr std::string_view kHttpRequest = "http.request";
constexpr std::string_view kSvcLaunch = "svc.launch";
constexpr std::string_view kSvcStatus = "svc.status";
constexpr std::string_view kSvcRestart = "svc.restart";
constexpr std::string_view kJobSubmit = "job.submit";
constexpr std::string_view kJobStatus = "job.status";
constexpr std::string_view kJobWait = "job.wait";
constexpr std::string_view kJobCancel = "job.cancel";
constexpr std::string_view kJobList = "job.list";
constexpr std::string_view kGatewayNext = "gateway.next";
constexpr std::string_view kGatewayReply = "gateway.reply";
constexpr std::string_view kGatewayStatus = "gateway.status";
// Off by default (debug.methods=true): for tests and benchmarks only.
constexpr std::string_view kDebugSleep = "debug.sleep";
constexpr std::string_view kDebugEcho = "debug.echo";
constexpr std::string_view kDebugReadFd = "debug.read_fd";

/// Every method of the current protocol level (debug.* is not part of it).
constexpr std::string_view kAll[] = {kHello,      kPing,        kStatus,     kMailSend,
                                     kMailStatus, kMailList,    kMailTest,   kHttpRequest,
                                     kSvcLaunch,  kSvcStatus,   kSvcRestart, kJobSubmit,
                                     kJobStatus,  kJobWait,     kJobCancel,  kJobList,
                                     kGatewayNext, kGatewayReply, kGatewayStatus};
}  // namespace method

/// True when repeating the call after a lost connection cannot do harm:
/// read-only methods, and mail.send, which always carries an idempotency key.
bool is_idempotent(std::string_view method);

}  // namespace coproc::rpc
