#include "engine/execution_codec.h"

#include <cstring>
#include <exception>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace stepwise::engine {

namespace {

json::value Str(std::string_view s) { return json::value(json::string(s)); }

// Reads fields of a stored object, turning any shape error into kDataLoss.
class Reader {
 public:
  explicit Reader(const json::value& v, std::string what) : what_(std::move(what)) {
    obj_ = v.if_object();
    if (obj_ == nullptr) ok_ = false;
  }
  bool ok() const { return ok_; }
  absl::Status status() const {
    return ok_ ? absl::OkStatus()
               : absl::DataLossError(absl::StrCat("malformed stored ", what_,
                                                  bad_.empty() ? "" : ": field ", bad_));
  }
  int64_t Int(std::string_view key) {
    const json::value* v = Find(key);
    if (v == nullptr) return 0;
    if (!v->is_int64()) return Fail(key), 0;
    return v->get_int64();
  }
  bool Bool(std::string_view key) {
    const json::value* v = Find(key);
    if (v == nullptr) return false;
    if (!v->is_bool()) return Fail(key), false;
    return v->get_bool();
  }
  // A member that older records do not have: absent reads as false.
  bool OptionalBool(std::string_view key) {
    if (obj_ != nullptr && !obj_->contains(key)) return false;
    return Bool(key);
  }
  std::string String(std::string_view key) {
    const json::value* v = Find(key);
    if (v == nullptr) return "";
    if (!v->is_string()) return Fail(key), "";
    return std::string(v->get_string());
  }
  json::value Value(std::string_view key) {
    const json::value* v = Find(key);
    return v == nullptr ? json::value() : *v;
  }
  const json::value* Raw(std::string_view key) { return Find(key); }
  // A member that older records do not have: absent is null, not an error.
  const json::value* OptionalRaw(std::string_view key) const {
    return obj_ == nullptr ? nullptr : obj_->if_contains(key);
  }

 private:
  const json::value* Find(std::string_view key) {
    if (obj_ == nullptr) return nullptr;
    const json::value* v = obj_->if_contains(key);
    if (v == nullptr) Fail(key);
    return v;
  }
  void Fail(std::string_view key) {
    if (ok_) bad_ = std::string(key);
    ok_ = false;
  }

