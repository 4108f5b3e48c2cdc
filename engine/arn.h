// Names, ARNs and UUIDs: AWS's name rule, the ARNs of state machines,
// activities and executions (Standard and Express), and UUID v4 text. The
// one home of these shapes: the engine and the local runner (and request
// ids) use it. Pure functions; thread-safe, except that NewUuid uses the
// caller's generator (guard it).
#ifndef SW_ENGINE_ARN_H_
#define SW_ENGINE_ARN_H_

#include <cstdint>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace stepwise::engine {

// True if `name` follows AWS's rule for state machine, activity and
// execution names: 1-80 characters, no whitespace, brackets, wildcards,
// listed punctuation or control characters.
bool ValidName(const std::string& name);

// A UUID v4 in its 8-4-4-4-12 hex form, from two random words.
std::string FormatUuid(uint64_t hi, uint64_t lo);
// A UUID v4 drawn from `rng`.
std::string NewUuid(std::mt19937_64& rng);
// A UUID v4 made from the SHA-256 of `seed`: the same seed, the same UUID
// (names and request ids that must not change across a restart).
std::string StableUuid(absl::string_view seed);

// arn:aws:states:REGION:ACCOUNT:stateMachine:NAME
std::string MachineArn(absl::string_view region, absl::string_view account,
                       absl::string_view name);
// arn:aws:states:REGION:ACCOUNT:activity:NAME
std::string ActivityArn(absl::string_view region, absl::string_view account,
                        absl::string_view name);
// arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME
std::string ExecutionArn(absl::string_view region, absl::string_view account,
                         absl::string_view machine, absl::string_view name);
// arn:aws:states:REGION:ACCOUNT:express:MACHINE:NAME:UUID, the shape AWS
// records for Express executions (engine/arn_test.cc checks it against
// the conformance corpus).
std::string ExpressExecutionArn(absl::string_view region, absl::string_view account,
                                absl::string_view machine, absl::string_view name,
                                absl::string_view uuid);

// OK if `arn` is a well-formed execution ARN (Standard or Express) of this
// region and account, else InvalidArn.
absl::Status CheckExecutionArn(absl::string_view region, absl::string_view account,
                               const std::string& arn);

// The `parts_from_end` last ':'-separated parts of `arn` ("" if it has
// fewer separators).
// AWS's InvalidArn for `arn`: "Invalid Arn: 'ARN'", and for a string that
// does not even start with "arn:", "Invalid Arn: 'Invalid ARN prefix: X'"
// (as AWS answers DescribeStateMachine, DescribeExecution, ... recorded).
absl::Status InvalidArnError(const std::string& arn);

std::string ArnTail(const std::string& arn, int parts_from_end = 1);

}  // namespace stepwise::engine

#endif  // SW_ENGINE_ARN_H_
