target_sources(stepwise_asl PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/choice.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/definition.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/jsonata_template.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/supported.cc
)
target_link_libraries(stepwise_asl PUBLIC stepwise_jsonata)

sw_add_test(asl_model_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/supported_test.cc
  LIBS stepwise_asl)
