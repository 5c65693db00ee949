// coproc-service.exe as a real Windows service under wine's service manager:
// registered with /registerService, started with `net start`, launching the
// co-process on a client's call, stopping both with `net stop`; restarting a
// killed co-process while clients loop idempotent calls; ending its
// co-process when it dies (job object); and the MSI installing, starting,
// serving and uninstalling it. Wine ends a service about a second after the
// last other wine process exits: this test process is one, so the service
// lives exactly as long as a test needs it.
#include <windows.h>
#include <sddl.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "child_process.h"
#include "coproc/client.hpp"
#include "coprocess_win_fixture.h"
#include "data_dir_win32.h"
#include "win32_error.h"

namespace coproc::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
namespace fs = std::filesystem;

constexpr const wchar_t* kServiceName = L"coproc-service";

struct ServiceState {
  bool exists = false;
  DWORD state = 0;  // SERVICE_RUNNING, SERVICE_STOPPED, ...
  DWORD pid = 0;
};

ServiceState query_service() {
  ServiceState out;
  SC_HANDLE scm = ::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT);
  if (!scm) return out;
  SC_HANDLE svc = ::OpenServiceW(scm, kServiceName, SERVICE_QUERY_STATUS);
  if (svc) {
    out.exists = true;
    SERVICE_STATUS_PROCESS ssp{};
    DWORD needed = 0;
    if (::QueryServiceStatusEx(svc, SC_STATUS_PROCESS_INFO, reinterpret_cast<LPBYTE>(&ssp),
                               sizeof ssp, &needed)) {
      out.state = ssp.dwCurrentState;
      out.pid = ssp.dwProcessId;
    }
    ::CloseServiceHandle(svc);
  }
  ::CloseServiceHandle(scm);
  return out;
}

struct ServiceConfig {
  DWORD start_type = 0;
  std::string display_name;
  std::string description;
};

ServiceConfig service_config() {
  ServiceConfig out;
  SC_HANDLE scm = ::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT);
  SC_HANDLE svc = scm ? ::OpenServiceW(scm, kServiceName, SERVICE_QUERY_CONFIG) : nullptr;
  if (svc) {
    std::vector<BYTE> buf(8192);
    DWORD needed = 0;
    if (::QueryServiceConfigW(svc, reinterpret_cast<QUERY_SERVICE_CONFIGW*>(buf.data()),
                              static_cast<DWORD>(buf.size()), &needed)) {
      const auto* c = reinterpret_cast<QUERY_SERVICE_CONFIGW*>(buf.data());
      out.start_type = c->dwStartType;
      if (c->lpDisplayName) out.display_name = narrow(c->lpDisplayName);
    }
    if (::QueryServiceConfig2W(svc, SERVICE_CONFIG_DESCRIPTION, buf.data(),
                               static_cast<DWORD>(buf.size()), &needed)) {
      const auto* d = reinterpret_cast<SERVICE_DESCRIPTIONW*>(buf.data());
      if (d->lpDescription) out.description = narrow(d->lpDescription);
    }
    ::CloseServiceHandle(svc);
  }
  if (scm) ::CloseServiceHandle(scm);
  return out;
}

std::string env(const char* name) {
  wchar_t buf[MAX_PATH];
  const DWORD n = ::GetEnvironmentVariableW(widen(name).c_str(), buf, MAX_PATH);
  return n > 0 && n < MAX_PATH ? narrow(std::wstring(buf, n)) : std::string();
}

std::string data_dir() { return program_data_dir(); }

// The allow-ACEs of a security descriptor's DACL and whether it is
// protected (nothing inherited from above).
struct Dacl {
  bool present = false;
  bool is_protected = false;
  bool other_aces = false;  // deny or other ACE types
  struct Ace {
    std::string sid;
    ACCESS_MASK mask;
    BYTE flags;
  };
  std::vector<Ace> aces;
};

