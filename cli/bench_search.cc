// `stepwise bench --workload search-load|search-query`: the search
// benchmark's two halves (tests/bench/search_bench.sh drives them around a
// SIGKILL of stepwised). search-load starts --executions N executions
// "e-<i>" (i from --offset) of --machine with input {"customerId":
// "c<i mod --customers>"} on --concurrency threads, retrying each until it is
// acknowledged (ExecutionAlreadyExists after a lost answer counts), so a
// daemon killed and restarted under it loses nothing. search-query runs
// --searches searches of --query (every page, maxResults 1000), timing each
// whole search, and checks each finds --expect executions and that
// CountExecutions agrees. Prints one JSON object; exits 1 on a wrong count.
// Runs on the main thread and the threads it starts.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>
#include <vector>

#include "cli/cli_format.h"
#include "cli/cli_remote.h"
#include "cli/resolve_names.h"
#include "cli/search_cmd.h"

namespace stepwise::client {

namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

json::object Latencies(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  auto at = [&](double p) {
    return ms.empty() ? 0.0 : ms[static_cast<size_t>(p * static_cast<double>(ms.size() - 1))];
  };
  return json::object{{"samples", static_cast<int64_t>(ms.size())},
                      {"p50_ms", at(0.50)},
                      {"p99_ms", at(0.99)},
                      {"max_ms", ms.empty() ? 0.0 : ms.back()}};
}

int Load(const RemoteArgs& a, Client& c, const std::string& machine) {
  int64_t n = a.GetInt("executions", 100000);
  int64_t offset = a.GetInt("offset", 0);
  int64_t customers = std::max<int64_t>(1, a.GetInt("customers", 1000));
  int threads = static_cast<int>(std::max<int64_t>(1, a.GetInt("concurrency", 32)));
  std::atomic<int64_t> next{offset};
  std::atomic<int64_t> retries{0};
  auto t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int64_t i = next++; i < offset + n; i = next++) {
        v1::StartExecutionRequest req;
        req.set_state_machine_arn(machine);
        req.set_name("e-" + std::to_string(i));
        req.set_input("{\"customerId\":\"c" + std::to_string(i % customers) + "\",\"n\":" +
                      std::to_string(i) + "}");
        while (true) {
          auto r = c.StartExecution(req);
          if (r.ok() || AwsErrorName(r.status()) == "ExecutionAlreadyExists") break;
          ++retries;  // the daemon is down or restarting: the same start again
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  double secs = MsSince(t0) / 1000.0;
  json::object out{{"loaded", n},
                   {"seconds", secs},
                   {"starts_per_s", static_cast<double>(n) / secs},
                   {"retries", retries.load()}};
  std::cout << SerializeJson(out) << "\n";
  return kExitOk;
}

int Query(const RemoteArgs& a, Client& c, const std::string& machine) {
  int64_t searches = std::max<int64_t>(1, a.GetInt("searches", 200));
  int64_t expect = a.GetInt("expect", -1);
  std::string query = a.Get("query");
  std::vector<double> ms;
  int64_t wrong = 0;
  int64_t last = 0;
  for (int64_t s = 0; s < searches; ++s) {
    v1::SearchExecutionsRequest req;
    req.set_query(query);
    req.set_state_machine_arn(machine);
    req.set_max_results(1000);
    int64_t found = 0;
    auto t0 = Clock::now();
    while (true) {
      auto r = c.SearchExecutions(req);
      if (!r.ok()) return CallFailed(r.status());
      found += r->executions_size();
      if (r->next_token().empty()) break;
      req.set_next_token(r->next_token());
    }
    ms.push_back(MsSince(t0));
    last = found;
    if (expect >= 0 && found != expect) ++wrong;
  }
  v1::CountExecutionsRequest count;
  count.set_query(query);
  count.set_state_machine_arn(machine);
  auto t0 = Clock::now();
  auto n = c.CountExecutions(count);
  double count_ms = MsSince(t0);
  if (!n.ok()) return CallFailed(n.status());
  bool ok = wrong == 0 && (expect < 0 || n->count() == expect);
  json::object out{{"query", query},
                   {"found", last},
                   {"expected", expect},
                   {"wrong_counts", wrong},
                   {"count", n->count()},
                   {"count_ms", count_ms},
                   {"search", Latencies(ms)},
                   {"ok", ok}};
  std::cout << SerializeJson(out) << "\n";
  return ok ? kExitOk : kExitCallFailed;
}

}  // namespace

int RunSearchBench(const RemoteArgs& a, Client& c) {
  std::string machine;
  if (a.Has("machine")) {
    auto resolved = ResolveStateMachine(c, a.Get("machine"));
    if (!resolved.ok()) return CallFailed(resolved.status());
    machine = *resolved;
  }
  if (a.Get("workload") == "search-load") {
    if (machine.empty()) {
      std::cerr << "stepwise: --workload search-load needs --machine\n";
      return kExitUsage;
    }
    return Load(a, c, machine);
  }
  return Query(a, c, machine);
}

}  // namespace stepwise::client
