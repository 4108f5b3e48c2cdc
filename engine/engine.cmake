add_library(stepwise_engine
  ${CMAKE_CURRENT_SOURCE_DIR}/engine.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/execution_codec.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/history_event.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/interpreter.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/local_runner.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/service_error.cc
)
sw_target_warnings(stepwise_engine)
target_link_libraries(stepwise_engine PUBLIC stepwise_asl stepwise_common stepwise_storage
  stepwise_engine_parts)

sw_add_test(engine_interpreter_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/interpreter_test.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/execution_codec_test.cc
  LIBS stepwise_engine)

sw_add_test(engine_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/engine_test.cc
  LIBS stepwise_engine stepwise_storage_rocks)
