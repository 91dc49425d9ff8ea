# arkmq_set_warnings(target): the project's warning level, as errors unless ARKMQ_WERROR is off.
function(arkmq_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                         -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
                         -Wimplicit-fallthrough -Wswitch)
  if(ARKMQ_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  # GCC 12 reports false -Wrestrict, -Warray-bounds and -Wstringop-* positives inside libstdc++
  # vector and string code at -O2/-O3
  # (GCC bug 105329); keep the warning visible but not fatal.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-error=restrict -Wno-error=array-bounds
                           -Wno-error=stringop-overflow -Wno-error=stringop-overread)
  endif()
endfunction()
