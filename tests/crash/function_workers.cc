// FunctionWorkers (function_workers.h): raw GetFunctionTask workers and
// callback senders of the daemon crash harness.
#include "tests/crash/function_workers.h"

#include <chrono>
#include <cstdio>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "common/json.h"
#include "grpcpp/grpcpp.h"
#include "tests/crash/function_servers.h"
#include "tests/crash/nested_workflow.h"
#include "tests/crash/workflow.h"

namespace stepwise::crash {
namespace {

void Deadline(grpc::ClientContext& ctx, std::chrono::seconds s) {
  ctx.set_deadline(std::chrono::system_clock::now() + s);
}

absl::Status FromGrpc(const grpc::Status& s) {
  return client::StatusFromGrpc(static_cast<int>(s.error_code()), s.error_message(),
                                s.error_details());
}

}  // namespace

bool TransientError(const absl::Status& s) {
  return s.code() == absl::StatusCode::kUnavailable ||
         s.code() == absl::StatusCode::kDeadlineExceeded ||
         s.code() == absl::StatusCode::kCancelled || s.code() == absl::StatusCode::kUnknown ||
         s.code() == absl::StatusCode::kInternal;
}

void FunctionWorkers::Start() {
  for (const char* fn : {NestedWorkflow::kFnArn, NestedWorkflow::kFnInvoke,
                         NestedWorkflow::kFnCallback}) {
    for (int k = 0; k < per_function_; ++k) {
      threads_.emplace_back([this, fn = std::string(fn), k] { Worker(fn, k); });
    }
  }
  for (int k = 0; k < senders_; ++k) threads_.emplace_back([this, k] { Sender(k); });
}

void FunctionWorkers::Halt() {
  halt_ = true;
  queue_cv_.notify_all();
}

void FunctionWorkers::Join() {
  for (auto& t : threads_) t.join();
  threads_.clear();
}

absl::Status FunctionWorkers::Send(
    const std::function<grpc::Status(v1::States::Stub&, grpc::ClientContext&)>& fn) {
  while (true) {
    std::shared_ptr<v1::States::Stub> stub = stub_();
    grpc::ClientContext ctx;
    Deadline(ctx, std::chrono::seconds(10));
    absl::Status s = FromGrpc(fn(*stub, ctx));
    if (!TransientError(s) || halt_.load()) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

absl::Status FunctionWorkers::SendSuccess(const std::string& token, const std::string& output) {
  return Send([&](v1::States::Stub& stub, grpc::ClientContext& ctx) {
    v1::SendTaskSuccessRequest r;
    r.set_task_token(token);
    r.set_output(output);
    v1::SendTaskSuccessResponse resp;
    return stub.SendTaskSuccess(&ctx, r, &resp);
  });
}

void FunctionWorkers::Enqueue(Callback c) {
  {
    std::lock_guard<std::mutex> l(log_.mu);
    ++log_.callbacks_queued;
  }
  std::lock_guard<std::mutex> l(queue_mu_);
  queue_.push_back(std::move(c));
  queue_cv_.notify_one();
}

void FunctionWorkers::Worker(const std::string& function, int k) {
  const std::string name = absl::StrCat(function, "-w", k);
  std::mt19937_64 rng(seed_ * 7919 + std::hash<std::string>()(name));
  while (!halt_.load()) {
    std::shared_ptr<v1::States::Stub> stub = stub_();
    grpc::ClientContext ctx;
    Deadline(ctx, std::chrono::seconds(poll_seconds_));
    v1::GetFunctionTaskRequest q;
    q.set_function_name(function);
    q.set_worker_name(name);
    v1::GetFunctionTaskResponse t;
    grpc::Status gs = stub->GetFunctionTask(&ctx, q, &t);
    if (!gs.ok()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    if (t.task_token().empty()) continue;
    const std::string token = t.task_token();
    {
      std::lock_guard<std::mutex> l(log_.mu);
      ++log_.handouts[function];
      auto [it, inserted] = log_.grants.emplace(token, name);
      if (!inserted) log_.double_grants.push_back(absl::StrCat(it->second, " and ", name));
    }
    auto event = ParseJson(t.payload());
    if (!event.ok() || !event->is_object()) {
      std::fprintf(stderr, "daemon_crash: function event is not an object: %s\n",
                   t.payload().c_str());
      continue;
    }
    const json::object& ev = event->get_object();
    const std::string key = Workflow::TaskKey(ev);
    const bool callback = function == NestedWorkflow::kFnCallback;
    std::optional<Callback> cb;
    if (callback) {
      const json::value* tok = ev.if_contains("token");
      if (tok == nullptr || !tok->is_string()) {
        std::fprintf(stderr, "daemon_crash: callback event without token: %s\n",
                     t.payload().c_str());
        continue;
      }
      cb = Callback{key, std::string(tok->get_string()), ev.at("n").as_int64()};
      // The callback may come before the function's own answer (a function
      // that calls SendTaskSuccess itself before it returns).
      if (rng() % 3 == 0) Enqueue(*std::exchange(cb, std::nullopt));
    }
    std::string nonce = absl::StrCat(name, "-", ++nonces_);
    WorkerAnswer a = NestedWorkflow::FunctionAnswer(ev, nonce, [this](const std::string& k2) {
      if (!first_seen_dir_.empty()) return FirstSeenDir(first_seen_dir_, k2);
      std::lock_guard<std::mutex> l(log_.mu);
      return log_.first_seen.insert(k2).second;
    });
    absl::Status s;
    if (a.success) {
      if (!callback) {
        std::lock_guard<std::mutex> l(log_.mu);
        log_.sent[key].insert(nonce);
      }
      s = SendSuccess(token, a.output);
    } else {
      s = Send([&](v1::States::Stub& st, grpc::ClientContext& c) {
        v1::SendTaskFailureRequest r;
        r.set_task_token(token);
        r.set_error(a.error);
        r.set_cause(a.cause);
        v1::SendTaskFailureResponse resp;
        return st.SendTaskFailure(&c, r, &resp);
      });
    }
    {
      std::lock_guard<std::mutex> l(log_.mu);
      if (!s.ok()) {
        ++log_.reports_stale;
      } else if (a.success && !callback) {
        log_.acked[key].insert(nonce);
      }
    }
    if (s.ok() && a.success && !callback && rng() % 8 == 0) {
      // The same attempt answered again: the first answer closed it.
      std::string again = absl::StrCat(nonce, "-again");
      {
        std::lock_guard<std::mutex> l(log_.mu);
        log_.sent[key].insert(again);
      }
      std::string out = NestedWorkflow::FunctionAnswer(ev, again, [](const std::string&) {
                          return false;
                        }).output;
      absl::Status s2 = SendSuccess(token, out);
      std::lock_guard<std::mutex> l(log_.mu);
      if (s2.ok()) {
        log_.second_answers_accepted.push_back(absl::StrCat(key, " (", again, ")"));
        log_.acked[key].insert(again);
      } else if (!TransientError(s2)) {
        ++log_.second_answers_refused;
      }
    }
    if (cb) Enqueue(std::move(*cb));
  }
}

void FunctionWorkers::Sender(int k) {
  std::mt19937_64 rng(seed_ * 104729 + static_cast<uint64_t>(k));
  while (true) {
    Callback c;
    {
      std::unique_lock<std::mutex> l(queue_mu_);
      queue_cv_.wait(l, [this] { return halt_.load() || !queue_.empty(); });
      if (halt_.load()) return;
      c = std::move(queue_.front());
      queue_.pop_front();
    }
    std::string nonce = absl::StrCat("cb-", k, "-", ++nonces_);
    {
      std::lock_guard<std::mutex> l(log_.mu);
      log_.sent[c.key].insert(nonce);
    }
    absl::Status s = SendSuccess(c.token, NestedWorkflow::CallbackOutput(c.n, nonce));
    {
      std::lock_guard<std::mutex> l(log_.mu);
      if (s.ok()) {
        ++log_.callbacks_acked;
        log_.acked[c.key].insert(nonce);
      } else if (!TransientError(s)) {
        ++log_.callbacks_refused;
      }
    }
    if (s.ok() && rng() % 8 == 0) {
      std::string again = absl::StrCat(nonce, "-again");
      {
        std::lock_guard<std::mutex> l(log_.mu);
        log_.sent[c.key].insert(again);
      }
      absl::Status s2 = SendSuccess(c.token, NestedWorkflow::CallbackOutput(c.n, again));
      std::lock_guard<std::mutex> l(log_.mu);
      if (s2.ok()) {
        log_.second_answers_accepted.push_back(absl::StrCat(c.key, " (", again, ")"));
        log_.acked[c.key].insert(again);
      } else if (!TransientError(s2)) {
        ++log_.second_answers_refused;
      }
    }
  }
}

}  // namespace stepwise::crash
