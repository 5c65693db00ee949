#include "service_fixture.h"

#include <sys/stat.h>

#include <iostream>

namespace coproc::test {

std::int64_t int_field(const msgpack::object& map, const std::string& key) {
  const msgpack::object* v = map_get(map, key);
  EXPECT_NE(v, nullptr) << "missing field " << key;
  return v ? v->as<std::int64_t>() : -1;
}

std::string str_field(const msgpack::object& map, const std::string& key) {
  const msgpack::object* v = map_get(map, key);
  EXPECT_NE(v, nullptr) << "missing field " << key;
  return v ? v->as<std::string>() : "";
}

bool bool_field(const msgpack::object& map, const std::string& key) {
  const msgpack::object* v = map_get(map, key);
  EXPECT_NE(v, nullptr) << "missing field " << key;
  return v ? v->as<bool>() : false;
}

TestProcess ServiceFixture::spawn_service(const std::vector<std::string>& extra_args,
                                          const std::string& log_path,
                                          const std::vector<std::string>& env) {
  TestProcess::Options o;
  o.argv = {bin_path("coproc-service"), "--runtime-dir", runtime_dir(), "--state-dir",
            state_dir(), "--config", "/dev/null", "--log-level", "debug", "--set", "service.user="};
  o.argv.insert(o.argv.end(), extra_args.begin(), extra_args.end());
  o.output_path = log_path;
  o.env = env;
  return TestProcess(o);
}

void ServiceFixture::start_service(const std::vector<std::string>& extra_args) {
  service_ = spawn_service(extra_args, log_path());
  const bool up = wait_until(
      [&] {
        if (!service_.running()) return true;
        try {
          RawClient probe(control_path());
          return !probe.call("svc.status").error.has_value();
        } catch (const std::exception&) {
          return false;
        }
      },
      std::chrono::seconds(20));
  ASSERT_TRUE(up && service_.running()) << "coproc-service did not come up; log:\n" << log();
}

rpc::Response ServiceFixture::control_call(const std::string& method, const rpc::Packed& params,
                                           std::chrono::milliseconds timeout) {
  RawClient c(control_path());
  return c.call(method, params, timeout);
}

ServiceStatus ServiceFixture::status() {
  const rpc::Response r = control_call("svc.status");
  EXPECT_FALSE(r.error.has_value()) << (r.error ? r.error->message : "");
  ServiceStatus s;
  if (r.error) return s;
  try {
    r.result.convert(s);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "malformed svc.status result: " << e.what();
  }
  return s;
}

std::string ServiceFixture::write_script(const std::string& name, const std::string& text) {
  const std::string path = dir_.file(name);
  write_file(path, text);
  ::chmod(path.c_str(), 0755);
  return path;
}

void ServiceFixture::TearDown() {
  if (service_.pid() > 0) service_.stop(std::chrono::seconds(15));
  if (HasFailure()) std::cerr << "---- coproc-service log ----\n" << log() << "---------------------------\n";
}

}  // namespace coproc::test
