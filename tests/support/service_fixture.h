// Runs the real coproc-service (which launches the real coprocess) on a
// temporary runtime and state dir, and talks to its control endpoint.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "raw_client.h"
#include "svc_messages.h"
#include "temp_dir.h"
#include "test_process.h"

namespace coproc::test {

/// svc.status, decoded with the shape the service packs it in.
using ServiceStatus = rpc::SvcStatusResult;

/// An integer / string / bool field of a result map (test fails if missing).
std::int64_t int_field(const msgpack::object& map, const std::string& key);
std::string str_field(const msgpack::object& map, const std::string& key);
bool bool_field(const msgpack::object& map, const std::string& key);

class ServiceFixture : public ::testing::Test {
 protected:
  void TearDown() override;

  /// Starts coproc-service with --runtime-dir, --state-dir, --config
  /// /dev/null, --log-level debug, `--set service.user=` (tests run as root
  /// and keep their uid unless they say otherwise) and `extra_args`; waits
  /// until svc.status answers.
  void start_service(const std::vector<std::string>& extra_args = {});
  /// Starts it without waiting (for tests that expect it to refuse).
  TestProcess spawn_service(const std::vector<std::string>& extra_args,
                            const std::string& log_path,
                            const std::vector<std::string>& env = {});

  rpc::Response control_call(const std::string& method,
                             const rpc::Packed& params = rpc::empty_params(),
                             std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ServiceStatus status();
  /// Writes an executable script into the temp dir; returns its path.
  std::string write_script(const std::string& name, const std::string& text);

  std::string runtime_dir() const { return dir_.file("run"); }
  std::string state_dir() const { return dir_.file("state"); }
  std::string control_path() const { return runtime_dir() + "/control.sock"; }
  std::string client_path() const { return runtime_dir() + "/coproc.sock"; }
  std::string log_path() const { return dir_.file("service.log"); }
  std::string log() const { return read_file(log_path()); }

  TempDir dir_;
  TestProcess service_;
};

}  // namespace coproc::test
