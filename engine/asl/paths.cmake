# JSONPath, intrinsic functions and payload templates (part of stepwise_asl).
target_sources(stepwise_asl PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/path.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/intrinsics.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/payload_template.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/variable_limits.cc
)
target_link_libraries(stepwise_asl PUBLIC OpenSSL::Crypto)

sw_add_test(asl_paths_test
  SOURCES path_test.cc intrinsics_test.cc payload_template_test.cc
          intrinsics_corpus_test.cc variable_limits_test.cc
  LIBS stepwise_asl)
target_compile_definitions(asl_paths_test PRIVATE
  SW_CORPUS_DIR="${SW_SHARED_DIR}/conformance/cases")
