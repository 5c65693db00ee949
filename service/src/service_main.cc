// Entry point. Termination signals are blocked here, before any thread
// exists, so every thread inherits the mask and only
// waitForTerminationRequest() receives them (Poco blocks them only when that
// call starts; a SIGTERM to a thread started earlier would kill the process).
#include <pthread.h>
#include <signal.h>

#include "service_app.h"

int main(int argc, char** argv) {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGINT, SIGQUIT, SIGHUP}) sigaddset(&set, sig);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  coproc::ServiceApp app;
  return app.run(argc, argv);
}
