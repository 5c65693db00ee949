#include <fcntl.h>
#include <io.h>
#include <windows.h>

#include <cstdio>

#include "sendmail_platform.h"

namespace coproc::sendmail {

std::string login_name() {
  wchar_t name[257];
  DWORD size = 257;
  if (!::GetUserNameW(name, &size) || size == 0) return "";
  const int n = ::WideCharToMultiByte(CP_UTF8, 0, name, -1, nullptr, 0, nullptr, nullptr);
  if (n <= 1) return "";
  std::string out(static_cast<std::size_t>(n), '\0');
  ::WideCharToMultiByte(CP_UTF8, 0, name, -1, out.data(), n, nullptr, nullptr);
  out.resize(static_cast<std::size_t>(n - 1));
  return out;
}

void binary_stdin() { ::_setmode(::_fileno(stdin), _O_BINARY); }

}  // namespace coproc::sendmail
