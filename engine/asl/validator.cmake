# Static validation of ASL definitions (validator.h).
target_sources(stepwise_asl PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/validator.cc)
sw_add_test(asl_validator_test SOURCES validator_test.cc LIBS stepwise_asl)
