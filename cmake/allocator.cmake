# sw_allocator: the memory allocator the daemon (and the benchmarks that
# stand for it) link: gperftools' tcmalloc_minimal (Debian package
# libgoogle-perftools-dev; libtcmalloc-minimal4 at run time).
#
# Measured on the 2-core box (docs/performance.md, "The allocator"): glibc's
# malloc spent about 40% of the interpreter's CPU per Pass step in
# _int_malloc, _int_free, unlink_chunk and malloc_consolidate (every event
# allocates its details and a copy of the payload text, and freeing a run of
# ~1 KiB blocks overflows glibc's per-thread cache); tcmalloc took a Pass step
# from 0.95 to 0.58 µs and the durable Standard figure up 9%.
#
# Off for sanitizer builds (they bring their own allocator) and with
# -DSW_TCMALLOC=OFF. Linked with --no-as-needed: nothing calls into it by
# name, it replaces malloc and free by being loaded.
option(SW_TCMALLOC "Link stepwised with tcmalloc_minimal (gperftools)" ON)
add_library(sw_allocator INTERFACE)
if(SW_TCMALLOC AND CMAKE_CXX_FLAGS MATCHES "-fsanitize")
  message(STATUS "SW_TCMALLOC: off in a sanitizer build (the sanitizer's allocator is used)")
elseif(SW_TCMALLOC)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(SW_TCMALLOC_PC libtcmalloc_minimal)
  if(NOT SW_TCMALLOC_PC_FOUND)
    message(FATAL_ERROR "SW_TCMALLOC: libtcmalloc_minimal not found: install the Debian package "
                        "libgoogle-perftools-dev (scripts/install-deps.sh does), or configure "
                        "with -DSW_TCMALLOC=OFF to keep glibc's malloc")
  endif()
  target_link_directories(sw_allocator INTERFACE ${SW_TCMALLOC_PC_LIBRARY_DIRS})
  target_link_libraries(sw_allocator INTERFACE
    "-Wl,--push-state,--no-as-needed" ${SW_TCMALLOC_PC_LIBRARIES} "-Wl,--pop-state")
  message(STATUS "SW_TCMALLOC: stepwised links ${SW_TCMALLOC_PC_LIBRARIES}")
endif()
