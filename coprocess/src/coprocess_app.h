// The co-process's start-up and shutdown sequence: options, config, lock,
// endpoint, server, components, readiness, signals.
#pragma once

namespace coproc {

/// Runs the co-process; returns the process exit code.
int run_coprocess(int argc, char** argv);

}  // namespace coproc
