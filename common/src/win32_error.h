// Small Win32 helpers shared by the Windows files: error texts and UTF-8 /
// UTF-16 conversion (Win32 wide APIs take UTF-16, our strings are UTF-8).
#pragma once

#include <string>

namespace coproc {

/// "text of the error (code N)" for a GetLastError() value.
std::string win32_message(unsigned long code);

/// UTF-8 to UTF-16 and back; invalid sequences become U+FFFD.
std::wstring widen(const std::string& utf8);
std::string narrow(const std::wstring& utf16);

}  // namespace coproc
