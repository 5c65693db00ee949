// A feature of the co-process (mail, HTTP) plugs in here: it registers its
// methods at construction and runs its background work between start() and
// stop(). The core knows nothing else about it.
#pragma once

#include <memory>
#include <vector>

#include "config.h"
#include "dispatcher.h"
#include "paths.h"

namespace coproc {

class Component {
 public:
  virtual ~Component() = default;
  /// Called once the endpoint listens. May start threads.
  virtual void start() {}
  /// Called on shutdown after in-flight calls finished or timed out; must
  /// return within a few seconds and leave nothing half-written.
  virtual void stop() {}
};

struct ComponentEnv {
  const Config& config;
  const Paths& paths;
  Dispatcher& dispatcher;
};

/// The components this build has (components_poco.cc or components_core.cc).
/// Throws std::runtime_error with a clear sentence when one cannot start.
std::vector<std::unique_ptr<Component>> make_components(const ComponentEnv& env);

}  // namespace coproc