  const json::object* obj_ = nullptr;
  std::string what_;
  std::string bad_;
  bool ok_ = true;
};

json::array IntArray(const std::vector<int64_t>& v) {
  json::array a;
  for (int64_t x : v) a.push_back(x);
  return a;
}

json::object EncodeFan(const FanOut& f) {
  json::object o;
  o["is_map"] = f.is_map;
  o["silent_children"] = f.silent_children;
  json::array inputs, results, children;
  for (const auto& v : f.inputs) inputs.push_back(v);
  for (const auto& v : f.results) results.push_back(v);
  for (int c : f.child_frames) children.push_back(c);
  o["inputs"] = std::move(inputs);
  o["results"] = std::move(results);
  o["child_frames"] = std::move(children);
  o["next_to_launch"] = static_cast<int64_t>(f.next_to_launch);
  o["launch_tail"] = f.launch_tail;
  o["running"] = f.running;
  o["succeeded"] = f.succeeded;
  o["failed"] = f.failed;
  o["max_concurrency"] = f.max_concurrency;
  o["tolerated_count"] = f.tolerated_count ? json::value(*f.tolerated_count) : json::value();
  o["tolerated_percentage"] =
      f.tolerated_percentage ? json::value(*f.tolerated_percentage) : json::value();
  o["first_error"] = Str(f.first_error);
  o["first_cause"] = Str(f.first_cause);
  o["finished"] = f.finished;
  // Written only when set, so records without failed children keep their bytes.
  if (!f.unsuccessful.empty()) {
    json::array u;
    for (int i : f.unsuccessful) u.push_back(i);
    o["unsuccessful"] = std::move(u);
  }
  return o;
}

absl::StatusOr<std::unique_ptr<FanOut>> DecodeFan(const json::value& v) {
  Reader r(v, "fan-out");
  auto f = std::make_unique<FanOut>();
  f->is_map = r.Bool("is_map");
  f->silent_children = r.Bool("silent_children");
  for (const char* key : {"inputs", "results", "child_frames"}) {
    const json::value* a = r.Raw(key);
    if (a == nullptr || !a->is_array()) {
      return absl::DataLossError(absl::StrCat("malformed stored fan-out: field ", key));
    }
    for (const json::value& e : a->get_array()) {
      if (key[0] == 'i') {
        f->inputs.push_back(e);
      } else if (key[0] == 'r') {
        f->results.push_back(e);
      } else {
        if (!e.is_int64()) return absl::DataLossError("malformed stored fan-out child");
        f->child_frames.push_back(static_cast<int>(e.get_int64()));
      }
    }
  }
  f->next_to_launch = static_cast<size_t>(r.Int("next_to_launch"));
  f->launch_tail = r.Int("launch_tail");
  f->running = static_cast<int>(r.Int("running"));
  f->succeeded = static_cast<int>(r.Int("succeeded"));
  f->failed = static_cast<int>(r.Int("failed"));
  f->max_concurrency = r.Int("max_concurrency");
  json::value tc = r.Value("tolerated_count");
  if (tc.is_int64()) f->tolerated_count = tc.get_int64();
  json::value tp = r.Value("tolerated_percentage");
  if (tp.is_number()) f->tolerated_percentage = ToDouble(tp);
  f->first_error = r.String("first_error");
  f->first_cause = r.String("first_cause");
  f->finished = r.Bool("finished");
  SW_RETURN_IF_ERROR(r.status());
  if (const json::value* u = v.get_object().if_contains("unsuccessful")) {
    if (!u->is_array()) return absl::DataLossError("malformed stored fan-out: unsuccessful");
    for (const json::value& e : u->get_array()) {
      if (!e.is_int64()) return absl::DataLossError("malformed stored fan-out: unsuccessful");
      f->unsuccessful.push_back(static_cast<int>(e.get_int64()));
    }
  }
  if (f->results.size() != f->inputs.size() || f->child_frames.size() != f->inputs.size()) {
    return absl::DataLossError("malformed stored fan-out: sizes differ");
  }
  return f;
}

// A mock-config test run (ExecutionInfo::test_case, mock_invocations),
// stored only for such runs so other records keep their bytes.
json::object EncodeMockRun(const ExecutionInfo& info) {
  json::object mock;
  mock["test_case"] = Str(info.test_case);
  json::object invocations;
  for (const auto& [state, n] : info.mock_invocations) invocations[state] = n;
  mock["invocations"] = std::move(invocations);
  if (info.time_scale != 1.0) mock["time_scale"] = info.time_scale;
  return mock;
}

absl::Status DecodeMockRun(const json::value& v, ExecutionInfo& info) {
  Reader r(v, "mock test run");
  info.test_case = r.String("test_case");
  json::value invocations = r.Value("invocations");
  SW_RETURN_IF_ERROR(r.status());
  if (!invocations.is_object() || info.test_case.empty()) {
    return absl::DataLossError("malformed stored mock test run");
  }
  for (const auto& [state, n] : invocations.get_object()) {
    if (!n.is_int64()) return absl::DataLossError("malformed stored mock test run");
    info.mock_invocations[std::string(state)] = n.get_int64();
  }
  if (const json::value* scale = v.get_object().if_contains("time_scale")) {
    if (!scale->is_number() || !(ToDouble(*scale) > 0)) {
      return absl::DataLossError("malformed stored mock test run: time_scale");
    }
    info.time_scale = ToDouble(*scale);
  }
  return absl::OkStatus();
}

// The redrive fields of a state (ExecutionState::redrive_point and the last
// redrive's date and token); empty for an execution never closed
// unsuccessfully, so older records keep their bytes.
json::object EncodeRedrive(const ExecutionState& s) {
  json::object o;
  if (s.redrive_point.has_value()) {
    const RedrivePoint& p = *s.redrive_point;
    json::object po;
    po["state"] = p.state;
    po["input"] = p.input;
    po["variables"] = p.variables;
    po["fan"] = p.fan;
    json::array done, results;
    for (int i : p.done) done.push_back(i);
    for (const json::value& v : p.results) results.push_back(v);
    po["done"] = std::move(done);
    po["results"] = std::move(results);
    if (!p.map_run_arn.empty()) {
      po["map_run_arn"] = Str(p.map_run_arn);
      po["map_run_redrive_count"] = p.map_run_redrive_count;
    }
    o["point"] = std::move(po);
  }
  if (s.redrive_date != 0) o["date"] = s.redrive_date;
  if (!s.redrive_client_tokens.empty()) {
    json::array tokens;
    for (const ExecutionState::RedriveToken& t : s.redrive_client_tokens) {
      tokens.push_back(json::object{{"token", Str(t.token)}, {"date", t.date}});
    }
    o["client_tokens"] = std::move(tokens);
  }
  return o;
}

absl::Status DecodeRedrive(const json::value& v, ExecutionState& s) {
  Reader r(v, "redrive fields");
  if (!r.ok()) return r.status();
  const json::object& o = v.get_object();
  if (o.contains("date")) s.redrive_date = r.Int("date");
  // Records written before the last 10 tokens were kept hold the last one.
  if (o.contains("client_token")) {
    s.redrive_client_tokens.push_back({r.String("client_token"), s.redrive_date});
  }
  SW_RETURN_IF_ERROR(r.status());
  if (const json::value* tokens = o.if_contains("client_tokens")) {
    const json::array* list = tokens->if_array();
    if (list == nullptr) return absl::InvalidArgumentError("redrive fields: client_tokens");
    for (const json::value& t : *list) {
      Reader tr(t, "redrive client token");
      if (!tr.ok()) return tr.status();
      ExecutionState::RedriveToken token{tr.String("token"), tr.Int("date")};
      SW_RETURN_IF_ERROR(tr.status());
      s.redrive_client_tokens.push_back(std::move(token));
    }
  }
  const json::value* pv = o.if_contains("point");
  if (pv == nullptr) return absl::OkStatus();
  Reader pr(*pv, "redrive point");
  RedrivePoint p;
  p.state = static_cast<int>(pr.Int("state"));
  p.input = pr.Value("input");
  json::value vars = pr.Value("variables");
  if (vars.is_object()) p.variables = std::move(vars.get_object());
  p.fan = pr.Bool("fan");
  const json::value* done = pr.Raw("done");
  const json::value* results = pr.Raw("results");
  SW_RETURN_IF_ERROR(pr.status());
  if (done == nullptr || !done->is_array() || results == nullptr || !results->is_array() ||
      done->get_array().size() != results->get_array().size()) {
    return absl::DataLossError("malformed stored redrive point");
  }
  for (const json::value& d : done->get_array()) {
    if (!d.is_int64()) return absl::DataLossError("malformed stored redrive point");
    p.done.push_back(static_cast<int>(d.get_int64()));
  }
  for (const json::value& x : results->get_array()) p.results.push_back(x);
  if (const json::value* m = pr.OptionalRaw("map_run_arn"); m != nullptr && m->is_string()) {
    p.map_run_arn = std::string(m->get_string());
    const json::value* n = pr.OptionalRaw("map_run_redrive_count");
    p.map_run_redrive_count = n != nullptr && n->is_int64() ? n->get_int64() : 0;
  }
  s.redrive_point = std::move(p);
  return absl::OkStatus();
}

}  // namespace

