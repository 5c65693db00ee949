// A blocking MessagePack-RPC call on a raw socket, with a deadline. Used
// before a connection is handed to the I/O thread: the sys.hello handshake
// and svc.launch on the control endpoint.
#pragma once

#include <string>
#include <string_view>

#include <msgpack.hpp>

#include "coproc/client.hpp"
#include "rpc_message.h"
#include "stream_decoder.h"
#include "local_stream.h"

namespace coproc {

/// Re-encodes one msgpack value.
std::string pack_object(const msgpack::object& object);

/// Sends request `msgid` and reads until its response or the deadline. On
/// success `result` holds the packed result; errors are mapped to statuses:
/// remote error -> its code, deadline -> COPROC_E_TIMEOUT, closed stream ->
/// COPROC_E_CONNECTION_LOST, undecodable reply -> COPROC_E_PROTOCOL.
/// `what` names the exchange in messages ("sys.hello to /run/...").
CallResult sync_call(int fd, rpc::MsgId msgid, std::string_view method, const rpc::Packed& params,
                     net::Clock::time_point deadline, const std::string& what);

/// The two halves of sync_call, for a caller that does something else when
/// the answer is slow and then waits on: send_request() writes the request
/// (COPROC_OK or the error), await_response() reads until its response or
/// `deadline`; a COPROC_E_TIMEOUT from it may be followed by another
/// await_response() with the same `decoder`, which keeps what was read.
CallResult send_request(int fd, rpc::MsgId msgid, std::string_view method,
                        const rpc::Packed& params, net::Clock::time_point deadline,
                        const std::string& what);
rpc::StreamDecoder response_decoder();
CallResult await_response(int fd, rpc::MsgId msgid, rpc::StreamDecoder& decoder,
                          net::Clock::time_point deadline, const std::string& what);

/// Reads `key` of a msgpack map as integer / string (fallback when absent).
std::int64_t map_int(const msgpack::object& map, std::string_view key, std::int64_t fallback);
std::string map_str(const msgpack::object& map, std::string_view key);
bool map_bool(const msgpack::object& map, std::string_view key, bool fallback);

}  // namespace coproc
