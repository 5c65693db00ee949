// Small Python servers from tests/support/ (misbehaving HTTP servers, a
// proxy) started for a test: each prints "port N" first.
#pragma once

#include <string>

#include "test_process.h"

namespace coproc::test {

/// Starts tests/support/<script> with /usr/bin/python3 and `args`, its output
/// going to `output`; *port gets the port it printed (0 if it did not come
/// up within 20 s).
TestProcess start_python_server(const std::string& script, const std::string& output, int* port,
                                const std::vector<std::string>& args = {});

}  // namespace coproc::test
