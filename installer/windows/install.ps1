<#
.SYNOPSIS
  Installs coproc on Windows: copies the binaries, creates the data folders
  with restrictive ACLs, registers coproc-service as an automatic Windows
  service running under its own virtual account, and starts it.

.DESCRIPTION
  Layout (see docs/installation.md, "Windows"):
    $InstallDir  (default C:\Program Files\coproc)
      coproc-service.exe, coprocess.exe, coprocctl.exe, coproc.dll
      include\coproc\*.h, lib\coproc.lib / libcoproc.dll.a (for developers)
    $DataDir     (default C:\ProgramData\coproc)
      coproc.conf   configuration; may hold SMTP credentials:
                    SYSTEM, Administrators and the service account only
      spool\        durable mail outbox and maildir transport:
                    SYSTEM, Administrators and the service account only
  The service account is the virtual account "NT SERVICE\coproc": no
  password, no interactive logon, rights only where this script grants them.
  Services run outside every user session, so a user's logoff never ends the
  co-process.

  Endpoints (created by the running programs, not by this script):
    \\.\pipe\coproc           clients (libcoproc, coprocctl): the co-process
    \\.\pipe\coproc-control   svc.launch / svc.status / svc.restart: the service
  both with FILE_FLAG_FIRST_PIPE_INSTANCE and PIPE_REJECT_REMOTE_CLIENTS and
  the security descriptor of server.pipe_sddl
    D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;0x12019b;;;AU)
  i.e. SYSTEM / Administrators full control, Authenticated Users read+write
  without FILE_CREATE_PIPE_INSTANCE (they connect, they cannot add a rogue
  instance of the pipe).
  The default pipe DACL would let only the creator and administrators in.

  Poco's ServerApplication ignores arguments in the service's command line
  when the SCM starts it, so the service uses its Windows defaults:
  config %ProgramData%\coproc\coproc.conf, state %ProgramData%\coproc\spool.

  Re-running the script upgrades in place: the service is stopped, the
  binaries replaced, coproc.conf kept, and the service started again.

.PARAMETER SourceDir
  Folder holding the built binaries (and include\ for developers).
.PARAMETER InstallDir
  Where the program files go.
.PARAMETER DataDir
  Where the configuration and the spool go.
.PARAMETER NoStart
  Register the service but do not start it now.

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File install.ps1 -SourceDir .\build-win\dist
#>
[CmdletBinding()]
param(
  [Parameter(Mandatory = $true)] [string] $SourceDir,
  [string] $InstallDir = (Join-Path $env:ProgramFiles 'coproc'),
  [string] $DataDir = (Join-Path $env:ProgramData 'coproc'),
  [switch] $NoStart
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$ServiceName = 'coproc'
$ServiceAccount = "NT SERVICE\$ServiceName"

function Assert-Administrator {
  $principal = New-Object Security.Principal.WindowsPrincipal(
    [Security.Principal.WindowsIdentity]::GetCurrent())
  if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    throw 'install.ps1 must run from an elevated (Administrator) PowerShell.'
  }
}

function Invoke-Checked([string] $exe, [string[]] $arguments) {
  & $exe @arguments
  if ($LASTEXITCODE -ne 0) { throw "$exe $($arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

Assert-Administrator
foreach ($f in 'coproc-service.exe', 'coprocess.exe', 'coprocctl.exe', 'coproc.dll') {
  if (-not (Test-Path (Join-Path $SourceDir $f))) { throw "$f not found in $SourceDir" }
}

# An existing service is stopped first so its files can be replaced.
$existing = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
if ($existing -and $existing.Status -ne 'Stopped') {
  Write-Host "Stopping the running $ServiceName service"
  Stop-Service -Name $ServiceName -Force
  $existing.WaitForStatus('Stopped', [TimeSpan]::FromSeconds(30))
}

Write-Host "Installing program files into $InstallDir"
New-Item -ItemType Directory -Force -Path $InstallDir | Out-Null
foreach ($f in 'coproc-service.exe', 'coprocess.exe', 'coprocctl.exe', 'coproc.dll') {
  Copy-Item -Force (Join-Path $SourceDir $f) $InstallDir
}
foreach ($sub in 'include', 'lib') {
  $from = Join-Path $SourceDir $sub
  if (Test-Path $from) { Copy-Item -Recurse -Force $from $InstallDir }
}
# Program files: readable and executable by everyone, writable by admins only.
Invoke-Checked icacls.exe @($InstallDir, '/inheritance:r', '/grant:r',
  '*S-1-5-18:(OI)(CI)F', '*S-1-5-32-544:(OI)(CI)F', '*S-1-5-32-545:(OI)(CI)RX', '/T', '/Q')

# The service: automatic start, its own virtual account, restart on failure.
$binary = Join-Path $InstallDir 'coproc-service.exe'
if (-not $existing) {
  Write-Host "Registering the $ServiceName service"
  Invoke-Checked sc.exe @('create', $ServiceName, "binPath=", "`"$binary`"", 'start=', 'auto',
    'obj=', $ServiceAccount, 'DisplayName=', 'coproc service')
} else {
  Invoke-Checked sc.exe @('config', $ServiceName, "binPath=", "`"$binary`"", 'start=', 'auto',
    'obj=', $ServiceAccount)
}
Invoke-Checked sc.exe @('description', $ServiceName,
  'Launches and supervises the shared mail and HTTP co-process for legacy applications.')
Invoke-Checked sc.exe @('failure', $ServiceName, 'reset=', '86400',
  'actions=', 'restart/1000/restart/5000/restart/30000')

# Data: configuration and spool, private to the service (secrets, mail).
Write-Host "Creating $DataDir"
$spool = Join-Path $DataDir 'spool'
New-Item -ItemType Directory -Force -Path $DataDir, $spool | Out-Null
$conf = Join-Path $DataDir 'coproc.conf'
if (-not (Test-Path $conf)) {
  # The sample documents every option with its default, all commented out.
  $sample = & (Join-Path $InstallDir 'coprocess.exe') --print-sample-config
  if ($LASTEXITCODE -ne 0) { throw 'coprocess.exe --print-sample-config failed' }
  Set-Content -Path $conf -Value $sample -Encoding UTF8
} else {
  Write-Host "Keeping the existing $conf"
}
Invoke-Checked icacls.exe @($DataDir, '/inheritance:r', '/grant:r',
  '*S-1-5-18:(OI)(CI)F', '*S-1-5-32-544:(OI)(CI)F', "${ServiceAccount}:(OI)(CI)M", '/T', '/Q')

if (-not $NoStart) {
  Write-Host "Starting $ServiceName"
  Start-Service -Name $ServiceName
  (Get-Service -Name $ServiceName).WaitForStatus('Running', [TimeSpan]::FromSeconds(30))
  & (Join-Path $InstallDir 'coprocctl.exe') ping
}
Write-Host 'coproc installed.'