json::object EncodeExecutionState(const ExecutionState& s) {
  json::object info;
  info["execution_arn"] = Str(s.info.execution_arn);
  info["execution_name"] = Str(s.info.execution_name);
  info["state_machine_arn"] = Str(s.info.state_machine_arn);
  info["state_machine_name"] = Str(s.info.state_machine_name);
  info["role_arn"] = Str(s.info.role_arn);
  info["start_time"] = s.info.start_time;
  info["redrive_count"] = s.info.redrive_count;
  info["express"] = s.info.express;
  if (!s.info.test_case.empty()) info["mock"] = EncodeMockRun(s.info);
  if (s.info.express_async) info["express_async"] = true;
  json::object o;
  o["info"] = std::move(info);
  o["input"] = s.execution_input;
  o["status"] = static_cast<int64_t>(s.status);
  o["output"] = s.output ? Str(*s.output) : json::value();
  o["error"] = Str(s.error);
  o["cause"] = Str(s.cause);
  o["last_event_id"] = s.last_event_id;
  o["next_frame_id"] = s.next_frame_id;
  o["next_task_id"] = s.next_task_id;
  o["next_timer_id"] = s.next_timer_id;
  o["execution_timer_id"] = s.execution_timer_id;
  json::array frames;
  for (const auto& [id, f] : s.frames) {
    json::object fo;
    fo["id"] = f.id;
    fo["parent"] = f.parent;
    fo["child_index"] = f.child_index;
    fo["silent"] = f.silent;
    json::array path;
    for (int p : f.scope_path) path.push_back(p);
    fo["scope_path"] = std::move(path);
    fo["state"] = f.state;
    fo["phase"] = static_cast<int64_t>(f.phase);
    fo["input"] = f.input;
    fo["effective"] = f.effective;
    fo["entered_event_id"] = f.entered_event_id;
    fo["entered_prev_event_id"] = f.entered_prev_event_id;
    fo["entered_time"] = f.entered_time;
    fo["tail"] = f.tail;
    fo["retry_attempts"] = IntArray(f.retry_attempts);
    fo["retry_count"] = f.retry_count;
    fo["task_id"] = f.task_id;
    fo["task_started"] = f.task_started;
    fo["timer_id"] = f.timer_id;
    fo["variables"] = f.variables;
    fo["fan"] = f.fan ? json::value(EncodeFan(*f.fan)) : json::value();
    if (!f.map_run_arn.empty()) {  // absent otherwise: older records keep their bytes
      fo["map_run_arn"] = Str(f.map_run_arn);
      fo["map_run_redrive_count"] = f.map_run_redrive_count;
    }
    frames.push_back(std::move(fo));
  }
  o["frames"] = std::move(frames);
  json::object redrive = EncodeRedrive(s);
  if (!redrive.empty()) o["redrive"] = std::move(redrive);
  return o;
}

