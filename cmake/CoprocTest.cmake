include(GoogleTest)

# coproc_test(NAME SOURCES... [LIBS libs...] [LABELS labels...] [TIMEOUT s])
# One GoogleTest executable linked with test_support, its tests discovered
# into CTest. COPROC_TEST_EXTRA_LABEL (e.g. "windows") is added to every
# test's labels; COPROC_TEST_DISCOVERY_TIMEOUT bounds listing the tests.
function(coproc_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE test_support GTest::gtest_main ${T_LIBS})
  coproc_warnings(${name})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  set(labels ${T_LABELS} ${COPROC_TEST_EXTRA_LABEL})
  # gtest_discover_tests cannot pass a list-valued property: several labels
  # become one ("integration-mail"), which `ctest -L mail` still matches.
  string(REPLACE ";" "-" labels "${labels}")
  if(NOT COPROC_TEST_DISCOVERY_TIMEOUT)
    set(COPROC_TEST_DISCOVERY_TIMEOUT 60)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT ${COPROC_TEST_DISCOVERY_TIMEOUT}
    ${COPROC_TEST_DISCOVERY_OPTIONS}
    PROPERTIES LABELS "${labels}" TIMEOUT ${T_TIMEOUT})
endfunction()
