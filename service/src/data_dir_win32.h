// coproc's data folder on Windows, %ProgramData%\coproc: coproc.conf (may
// hold SMTP secrets), spool\ (users' mail) and log\. Its DACL is protected
// and names only SYSTEM (the service's account) and Administrators, so
// users can read neither the config nor the spool. The installer's custom
// actions call these through `coproc-service /prepareData` and
// `/purgeData`; the service applies the DACL again at every start.
#pragma once

#include <string>

namespace coproc {

/// %ProgramData%\coproc (C:\ProgramData\coproc when the variable is unset).
std::string program_data_dir();

/// coproc.conf.sample next to coproc-service.exe (the installer puts it there).
std::string sample_config_path();

/// Creates `dir` with the private DACL (what is created inside inherits
/// it), installs `sample_config` as dir\coproc.conf when there is no config
/// yet (never overwrites one), and gives coproc.conf the private DACL too.
/// False with a sentence in `error`.
bool prepare_data_dir(const std::string& dir, const std::string& sample_config,
                      std::string* error);

/// The private DACL in SDDL, for a folder (inherited by what is created in
/// it) or a file: protected, full control for SYSTEM and Administrators,
/// nobody else.
const wchar_t* private_dacl_sddl(bool directory);

/// Gives an existing file or folder the private DACL. False with a sentence.
bool make_private(const std::string& path, std::string* error);

/// Removes `dir` and everything in it (uninstall with PURGE=1).
bool purge_data_dir(const std::string& dir, std::string* error);

}  // namespace coproc
