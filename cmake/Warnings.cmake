# arkmq_set_warnings(target): the project's warning level, as errors unless ARKMQ_WERROR is off.
function(arkmq_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                         -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
                         -Wimplicit-fallthrough -Wswitch)
  if(ARKMQ_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
