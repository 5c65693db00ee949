#include "child_process_win32.h"

#include <windows.h>

#include <atomic>
#include <cstdio>

#include "command_line_win32.h"
#include "win32_error.h"

namespace coproc {
namespace {

// Closes what it holds unless released: keeps the error paths short.
struct Handle {
  HANDLE h = nullptr;
  Handle() = default;
  explicit Handle(HANDLE handle) : h(handle == INVALID_HANDLE_VALUE ? nullptr : handle) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (h) ::CloseHandle(h);
  }
  HANDLE release() {
    HANDLE r = h;
    h = nullptr;
    return r;
  }
};

// The output pipe: a named pipe (anonymous pipes cannot be read overlapped)
// with a unique name, created with FILE_FLAG_FIRST_PIPE_INSTANCE so nobody
// can have slipped in an instance of their own, and the default DACL (this
// account, SYSTEM, Administrators).
bool output_pipe(HANDLE* read_end, HANDLE* write_end, std::string* error) {
  static std::atomic<unsigned> counter{0};
  wchar_t name[128];
  std::swprintf(name, sizeof name / sizeof name[0], L"\\\\.\\pipe\\coproc-output-%lu-%u-%llu",
                ::GetCurrentProcessId(), ++counter,
                static_cast<unsigned long long>(::GetTickCount64()));
  Handle r(::CreateNamedPipeW(name,
                              PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED |
                                  FILE_FLAG_FIRST_PIPE_INSTANCE,
                              PIPE_TYPE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1, 0,
                              64 * 1024, 0, nullptr));
  if (!r.h) {
    *error = "cannot create the output pipe: " + win32_message(::GetLastError());
    return false;
  }
  SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  Handle w(::CreateFileW(name, GENERIC_WRITE, 0, &inherit, OPEN_EXISTING, 0, nullptr));
  if (!w.h) {
    *error = "cannot open the output pipe: " + win32_message(::GetLastError());
    return false;
  }
  *read_end = r.release();
  *write_end = w.release();
  return true;
}

// The environment block CreateProcessW takes: NAME=value\0...\0\0 (UTF-16).
std::wstring environment_block(const std::vector<std::string>& env) {
  std::wstring block;
  for (const auto& e : env) {
    block += widen(e);
    block.push_back(L'\0');
  }
  block.push_back(L'\0');
  return block;
}

const char* exception_name(std::uint32_t code) {
  switch (code) {
    case 0xC0000005u: return "access violation";
    case 0xC00000FDu: return "stack overflow";
    case 0xC0000409u: return "stack buffer overrun or abort";
    case 0xC000001Du: return "illegal instruction";
    case 0xC0000094u: return "integer division by zero";
    case 0xC0000135u: return "a DLL was not found";
    case 0xC0000142u: return "DLL initialisation failed";
    case 0xC000013Au: return "Ctrl+C";
    default: return nullptr;
  }
}

}  // namespace

bool spawn_child(const WinSpawnSpec& spec, WinChild* out, std::string* error) {
  HANDLE read_raw = nullptr;
  HANDLE write_raw = nullptr;
  if (!output_pipe(&read_raw, &write_raw, error)) return false;
  Handle read_end(read_raw);
  Handle write_end(write_raw);
  SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  Handle nul(::CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit,
                           OPEN_EXISTING, 0, nullptr));
  if (!nul.h) {
    *error = "cannot open NUL: " + win32_message(::GetLastError());
    return false;
  }
  Handle job(::CreateJobObjectW(nullptr, nullptr));
  if (!job.h) {
    *error = "cannot create a job object: " + win32_message(::GetLastError());
    return false;
  }
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  if (!::SetInformationJobObject(job.h, JobObjectExtendedLimitInformation, &limits,
                                 sizeof limits)) {
    *error = "cannot set up the job object: " + win32_message(::GetLastError());
    return false;
  }

  // Only the two pipe ends are inherited, even if another thread of the
  // service creates an inheritable handle meanwhile.
  HANDLE inherited[2] = {nul.h, write_end.h};
  SIZE_T attr_size = 0;
  ::InitializeProcThreadAttributeList(nullptr, 1, 0, &attr_size);
  std::string attr_buffer(attr_size, '\0');
  auto* attrs = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(attr_buffer.data());
  if (!::InitializeProcThreadAttributeList(attrs, 1, 0, &attr_size) ||
      !::UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherited,
                                   sizeof inherited, nullptr, nullptr)) {
    *error = "cannot prepare the handle list: " + win32_message(::GetLastError());
    return false;
  }
  STARTUPINFOEXW si{};
  si.StartupInfo.cb = sizeof si;
  si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  si.StartupInfo.hStdInput = nul.h;
  si.StartupInfo.hStdOutput = write_end.h;
  si.StartupInfo.hStdError = write_end.h;
  si.lpAttributeList = attrs;

  std::wstring command = windows_command_line(spec.argv);
  std::wstring env = environment_block(spec.env);
  const std::wstring path = widen(spec.path);
  const DWORD flags = CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT | CREATE_NO_WINDOW |
                      CREATE_NEW_PROCESS_GROUP | EXTENDED_STARTUPINFO_PRESENT;
  PROCESS_INFORMATION pi{};
  BOOL ok = FALSE;
  DWORD err = 0;
  // Wine 8 now and then fails a CreateProcess with ERROR_INTERNAL_ERROR
  // right after the binary changed; a second try works.
  for (int attempt = 0; attempt < 3; ++attempt) {
    ok = ::CreateProcessW(path.c_str(), command.data(), nullptr, nullptr, TRUE, flags, env.data(),
                          nullptr, &si.StartupInfo, &pi);
    err = ::GetLastError();
    if (ok || err != ERROR_INTERNAL_ERROR) break;
    ::Sleep(100);
  }
  ::DeleteProcThreadAttributeList(attrs);
  if (!ok) {
    *error = "cannot execute " + spec.path + ": " + win32_message(err);
    return false;
  }
  Handle process(pi.hProcess);
  Handle thread(pi.hThread);
  if (!::AssignProcessToJobObject(job.h, pi.hProcess)) {
    err = ::GetLastError();
    ::TerminateProcess(pi.hProcess, 1);
    *error = "cannot put the co-process into its job object: " + win32_message(err);
    return false;
  }
  ::ResumeThread(pi.hThread);
  out->process = process.release();
  out->job = job.release();
  out->output = read_end.release();
  out->pid = pi.dwProcessId;
  return true;
}

void close_child(WinChild* child) {
  for (void* h : {child->output, child->process, child->job}) {
    if (h) ::CloseHandle(h);
  }
  *child = WinChild{};
}

std::vector<std::string> current_environment(const std::vector<std::string>& dropped) {
  std::vector<std::string> env;
  wchar_t* block = ::GetEnvironmentStringsW();
  if (!block) return env;
  for (const wchar_t* p = block; *p; p += std::wcslen(p) + 1) {
    std::string entry = narrow(p);
    bool drop = entry.empty() || entry[0] == '=';  // "=C:=C:\..." per-drive entries stay out
    for (const auto& d : dropped) drop = drop || entry.compare(0, d.size(), d) == 0;
    if (!drop) env.push_back(std::move(entry));
  }
  ::FreeEnvironmentStringsW(block);
  return env;
}

std::string describe_exit_code(std::uint32_t code) {
  if (code >= 0xC0000000u) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08X", code);
    const char* name = exception_name(code);
    return std::string("crashed with exception ") + hex + (name ? std::string(" (") + name + ")" : "");
  }
  return "exited with status " + std::to_string(code);
}

}  // namespace coproc
