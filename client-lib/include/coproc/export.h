/* Export macro of libcoproc: only functions marked COPROC_API leave the
   shared library (it is built with -fvisibility=hidden and a version
   script). Define COPROC_STATIC when linking libcoproc.a on Windows. */
#ifndef COPROC_EXPORT_H
#define COPROC_EXPORT_H

#if defined(_WIN32) && !defined(COPROC_STATIC)
#if defined(COPROC_BUILDING)
#define COPROC_API __declspec(dllexport)
#else
#define COPROC_API __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define COPROC_API __attribute__((visibility("default")))
#else
#define COPROC_API
#endif

#endif /* COPROC_EXPORT_H */
