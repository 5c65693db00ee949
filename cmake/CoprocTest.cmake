include(GoogleTest)

# coproc_test(NAME SOURCES... [LIBS libs...] [LABELS labels...] [TIMEOUT s]
#             [RESOURCE_LOCK name] [FIXTURES fixture])
# One GoogleTest executable linked with test_support, its tests discovered
# into CTest. Tests sharing a RESOURCE_LOCK never run at once under any
# `ctest -j`; every test labelled "system" boots a container and holds the
# lock "system_container" (two boots at once fail), whether it says so or
# not. FIXTURES names a CTest fixture every test requires.
# COPROC_TEST_EXTRA_LABEL (e.g. "windows") is added to every test's labels;
# COPROC_TEST_DISCOVERY_TIMEOUT bounds listing the tests.
# Every test executable links tests/support/no_skips.cc: a skipped test
# (e.g. the whole suite when its SetUpTestSuite failed) fails.
function(coproc_test name)
  cmake_parse_arguments(T "" "TIMEOUT;RESOURCE_LOCK;FIXTURES" "LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_UNPARSED_ARGUMENTS} ${PROJECT_SOURCE_DIR}/tests/support/no_skips.cc)
  target_link_libraries(${name} PRIVATE test_support GTest::gtest_main ${T_LIBS})
  coproc_warnings(${name})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  set(labels ${T_LABELS} ${COPROC_TEST_EXTRA_LABEL})
  # gtest_discover_tests cannot pass a list-valued property: several labels
  # become one ("integration-mail"), which `ctest -L mail` still matches.
  string(REPLACE ";" "-" labels "${labels}")
  if(labels)
    set(labels LABELS "${labels}")  # an empty value would shift the pairs below
  endif()
  set(fixtures "")
  if(T_FIXTURES)
    set(fixtures FIXTURES_REQUIRED ${T_FIXTURES})
  endif()
  if(NOT COPROC_TEST_DISCOVERY_TIMEOUT)
    set(COPROC_TEST_DISCOVERY_TIMEOUT 60)
  endif()
  if("system" IN_LIST T_LABELS AND NOT T_RESOURCE_LOCK)
    set(T_RESOURCE_LOCK system_container)
  endif()
  set(lock)
  if(T_RESOURCE_LOCK)
    set(lock RESOURCE_LOCK ${T_RESOURCE_LOCK})
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT ${COPROC_TEST_DISCOVERY_TIMEOUT}
    ${COPROC_TEST_DISCOVERY_OPTIONS}
    PROPERTIES ${labels} TIMEOUT ${T_TIMEOUT} ${lock} ${fixtures})
endfunction()

# coproc_cobol_program(TARGET OUTPUT SOURCE [COPYBOOKS DIR FILES...]): the
# GnuCOBOL program SOURCE linked with libcoproc (and the sanitizers under
# COPROC_SANITIZE) as OUTPUT, built by target TARGET; COPYBOOKS names the
# folder of the copybooks it includes and the files it depends on. Call only
# when find_program found COBC_EXECUTABLE.
function(coproc_cobol_program target output source)
  cmake_parse_arguments(C "" "" "COPYBOOKS" ${ARGN})
  set(include "")
  set(copybooks "")
  if(C_COPYBOOKS)
    list(POP_FRONT C_COPYBOOKS dir)
    set(include -I${dir})
    set(copybooks ${C_COPYBOOKS})
  endif()
  set(sanitize "")
  if(COPROC_SANITIZE)
    set(sanitize -Q -fsanitize=address,undefined)
  endif()
  add_custom_command(OUTPUT ${output}
    COMMAND ${COBC_EXECUTABLE} -x -free -fstatic-call ${include} ${source} ${sanitize}
            -L$<TARGET_FILE_DIR:coproc> -lcoproc -o ${output}
    DEPENDS ${source} ${copybooks} coproc
    COMMENT "Building the GnuCOBOL program ${target}")
  add_custom_target(${target} ALL DEPENDS ${output})
endfunction()

# coproc_asan_runtime(VAR): the path of libasan.so in VAR under
# COPROC_SANITIZE (hosts not built with ASan, such as python3 or a COBOL
# program, preload it to load the instrumented libcoproc), "" otherwise.
function(coproc_asan_runtime var)
  set(path "")
  if(COPROC_SANITIZE)
    execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libasan.so
                    OUTPUT_VARIABLE path OUTPUT_STRIP_TRAILING_WHITESPACE)
  endif()
  set(${var} "${path}" PARENT_SCOPE)
endfunction()
