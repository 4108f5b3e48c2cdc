// Reproducers of bugs the fuzz targets found (see README.md), as plain
// tests that run in every preset. A test named DISABLED_ documents a bug
// that is not fixed yet; enable it with the fix.
#include <string>

#include "common/json.h"
#include "engine/asl/definition.h"
#include "engine/asl/eval_context.h"
#include "engine/asl/intrinsics.h"
#include "engine/asl/path.h"
#include "engine/asl/validator.h"
#include "engine/local_runner.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stepwise {
namespace {

}  // namespace
}  // namespace stepwise