void AppendExecutionStateJson(const ExecutionState& s, std::string& out) {
  // The same text as SerializeJson(EncodeExecutionState(s)), key for key,
  // without building the tree or copying the payloads into it.
  JsonObjectWriter o(out);
  o.Key("info");
  {
    JsonObjectWriter info(out);
    info.String("execution_arn", s.info.execution_arn);
    info.String("execution_name", s.info.execution_name);
    info.String("state_machine_arn", s.info.state_machine_arn);
    info.String("state_machine_name", s.info.state_machine_name);
    info.String("role_arn", s.info.role_arn);
    info.Int("start_time", s.info.start_time);
    info.Int("redrive_count", s.info.redrive_count);
    info.Bool("express", s.info.express);
    if (!s.info.test_case.empty()) info.Object("mock", EncodeMockRun(s.info));
    if (s.info.express_async) info.Bool("express_async", true);
    info.End();
  }
  o.Value("input", s.execution_input);
  o.Int("status", static_cast<int64_t>(s.status));
  if (s.output) {
    o.String("output", *s.output);
  } else {
    o.Null("output");
  }
  o.String("error", s.error);
  o.String("cause", s.cause);
  o.Int("last_event_id", s.last_event_id);
  o.Int("next_frame_id", s.next_frame_id);
  o.Int("next_task_id", s.next_task_id);
  o.Int("next_timer_id", s.next_timer_id);
  o.Int("execution_timer_id", s.execution_timer_id);
  o.Key("frames");
  JsonArrayWriter frames(out);
  for (const auto& [id, f] : s.frames) {
    frames.Next();
    JsonObjectWriter fo(out);
    fo.Int("id", f.id);
    fo.Int("parent", f.parent);
    fo.Int("child_index", f.child_index);
    fo.Bool("silent", f.silent);
    fo.IntArray("scope_path", f.scope_path);
    fo.Int("state", f.state);
    fo.Int("phase", static_cast<int64_t>(f.phase));
    fo.Value("input", f.input);
    fo.Value("effective", f.effective);
    fo.Int("entered_event_id", f.entered_event_id);
    fo.Int("entered_prev_event_id", f.entered_prev_event_id);
    fo.Int("entered_time", f.entered_time);
    fo.Int("tail", f.tail);
    fo.IntArray("retry_attempts", f.retry_attempts);
    fo.Int("retry_count", f.retry_count);
    fo.Int("task_id", f.task_id);
    fo.Bool("task_started", f.task_started);
    fo.Int("timer_id", f.timer_id);
    fo.Object("variables", f.variables);
    if (f.fan) {
      fo.Object("fan", EncodeFan(*f.fan));
    } else {
      fo.Null("fan");
    }
    if (!f.map_run_arn.empty()) {
      fo.String("map_run_arn", f.map_run_arn);
      fo.Int("map_run_redrive_count", f.map_run_redrive_count);
    }
    fo.End();
  }
  frames.End();
  json::object redrive = EncodeRedrive(s);
  if (!redrive.empty()) o.Object("redrive", redrive);
  o.End();
}

