// The platform's trusted root certificates for the TLS client contexts of
// mail and http. On POSIX OpenSSL reads them itself (Poco's loadDefaultCAs:
// /etc/ssl/certs); on Windows they live in the certificate store, which
// OpenSSL cannot read, so they are copied into the context once.
#pragma once

#include <cstddef>

#include <Poco/Net/Context.h>

namespace coproc::tls {

/// Starts the network (Winsock, which static Poco does not start by itself
/// on Windows) and OpenSSL through Poco. Once per process; thread-safe.
void initialize();

/// Adds the system's trusted roots to `context`'s verification store. On
/// Windows: the LocalMachine ROOT and AuthRoot stores and the CurrentUser
/// ROOT store, without the
/// certificates in either Disallowed store and without roots whose enhanced
/// key usage excludes server authentication. On POSIX: nothing (the context
/// was made with loadDefaultCAs). Returns the number of certificates added.
/// Call once per context, before it is used; not thread-safe per context.
std::size_t add_system_roots(Poco::Net::Context& context);

}  // namespace coproc::tls
