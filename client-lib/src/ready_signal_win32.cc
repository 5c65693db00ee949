// ReadySignal as a manual-reset event: WaitForMultipleObjects (or
// MsgWaitForMultipleObjects in a GUI loop) returns while it is set.
#include <windows.h>

#include <system_error>

#include "ready_signal.h"

namespace coproc {

ReadySignal::ReadySignal()
    : native_(reinterpret_cast<long long>(::CreateEventW(nullptr, TRUE, FALSE, nullptr))) {
  if (native_ == 0) {
    throw std::system_error(static_cast<int>(::GetLastError()), std::system_category(),
                            "cannot create the event of asynchronous calls (CreateEventW)");
  }
}

ReadySignal::~ReadySignal() { ::CloseHandle(reinterpret_cast<HANDLE>(native_)); }

void ReadySignal::set() { ::SetEvent(reinterpret_cast<HANDLE>(native_)); }
void ReadySignal::reset() { ::ResetEvent(reinterpret_cast<HANDLE>(native_)); }

int ReadySignal::fd() const { return -1; }
void* ReadySignal::handle() const { return reinterpret_cast<void*>(native_); }

}  // namespace coproc
