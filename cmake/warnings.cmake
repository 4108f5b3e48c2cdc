# sw_target_warnings(target): the warning set for our own code (never for
# generated protobuf code, which does not pass it).
function(sw_target_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wmissing-declarations)
  if(SW_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# sw_add_test(name SOURCES ... LIBS ...): one gtest executable registered with ctest.
function(sw_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  sw_target_warnings(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60)
endfunction()