Dacl dacl_of(PSECURITY_DESCRIPTOR sd) {
  Dacl out;
  BOOL present = FALSE;
  BOOL defaulted = FALSE;
  PACL dacl = nullptr;
  ::GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted);
  out.present = present && dacl;
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  DWORD revision = 0;
  if (::GetSecurityDescriptorControl(sd, &control, &revision)) {
    out.is_protected = (control & SE_DACL_PROTECTED) != 0;
  }
  for (DWORD i = 0; out.present && i < dacl->AceCount; ++i) {
    ACCESS_ALLOWED_ACE* ace = nullptr;
    if (!::GetAce(dacl, i, reinterpret_cast<void**>(&ace))) continue;
    if (ace->Header.AceType != ACCESS_ALLOWED_ACE_TYPE) {
      out.other_aces = true;
      continue;
    }
    char* text = nullptr;
    if (::ConvertSidToStringSidA(&ace->SidStart, &text)) {
      out.aces.push_back({text, ace->Mask, ace->Header.AceFlags});
      ::LocalFree(text);
    }
  }
  return out;
}

// The DACL coproc-service gives %ProgramData%\coproc (`directory`) and
// coproc.conf. Wine keeps no DACL on files (it shows one made from the Unix
// mode bits), so the tests read the descriptor the service applies.
Dacl private_dacl(bool directory) {
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(private_dacl_sddl(directory),
                                                              SDDL_REVISION_1, &sd, nullptr)) {
    ADD_FAILURE() << "the private DACL does not parse: " << win32_message(::GetLastError());
    return {};
  }
  Dacl out = dacl_of(sd);
  ::LocalFree(sd);
  return out;
}

TEST(PrivateDataDirTest, OnlySystemAndAdministratorsMayOpenTheConfigAndTheSpool) {
  for (const bool directory : {true, false}) {
    SCOPED_TRACE(directory ? "folder" : "file");
    const Dacl d = private_dacl(directory);
    ASSERT_TRUE(d.present) << "no DACL would let everyone in";
    EXPECT_TRUE(d.is_protected) << "ProgramData's read access for Users would be inherited";
    EXPECT_FALSE(d.other_aces);
    ASSERT_EQ(d.aces.size(), 2u);
    EXPECT_EQ(d.aces[0].sid, "S-1-5-18");      // SYSTEM: the service's account
    EXPECT_EQ(d.aces[1].sid, "S-1-5-32-544");  // Administrators
    for (const auto& ace : d.aces) {
      EXPECT_EQ(ace.mask & FILE_ALL_ACCESS, static_cast<ACCESS_MASK>(FILE_ALL_ACCESS));
      const BYTE inherit = OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE;
      EXPECT_EQ(ace.flags & inherit, directory ? inherit : 0)
          << "spool\\ and log\\ inherit the folder's DACL";
    }
  }
}

class ServiceWinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    remove_service();
    std::error_code ec;
    fs::remove_all(fs::u8path(data_dir()), ec);
  }
  void TearDown() override { remove_service(); }

  /// Runs `argv` to its end (at most `limit`); returns the exit code, -1 on
  /// timeout. Its output goes to the test's log.
  long run(const std::vector<std::string>& argv, milliseconds limit = seconds(120)) {
    const std::string out = temp_path("run-" + std::to_string(++runs_) + ".txt");
    ChildProcess p;
    p.start(argv, out);
    const long rc = p.wait(limit);
    std::cout << "$";
    for (const auto& a : argv) std::cout << " " << a;
    std::cout << "  -> " << rc << "\n" << read_file(out);
    return rc;
  }

  std::string temp_path(const std::string& name) const {
    wchar_t buf[MAX_PATH];
    ::GetTempPathW(MAX_PATH, buf);
    return narrow(buf) + "coproc-service-test-" + std::to_string(::GetCurrentProcessId()) + "-" +
           name;
  }

  // Stops and unregisters a service left over by an earlier (failed) run.
  void remove_service() {
    const ServiceState s = query_service();
    if (!s.exists) return;
    if (s.state != SERVICE_STOPPED) run({"net.exe", "stop", "coproc-service"});
    if (s.pid != 0) {
      wait_until([&] { return !process_alive(s.pid); }, seconds(20));
    }
    run({"sc.exe", "delete", "coproc-service"});
    wait_until([] { return !query_service().exists; }, seconds(20));
  }

  void register_and_start() {
    ASSERT_EQ(run({bin_path("service/coproc-service.exe"), "/registerService"}), 0);
    ASSERT_TRUE(query_service().exists);
    ASSERT_EQ(run({"net.exe", "start", "coproc-service"}), 0);
    ASSERT_TRUE(wait_until([] { return query_service().state == SERVICE_RUNNING; }, seconds(30)));
  }

  /// coprocctl.exe ping in a process of its own (the default pipes); true
  /// when it succeeded.
  bool ping_from_a_client_process(const std::string& coprocctl) {
    return run({coprocctl, "ping", "-c", "1"}) == 0;
  }

  static std::string log_text() { return read_file(data_dir() + "\\log\\coproc-service.log"); }

  /// pid and generation of the co-process, from svc.status on the control pipe.
  static std::pair<DWORD, std::int64_t> coprocess_status() {
    ClientOptions o;
    o.endpoint = R"(\\.\pipe\coproc-control)";
    o.auto_launch = false;
    o.connect_timeout_ms = 10000;
    Client control(o);
    const CallResult r = control.call("svc.status", "");
    if (!r.ok()) return {0, 0};
    auto oh = msgpack::unpack(r.result.data(), r.result.size());
    return {static_cast<DWORD>(map_get(oh.get(), "pid")->as<std::int64_t>()),
            map_get(oh.get(), "generation")->as<std::int64_t>()};
  }

  int runs_ = 0;
};

