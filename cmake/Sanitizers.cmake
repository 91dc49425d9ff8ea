# ARKMQ_SANITIZE=address,undefined (or thread) instruments every target of the build.
if(ARKMQ_SANITIZE)
  add_compile_options(-fsanitize=${ARKMQ_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${ARKMQ_SANITIZE})
endif()
# GCC 12 warns that TSan does not model atomic_thread_fence, which Asio uses; not fatal.
if(ARKMQ_SANITIZE MATCHES "thread" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  add_compile_options(-Wno-error=tsan)
endif()
