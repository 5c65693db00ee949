# Writes coproc.conf(5): the hand-written page IN with its OPTIONS section
# (@COPROC_CONFIG_OPTIONS@) filled from the option table (OPTIONS, printed by
# `coprocess --print-config-man`), so the page never drifts from the code.
# cmake -DIN=... -DOPTIONS=... -DOUT=... -DPROJECT_VERSION=... -P render-conf-man.cmake
cmake_minimum_required(VERSION 3.18)
file(READ "${IN}" page)
file(READ "${OPTIONS}" options)
string(REPLACE "@COPROC_CONFIG_OPTIONS@\n" "${options}" page "${page}")
string(REPLACE "@PROJECT_VERSION@" "${PROJECT_VERSION}" page "${page}")
file(WRITE "${OUT}" "${page}")