TEST_F(ServiceWinTest, RegisteredServiceStartsWithNetStartLaunchesOnACallAndNetStopEndsBoth) {
  ASSERT_EQ(run({bin_path("service/coproc-service.exe"), "/registerService"}), 0);
  const ServiceConfig config = service_config();
  EXPECT_EQ(config.start_type, static_cast<DWORD>(SERVICE_AUTO_START));
  EXPECT_EQ(config.display_name, "coproc service");
  // Wine's SCM does not give the description back (Poco sets it with
  // ChangeServiceConfig2W); a real Windows shows it in services.msc.
  std::cout << "service description: '" << config.description << "'\n";

  ASSERT_EQ(run({"net.exe", "start", "coproc-service"}), 0);
  ASSERT_TRUE(wait_until([] { return query_service().state == SERVICE_RUNNING; }, seconds(30)));
  const DWORD service_pid = query_service().pid;
  EXPECT_EQ(coprocess_status().first, 0u) << "on demand: no co-process before the first call";

  // A client process calls, which launches the co-process, and exits.
  ASSERT_TRUE(ping_from_a_client_process(bin_path("client-lib/coprocctl.exe")));
  const auto [coprocess_pid, generation] = coprocess_status();
  ASSERT_NE(coprocess_pid, 0u);
  EXPECT_EQ(generation, 1);
  std::this_thread::sleep_for(seconds(1));
  EXPECT_TRUE(process_alive(coprocess_pid)) << "the client's exit must not end the co-process";
  EXPECT_EQ(coprocess_status().first, coprocess_pid);

  EXPECT_EQ(run({"net.exe", "stop", "coproc-service"}), 0);
  EXPECT_TRUE(wait_until([&] { return !process_alive(coprocess_pid); }, seconds(20)));
  if (service_pid != 0) {
    EXPECT_TRUE(wait_until([&] { return !process_alive(service_pid); }, seconds(20)));
  }
  const std::string log = log_text();
  EXPECT_NE(log.find("(Windows service) control=\\\\.\\pipe\\coproc-control"), std::string::npos)
      << log;
  EXPECT_NE(log.find("started co-process pid=" + std::to_string(coprocess_pid)),
            std::string::npos);
  EXPECT_NE(log.find("coprocess: [pid " + std::to_string(coprocess_pid) + "] main: coprocess"),
            std::string::npos)
      << "the co-process's own lines are in the service's log";
  EXPECT_NE(log.find("co-process pid=" + std::to_string(coprocess_pid) +
                     " stopped (exited with status 0)"),
            std::string::npos)
      << log;

  ASSERT_EQ(run({bin_path("service/coproc-service.exe"), "/unregisterService"}), 0);
  EXPECT_TRUE(wait_until([] { return !query_service().exists; }, seconds(20)));
}

