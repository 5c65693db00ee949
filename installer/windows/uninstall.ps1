<#
.SYNOPSIS
  Removes coproc from Windows: stops and deletes the service, removes the
  program files. Keeps %ProgramData%\coproc (coproc.conf and the mail spool)
  unless -Purge is given, like "apt-get remove" versus "purge" on Debian.

.PARAMETER InstallDir
  Where install.ps1 put the program files.
.PARAMETER DataDir
  Where install.ps1 put the configuration and the spool.
.PARAMETER Purge
  Also delete the configuration and the spool (queued mail is lost).

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File uninstall.ps1 -Purge
#>
[CmdletBinding()]
param(
  [string] $InstallDir = (Join-Path $env:ProgramFiles 'coproc'),
  [string] $DataDir = (Join-Path $env:ProgramData 'coproc'),
  [switch] $Purge
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$ServiceName = 'coproc'

$principal = New-Object Security.Principal.WindowsPrincipal(
  [Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
  throw 'uninstall.ps1 must run from an elevated (Administrator) PowerShell.'
}

$service = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
if ($service) {
  if ($service.Status -ne 'Stopped') {
    Write-Host "Stopping $ServiceName (the service stops the co-process gracefully)"
    Stop-Service -Name $ServiceName -Force
    $service.WaitForStatus('Stopped', [TimeSpan]::FromSeconds(30))
  }
  & sc.exe delete $ServiceName | Out-Null
  if ($LASTEXITCODE -ne 0) { throw "sc.exe delete $ServiceName failed with exit code $LASTEXITCODE" }
  Write-Host "Service $ServiceName deleted"
}

if (Test-Path $InstallDir) {
  Remove-Item -Recurse -Force $InstallDir
  Write-Host "Removed $InstallDir"
}

if ($Purge) {
  if (Test-Path $DataDir) {
    Remove-Item -Recurse -Force $DataDir
    Write-Host "Purged $DataDir"
  }
} else {
  Write-Host "Kept $DataDir (configuration and mail spool); use -Purge to delete it"
}
Write-Host 'coproc uninstalled.'
