# Validation conformance: the ASL validator against the shared corpus
# (validation/localstack, validation/asl-validator and every cases/ definition).
# Included by tests/conformance/CMakeLists.txt.
add_executable(validation_conformance
  ${CMAKE_CURRENT_LIST_DIR}/validation_conformance.cc)
sw_target_warnings(validation_conformance)
target_link_libraries(validation_conformance PRIVATE stepwise_asl)
target_compile_definitions(validation_conformance PRIVATE
  SW_SHARED_DIR="${SW_SHARED_DIR}"
  SW_VALIDATION_PASSING_FILE="${CMAKE_CURRENT_LIST_DIR}/validation_passing.txt")
add_test(NAME validation_conformance
  COMMAND validation_conformance
    --shared ${SW_SHARED_DIR}
    --passing ${CMAKE_CURRENT_LIST_DIR}/validation_passing.txt)
set_tests_properties(validation_conformance PROPERTIES SKIP_RETURN_CODE 77)