TEST_F(ServiceWinTest, KilledCoprocessIsRestartedWhileClientsLoopingIdempotentCallsSeeNoFailure) {
  register_and_start();
  ASSERT_TRUE(ping_from_a_client_process(bin_path("client-lib/coprocctl.exe")));

  constexpr int kClients = 4;
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::vector<std::string> failures(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      ClientOptions o;
      o.connect_timeout_ms = 30000;
      o.call_timeout_ms = 30000;
      Client client(o);
      while (!stop) {
        long long rtt = 0;
        const CallResult r = client.ping(&rtt);
        if (r.ok()) {
          ++ok;
        } else {
          ++failed;
          failures[static_cast<std::size_t>(i)] = r.error_name + ": " + r.error_message;
        }
      }
    });
  }
  std::int64_t generation = coprocess_status().second;
  for (int kill = 0; kill < 2; ++kill) {
    std::this_thread::sleep_for(milliseconds(500));
    const auto [pid, gen] = coprocess_status();
    ASSERT_NE(pid, 0u);
    ASSERT_TRUE(terminate_process(pid)) << "cannot open pid " << pid;
    ASSERT_TRUE(wait_until([&] { return coprocess_status().second > gen; }, seconds(30)));
    generation = coprocess_status().second;
  }
  const int before = ok.load();
  ASSERT_TRUE(wait_until([&] { return ok.load() > before + 20; }, seconds(30)));
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0) << failures[0] << " | " << failures[1] << " | " << failures[2]
                              << " | " << failures[3];
  EXPECT_GE(generation, 3);
  std::cout << "calls answered: " << ok.load() << ", failed: " << failed.load()
            << ", generation now " << generation << "\n";
  const std::string log = log_text();
  EXPECT_NE(log.find("exited with status 137"), std::string::npos);
}

TEST_F(ServiceWinTest, CoprocessEndsWhenTheServiceIsKilled) {
  // Run as a console program on pipes of its own: killing the service must
  // take the co-process with it (its job object closes).
  const std::string space = "coproc-test-" + std::to_string(::GetCurrentProcessId()) + "-svc";
  ChildProcess service;
  service.start({bin_path("service/coproc-service.exe"), "/set=server.pipe_name=" + space +
                 "/coproc.sock", "/set=log.dir=" + temp_path("log")},
                temp_path("console-service.txt"));
  ASSERT_TRUE(connect_when_ready(R"(\\.\pipe\)" + space + "/control.sock", seconds(60)))
      << read_file(temp_path("console-service.txt"));
  ClientOptions o;
  o.endpoint = space + "/coproc.sock";
  o.connect_timeout_ms = 60000;
  Client client(o);
  long long rtt = 0;
  const CallResult r = client.ping(&rtt);
  ASSERT_TRUE(r.ok()) << r.error_message << "\n" << read_file(temp_path("console-service.txt"));
  EXPECT_TRUE(client.server_info().launched);
  const DWORD coprocess_pid = static_cast<DWORD>(client.server_info().pid);
  client.disconnect();
  service.kill();
  EXPECT_TRUE(wait_until([&] { return !process_alive(coprocess_pid); }, seconds(20)))
      << "the co-process outlived its service";
}

class MsiWinTest : public ServiceWinTest {
 protected:
  // A product left installed by a failed run is removed first and after.
  void SetUp() override {
    remove_product();
    ServiceWinTest::SetUp();
  }
  void TearDown() override {
    remove_product();
    ServiceWinTest::TearDown();
  }
  void remove_product() {
    for (const char* msi : {COPROC_MSI_PATH, COPROC_MSI_NEXT_PATH}) {
      if (fs::exists(fs::u8path(installed() + "\\coproc-service.exe"))) {
        run({"msiexec.exe", "/x", msi, "/qn"});
      }
    }
  }

  std::string installed() const {
    const std::string program_files =
        env("ProgramW6432").empty() ? env("ProgramFiles") : env("ProgramW6432");
    return program_files + "\\coproc";
  }
  std::string conf() const { return data_dir() + "\\coproc.conf"; }

  /// `msiexec /i` silently; the service runs and has served a client call
  /// through the installed coprocctl.exe. Returns the co-process's pid.
  DWORD install_and_call() {
    EXPECT_EQ(run({"msiexec.exe", "/i", COPROC_MSI_PATH, "/qn"}), 0);
    EXPECT_TRUE(wait_until([] { return query_service().state == SERVICE_RUNNING; }, seconds(30)));
    EXPECT_TRUE(ping_from_a_client_process(installed() + "\\coprocctl.exe"));
    const DWORD pid = coprocess_status().first;
    EXPECT_NE(pid, 0u);
    return pid;
  }

