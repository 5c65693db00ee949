# Every target of ours builds warning-clean with -Wall -Wextra.
function(coproc_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow=local -Wnon-virtual-dtor)
  if(COPROC_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
