// TaskNotifications (see task_notifications.h). Start/Announce/stats: any
// thread; Run and everything on the connection: the notification thread.
#include "storage/postgres/task_notifications.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/thread_name.h"
#include "spdlog/spdlog.h"
#include "storage/postgres_store.h"

namespace stepwise::storage {

// The LISTENing connection.
class TaskNotifications::Connection {
 public:
  explicit Connection(const std::string& conninfo) : conninfo_(conninfo) {}
  ~Connection() { Close(); }

  // Connects and LISTENs.
  absl::Status Open() {
    Close();
    conn_ = PQconnectdb(conninfo_.c_str());
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
      std::string msg =
          conn_ == nullptr ? "out of memory" : PQerrorMessage(conn_);
      Close();
      return absl::UnavailableError(absl::StrCat(
          "task notifications: cannot connect to PostgreSQL: ",
          absl::StripAsciiWhitespace(StripPasswords(msg, conninfo_))));
    }
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
    if (!Exec(absl::StrCat("LISTEN ", kChannel), {})) {
      std::string msg = Error();
      Close();
      return absl::UnavailableError(
          absl::StrCat("task notifications: LISTEN failed: ", msg));
    }
    return absl::OkStatus();
  }

  void Close() {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = nullptr;
  }

  bool ok() const {
    return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK;
  }
  int socket() const { return conn_ == nullptr ? -1 : PQsocket(conn_); }

  bool Exec(const std::string& sql, const std::vector<std::string>& params) {
    std::vector<const char*> values;
    for (const std::string& p : params) values.push_back(p.c_str());
    PGresult* r =
        PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()),
                     nullptr, values.data(), nullptr, nullptr, 0);
    ExecStatusType st = r == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(r);
    PQclear(r);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  }

  std::string Error() const {
    return conn_ == nullptr
               ? "no connection"
               : std::string(absl::StripAsciiWhitespace(
                     StripPasswords(PQerrorMessage(conn_), conninfo_)));
  }

  // Reads what arrived and passes other backends' notifications to `fn`;
  // false when the connection broke.
  bool Drain(const std::function<void(const std::string&)>& fn) {
    if (PQconsumeInput(conn_) == 0) return false;
    const int self = PQbackendPID(conn_);
    while (PGnotify* n = PQnotifies(conn_)) {
      if (n->be_pid != self && n->extra != nullptr) fn(n->extra);
      PQfreemem(n);
    }
    return ok();
  }

 private:
  const std::string conninfo_;
  PGconn* conn_ = nullptr;
};

absl::StatusOr<std::unique_ptr<TaskNotifications>> TaskNotifications::Start(
    const std::string& conninfo,
    std::function<void(const std::string& queue)> on_queued) {
  auto connection = std::make_unique<Connection>(conninfo);
  if (absl::Status s = connection->Open(); !s.ok()) return s;
  std::unique_ptr<TaskNotifications> n(new TaskNotifications(
      conninfo, std::move(on_queued), std::move(connection)));
  if (pipe2(n->wake_pipe_, O_NONBLOCK | O_CLOEXEC) != 0) {
    return absl::InternalError("task notifications: cannot create a pipe");
  }
  n->thread_ = std::thread([p = n.get()] {
    SetThreadName("sw-task-notify");
    p->Run();
  });
  return n;
}

TaskNotifications::TaskNotifications(
    std::string conninfo, std::function<void(const std::string&)> on_queued,
    std::unique_ptr<Connection> connection)
    : conninfo_(std::move(conninfo)),
      on_queued_(std::move(on_queued)),
      connection_(std::move(connection)) {}

TaskNotifications::~TaskNotifications() {
  Stop();
  for (int fd : wake_pipe_) {
    if (fd >= 0) close(fd);
  }
}

void TaskNotifications::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (wake_pipe_[1] >= 0) {
    char c = 1;
    [[maybe_unused]] ssize_t w = write(wake_pipe_[1], &c, 1);
  }
  std::lock_guard<std::mutex> l(join_mu_);
  if (thread_.joinable()) thread_.join();
}

void TaskNotifications::Announce(const std::string& queue) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) {
      dropped_.fetch_add(1);
      return;
    }
    int& count = pending_[queue];
    if (count >= kMaxPendingPerQueue) {
      dropped_.fetch_add(1);
      return;
    }
    ++count;
  }
  char c = 1;
  // A full pipe already wakes the thread.
  [[maybe_unused]] ssize_t w = write(wake_pipe_[1], &c, 1);
}

TaskNotificationStats TaskNotifications::stats() const {
  return TaskNotificationStats{sent_.load(), received_.load(), dropped_.load(),
                               reconnects_.load()};
}

bool TaskNotifications::SendPending() {
  std::map<std::string, int> batch;
  {
    std::lock_guard<std::mutex> l(mu_);
    batch.swap(pending_);
  }
  for (auto& [queue, count] : batch) {
    for (int i = 0; i < count; ++i) {
      // One statement, one transaction, one notification: PostgreSQL folds
      // equal notifications only within a transaction.
      if (!connection_->Exec("SELECT pg_notify($1, $2)", {kChannel, queue})) {
        dropped_.fetch_add(static_cast<uint64_t>(count - i));
        return connection_->ok();
      }
      sent_.fetch_add(1);
    }
  }
  return true;
}

void TaskNotifications::Run() {
  auto backoff = std::chrono::milliseconds(100);
  while (true) {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stopping_) return;
    }
    if (!connection_->ok()) {
      if (absl::Status s = connection_->Open(); !s.ok()) {
        spdlog::warn("{}; retrying in {} ms", std::string(s.message()), backoff.count());
        std::unique_lock<std::mutex> l(mu_);
        stop_cv_.wait_for(l, backoff, [this] { return stopping_; });
        backoff = std::min<std::chrono::milliseconds>(backoff * 2,
                                                      std::chrono::seconds(5));
        continue;
      }
      reconnects_.fetch_add(1);
      backoff = std::chrono::milliseconds(100);
      spdlog::info("task notifications: listening again");
    }
    pollfd fds[2] = {{connection_->socket(), POLLIN, 0},
                     {wake_pipe_[0], POLLIN, 0}};
    int n = poll(fds, 2, 1000);
    if (n < 0) continue;  // EINTR
    if (fds[1].revents & POLLIN) {
      char buf[256];
      while (read(wake_pipe_[0], buf, sizeof(buf)) > 0) {
      }
    }
    bool alive = SendPending();
    if (alive) {
      alive = connection_->Drain([this](const std::string& queue) {
        received_.fetch_add(1);
        on_queued_(queue);
      });
    }
    if (!alive) {
      spdlog::warn("task notifications: connection lost ({}); reconnecting",
                   connection_->Error());
      connection_->Close();
    }
  }
}

}  // namespace stepwise::storage