absl::StatusOr<ExecutionState> DecodeExecutionState(const json::value& v,
                                                    const asl::StateMachine& machine) {
  Reader r(v, "execution state");
  ExecutionState s;
  {
    json::value info_value = r.Value("info");
    Reader info(info_value, "execution info");
    s.info.execution_arn = info.String("execution_arn");
    s.info.execution_name = info.String("execution_name");
    s.info.state_machine_arn = info.String("state_machine_arn");
    s.info.state_machine_name = info.String("state_machine_name");
    s.info.role_arn = info.String("role_arn");
    s.info.start_time = info.Int("start_time");
    s.info.redrive_count = info.Int("redrive_count");
    s.info.express = info.Bool("express");
    s.info.express_async = info.OptionalBool("express_async");
    SW_RETURN_IF_ERROR(info.status());
    if (const json::value* mock = info_value.as_object().if_contains("mock")) {
      SW_RETURN_IF_ERROR(DecodeMockRun(*mock, s.info));
    }
  }
  s.execution_input = r.Value("input");
  int64_t status = r.Int("status");
  if (status < 0 || status > static_cast<int64_t>(ExecutionStatus::kAborted)) {
    return absl::DataLossError("malformed stored execution state: status");
  }
  s.status = static_cast<ExecutionStatus>(status);
  json::value out = r.Value("output");
  if (out.is_string()) s.output = std::string(out.get_string());
  s.error = r.String("error");
  s.cause = r.String("cause");
  s.last_event_id = r.Int("last_event_id");
  s.next_frame_id = static_cast<int>(r.Int("next_frame_id"));
  s.next_task_id = r.Int("next_task_id");
  s.next_timer_id = r.Int("next_timer_id");
  s.execution_timer_id = r.Int("execution_timer_id");
  SW_RETURN_IF_ERROR(r.status());
  const json::value* frames = r.Raw("frames");
  if (frames == nullptr || !frames->is_array()) {
    return absl::DataLossError("malformed stored execution state: frames");
  }
  for (const json::value& fv : frames->get_array()) {
    Reader fr(fv, "frame");
    int id = static_cast<int>(fr.Int("id"));
    Frame& f = s.frames[id];
    f.id = id;
    f.parent = static_cast<int>(fr.Int("parent"));
    f.child_index = static_cast<int>(fr.Int("child_index"));
    f.silent = fr.Bool("silent");
    const json::value* path = fr.Raw("scope_path");
    if (path != nullptr && path->is_array()) {
      for (const json::value& p : path->get_array()) {
        if (!p.is_int64()) return absl::DataLossError("malformed stored frame scope");
        f.scope_path.push_back(static_cast<int>(p.get_int64()));
      }
    }
    f.scope = ResolveScope(machine, f.scope_path);
    f.state = static_cast<int>(fr.Int("state"));
    if (f.scope == nullptr || f.state < 0 ||
        static_cast<size_t>(f.state) >= f.scope->states.size()) {
      return absl::DataLossError(
          absl::StrCat("stored frame ", id, " does not fit the state machine definition"));
    }
    int64_t phase = fr.Int("phase");
    if (phase < 0 || phase > static_cast<int64_t>(Frame::Phase::kDone)) {
      return absl::DataLossError("malformed stored frame phase");
    }
    f.phase = static_cast<Frame::Phase>(phase);
    f.input = fr.Value("input");
    f.effective = fr.Value("effective");
    f.entered_event_id = fr.Int("entered_event_id");
    f.entered_prev_event_id = fr.Int("entered_prev_event_id");
    f.entered_time = fr.Int("entered_time");
    f.tail = fr.Int("tail");
    const json::value* ra = fr.Raw("retry_attempts");
    if (ra != nullptr && ra->is_array()) {
      for (const json::value& x : ra->get_array()) {
        f.retry_attempts.push_back(x.is_int64() ? x.get_int64() : 0);
      }
    }
    f.retry_count = fr.Int("retry_count");
    f.task_id = fr.Int("task_id");
    f.task_started = fr.Bool("task_started");
    f.timer_id = fr.Int("timer_id");
    json::value vars = fr.Value("variables");
    if (vars.is_object()) f.variables = std::move(vars.get_object());
    json::value fan = fr.Value("fan");
    if (const json::value* m = fr.OptionalRaw("map_run_arn"); m != nullptr && m->is_string()) {
      f.map_run_arn = std::string(m->get_string());
      const json::value* n = fr.OptionalRaw("map_run_redrive_count");
      f.map_run_redrive_count = n != nullptr && n->is_int64() ? n->get_int64() : 0;
    }
    SW_RETURN_IF_ERROR(fr.status());
    if (fan.is_object()) {
      SW_ASSIGN_OR_RETURN(f.fan, DecodeFan(fan));
    }
  }
  if (const json::value* redrive = v.get_object().if_contains("redrive")) {
    SW_RETURN_IF_ERROR(DecodeRedrive(*redrive, s));
  }
  return s;
}

absl::StatusOr<ExecutionStateSummary> SummarizeExecutionState(const json::value& v) {
  try {
    const json::object& st = v.as_object();
    ExecutionStateSummary out;
    out.execution_name = std::string(st.at("info").as_object().at("execution_name").as_string());
    out.status = static_cast<ExecutionStatus>(st.at("status").as_int64());
    if (st.at("output").is_string()) out.output = std::string(st.at("output").as_string());
    out.error = std::string(st.at("error").as_string());
    out.cause = std::string(st.at("cause").as_string());
    out.redrive_count = st.at("info").as_object().at("redrive_count").as_int64();
    if (const json::value* r = st.if_contains("redrive")) {
      const json::object& ro = r->as_object();
      if (const json::value* d = ro.if_contains("date")) out.redrive_date = d->as_int64();
      out.redrive_point = ro.contains("point");
    }
    out.last_event_id = st.at("last_event_id").as_int64();
    out.express = st.at("info").as_object().at("express").as_bool();
    out.start_time = st.at("info").as_object().at("start_time").as_int64();
    return out;
  } catch (const std::exception&) {
    return absl::DataLossError("stored execution state is malformed");
  }
}

}  // namespace stepwise::engine
