# The `stepwise` command-line tool: argument parsing (unit-tested on its own)
# and the executable, which needs the engine (RunLocal) and the validator.
add_library(stepwise_cli_args ${CMAKE_CURRENT_SOURCE_DIR}/cli_args.cc)
sw_target_warnings(stepwise_cli_args)
target_link_libraries(stepwise_cli_args PUBLIC stepwise_common)

sw_add_test(cli_args_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/cli_args_test.cc
  LIBS stepwise_cli_args)

# The commands that talk to stepwised: output formatting, the worker's
# subprocess runner, the remote commands and the load generator.
add_library(stepwise_cli_remote
  ${CMAKE_CURRENT_SOURCE_DIR}/cli_format.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/subprocess.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/cli_remote.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/bench.cc)
sw_target_warnings(stepwise_cli_remote)
target_link_libraries(stepwise_cli_remote PUBLIC
  stepwise_cli_args stepwise_client stepwise_common)

sw_add_test(cli_remote_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/cli_format_test.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/client_test.cc
  LIBS stepwise_cli_remote)

if(TARGET stepwise_engine)
  add_executable(stepwise_cli ${CMAKE_CURRENT_SOURCE_DIR}/cli_main.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/jsonata_cmd.cc)
  sw_target_warnings(stepwise_cli)
  set_target_properties(stepwise_cli PROPERTIES OUTPUT_NAME stepwise)
  target_link_libraries(stepwise_cli PRIVATE
    stepwise_cli_args stepwise_cli_remote stepwise_engine stepwise_asl stepwise_jsonata
    stepwise_common)

  # Smoke tests of the bundled example (the README quick start).
  set(_sw_hello ${CMAKE_SOURCE_DIR}/examples/hello)
  add_test(NAME cli_run_local_hello
    COMMAND stepwise_cli run-local --definition ${_sw_hello}/definition.json
            --input @${_sw_hello}/input.json --history)
  set_tests_properties(cli_run_local_hello PROPERTIES
    PASS_REGULAR_EXPRESSION "\"status\": \"SUCCEEDED\"")
  add_test(NAME cli_validate_hello
    COMMAND stepwise_cli validate ${_sw_hello}/definition.json)
  add_test(NAME cli_unknown_command_exits_2 COMMAND stepwise_cli frobnicate)
  set_tests_properties(cli_unknown_command_exits_2 PROPERTIES WILL_FAIL TRUE)
endif()
