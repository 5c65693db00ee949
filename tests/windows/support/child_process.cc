#include "child_process.h"

#include <windows.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "command_line_win32.h"
#include "win32_error.h"

namespace coproc::test {

ChildProcess::~ChildProcess() {
  if (process_) {
    kill();
    ::CloseHandle(process_);
  }
}

void ChildProcess::start(const std::vector<std::string>& argv, const std::string& output_path,
                         const std::string& input_path) {
  std::wstring command = windows_command_line(argv);
  SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  HANDLE out = ::CreateFileW(widen(output_path).c_str(), GENERIC_WRITE, FILE_SHARE_READ, &inherit,
                             CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  const std::wstring input = input_path.empty() ? L"NUL" : widen(input_path);
  HANDLE in = ::CreateFileW(input.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE,
                            &inherit, OPEN_EXISTING, 0, nullptr);
  if (out == INVALID_HANDLE_VALUE || in == INVALID_HANDLE_VALUE) {
    throw std::runtime_error("cannot open " + output_path + " or " +
                             (input_path.empty() ? std::string("NUL") : input_path) + ": " +
                             win32_message(::GetLastError()));
  }
  STARTUPINFOW si{};
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = in;
  si.hStdOutput = out;
  si.hStdError = out;
  PROCESS_INFORMATION pi{};
  BOOL ok = FALSE;
  DWORD err = 0;
  // Wine 8 now and then fails a CreateProcess with ERROR_INTERNAL_ERROR
  // (seen twice in about twenty runs, right after a rebuild); that is the
  // emulator, not the program under test, so try again a few times.
  for (int attempt = 0; attempt < 5; ++attempt) {
    ok = ::CreateProcessW(nullptr, command.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr,
                          &si, &pi);
    err = ::GetLastError();
    if (ok || err != ERROR_INTERNAL_ERROR) break;
    ::Sleep(200);
  }
  ::CloseHandle(out);
  ::CloseHandle(in);
  if (!ok) throw std::runtime_error("cannot start " + argv[0] + ": " + win32_message(err));
  ::CloseHandle(pi.hThread);
  process_ = pi.hProcess;
  pid_ = pi.dwProcessId;
}

long ChildProcess::wait(std::chrono::milliseconds timeout) {
  if (!process_) return -1;
  if (::WaitForSingleObject(process_, static_cast<DWORD>(timeout.count())) != WAIT_OBJECT_0) {
    return -1;
  }
  DWORD code = 0;
  ::GetExitCodeProcess(process_, &code);
  return static_cast<long>(code);
}

bool ChildProcess::running() const {
  return process_ && ::WaitForSingleObject(process_, 0) == WAIT_TIMEOUT;
}

void ChildProcess::kill() {
  if (running()) {
    ::TerminateProcess(process_, 137);
    ::WaitForSingleObject(process_, 10000);
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string bin_path(const std::string& relative) {
  std::string path = std::string(COPROC_BIN_DIR) + "\\" + relative;
  for (char& c : path) {
    if (c == '/') c = '\\';
  }
  return path;
}

bool process_alive(unsigned long pid) {
  HANDLE h = ::OpenProcess(SYNCHRONIZE, FALSE, pid);
  if (!h) return false;
  const bool alive = ::WaitForSingleObject(h, 0) == WAIT_TIMEOUT;
  ::CloseHandle(h);
  return alive;
}

bool terminate_process(unsigned long pid) {
  HANDLE h = ::OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE, pid);
  if (!h) return false;
  ::TerminateProcess(h, 137);
  ::WaitForSingleObject(h, 10000);
  ::CloseHandle(h);
  return true;
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

}  // namespace coproc::test