  /// `msiexec /x` of `msi` silently with `extra` properties; the service,
  /// its co-process and the program files are gone afterwards.
  void uninstall(const std::vector<std::string>& extra, DWORD coprocess_pid,
                 const char* msi = COPROC_MSI_PATH) {
    std::vector<std::string> argv{"msiexec.exe", "/x", msi, "/qn"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ASSERT_EQ(run(argv), 0);
    EXPECT_TRUE(wait_until([] { return !query_service().exists; }, seconds(30)));
    EXPECT_TRUE(wait_until([&] { return !process_alive(coprocess_pid); }, seconds(20)));
    EXPECT_TRUE(wait_until(
        [&] { return !fs::exists(fs::u8path(installed() + "\\coproc-service.exe")); },
        seconds(30)));
  }
};

TEST_F(MsiWinTest, InstallStartsTheServiceWithPrivateDataAndUninstallKeepsConfigAndSpool) {
  const DWORD coprocess_pid = install_and_call();
  EXPECT_EQ(service_config().start_type, static_cast<DWORD>(SERVICE_AUTO_START));
  EXPECT_TRUE(fs::exists(fs::u8path(installed() + "\\coproc-service.exe")));
  ASSERT_TRUE(fs::exists(fs::u8path(conf()))) << "coproc.conf comes from the sample";
  EXPECT_EQ(read_file(conf()), read_file(installed() + "\\coproc.conf.sample"));

  // The config (SMTP secrets) and the spool (users' mail) got the private
  // DACL (PrivateDataDirTest) from /prepareData (a failure fails the
  // install) and again from the service's start, which logs any failure.
  const std::string log = log_text();
  EXPECT_NE(log.find("(Windows service)"), std::string::npos) << log;
  EXPECT_EQ(log.find("cannot restrict access"), std::string::npos) << log;

  uninstall({}, coprocess_pid);
  EXPECT_TRUE(fs::exists(fs::u8path(conf()))) << "uninstall keeps the configuration";
  EXPECT_TRUE(fs::exists(fs::u8path(data_dir() + "\\spool"))) << "uninstall keeps the spool";
  EXPECT_FALSE(fs::exists(fs::u8path(installed() + "\\coprocess.exe")));
}

TEST_F(MsiWinTest, UpgradeReplacesTheRunningServiceAndKeepsTheConfiguration) {
  install_and_call();
  const DWORD old_service = query_service().pid;
  ASSERT_NE(old_service, 0u);
  {
    std::ofstream conf_file(fs::u8path(conf()), std::ios::app);
    conf_file << "# the administrator's own line\n";
  }

  // The next version over the running one: its service is stopped (and
  // waited for) before its files are replaced, the old product goes, the
  // new service starts.
  ASSERT_EQ(run({"msiexec.exe", "/i", COPROC_MSI_NEXT_PATH, "/qn"}), 0);
  EXPECT_TRUE(wait_until([&] { return !process_alive(old_service); }, seconds(30)));
  EXPECT_TRUE(wait_until(
      [&] {
        const ServiceState st = query_service();
        return st.state == SERVICE_RUNNING && st.pid != old_service;
      },
      seconds(30)));
  EXPECT_TRUE(ping_from_a_client_process(installed() + "\\coprocctl.exe"));
  const DWORD coprocess_pid = coprocess_status().first;
  EXPECT_NE(coprocess_pid, 0u);
  EXPECT_NE(read_file(conf()).find("# the administrator's own line"), std::string::npos)
      << "an upgrade keeps the configuration";

  // One product is left: uninstalling it removes every program file.
  uninstall({}, coprocess_pid, COPROC_MSI_NEXT_PATH);
  EXPECT_FALSE(fs::exists(fs::u8path(installed() + "\\coprocess.exe")));
  EXPECT_TRUE(fs::exists(fs::u8path(conf())));
}

TEST_F(MsiWinTest, UninstallWithPurgeRemovesConfigSpoolAndLogs) {
  const DWORD coprocess_pid = install_and_call();
  ASSERT_TRUE(fs::exists(fs::u8path(data_dir() + "\\spool")));
  ASSERT_TRUE(fs::exists(fs::u8path(data_dir() + "\\log\\coproc-service.log")));

  uninstall({"PURGE=1"}, coprocess_pid);
  std::error_code ec;
  std::string left;
  if (fs::exists(fs::u8path(data_dir()), ec)) {
    for (const auto& e : fs::recursive_directory_iterator(fs::u8path(data_dir()), ec)) {
      left += " " + e.path().u8string();
    }
  }
  EXPECT_FALSE(fs::exists(fs::u8path(data_dir()), ec)) << "left behind:" << left;
}

}  // namespace
}  // namespace coproc::test
