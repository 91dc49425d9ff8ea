# ARKMQ_SANITIZE=address,undefined (or thread) instruments every target of the build.
if(ARKMQ_SANITIZE)
  add_compile_options(-fsanitize=${ARKMQ_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${ARKMQ_SANITIZE})
endif()
