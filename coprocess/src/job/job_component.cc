// The job component: job.submit runs another method through the dispatcher
// on one of at most job.max_running runner threads (later jobs wait in
// order), as the submitter (uid, admin); the job goes on when
// the submitting connection closes. job.status / job.wait / job.cancel /
// job.list see only the caller's jobs (admins see all; others get
// not_found). job.wait answers later through CallContext::defer(): no thread
// waits for a job. Records live in <state-dir>/jobs (job_store.h); a job that
// had not ended when the co-process stopped is `interrupted` afterwards.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <deque>
#include <functional>
#include <thread>

#include <msgpack.hpp>

#include "component.h"
#include "job_messages.h"
#include "job_store.h"
#include "log.h"
#include "methods.h"
#include "msgpack_writer.h"
#include "paths.h"
#include "rpc_error.h"

namespace coproc {
namespace job {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

struct Limits {
  std::int64_t ttl_default_s;
  std::int64_t ttl_max_s;
  std::size_t max_per_uid;
  std::size_t max_total;
  std::size_t max_result_bytes;
  std::size_t max_running;
};

struct Job {
  JobRecord record;  // under JobComponent::mutex_
  std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
  bool cancel_requested = false;
  bool ended = false;  // run() recorded its end (or it was loaded ended)
};

struct Waiter {
  std::string job_id;
  Clock::time_point deadline;
  CallContext::Reply reply;
  std::shared_ptr<std::atomic<bool>> caller_gone;
};

// {job_id, method, state, created, finished?, result? | error?}
rpc::JobStatusResult status_of(const JobRecord& r) {
  rpc::JobStatusResult out;
  out.job_id = r.id;
  out.method = r.method;
  out.state = r.state;
  out.created = r.created;
  if (r.state != "running") out.finished = r.finished;
  if (r.state == "done") out.result = r.result;
  if (r.state != "done" && r.state != "running") out.error = r.error;
  return out;
}

// <state-dir>/jobs; the state folder is made first when missing (on Windows
// nothing else creates it before the components start).
std::string jobs_dir(const std::string& state_dir) {
  ensure_directory(state_dir, 0700);
  return state_dir + "/jobs";
}

std::string new_job_id() {
  static std::mutex m;
  static std::mt19937_64 gen{std::random_device{}()};
  std::lock_guard<std::mutex> lock(m);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(gen()));
  return buf;
}

class JobComponent final : public Component {
 public:
  explicit JobComponent(const ComponentEnv& env)
      : dispatcher_(env.dispatcher),
        limits_{env.config.integer("job.ttl_default_s"), env.config.integer("job.ttl_max_s"),
                static_cast<std::size_t>(env.config.integer("job.max_per_uid")),
                static_cast<std::size_t>(env.config.integer("job.max_total")),
                static_cast<std::size_t>(env.config.integer("job.max_result_bytes")),
                static_cast<std::size_t>(env.config.integer("job.max_running"))},
        store_(jobs_dir(env.paths.state_dir)) {
    load();
    auto& d = env.dispatcher;
    d.add(rpc::method::kJobSubmit, Execution::worker,
          [this](CallContext& call, const rpc::Params& p) { return submit(call, p); });
    d.add(rpc::method::kJobStatus, Execution::event_loop,
          [this](CallContext& call, const rpc::Params& p) {
      p.allow_only(rpc::JobIdParams::kKeys);
      std::lock_guard<std::mutex> lock(mutex_);
      return rpc::pack_result(status_of(visible(call, p.str("job_id"))->record));
    });
    d.add(rpc::method::kJobWait, Execution::event_loop,
          [this](CallContext& call, const rpc::Params& p) { return wait(call, p); });
    d.add(rpc::method::kJobCancel, Execution::event_loop,
          [this](CallContext& call, const rpc::Params& p) {
      p.allow_only(rpc::JobIdParams::kKeys);
      std::lock_guard<std::mutex> lock(mutex_);
      auto job = visible(call, p.str("job_id"));
      if (job->record.state == "running") {
        job->cancel_requested = true;
        job->cancel->store(true);
      }
      return rpc::pack_result(status_of(job->record));
    });
    d.add(rpc::method::kJobList, Execution::event_loop,
          [this](CallContext& call, const rpc::Params& p) {
      p.allow_only({});
      std::lock_guard<std::mutex> lock(mutex_);
      std::vector<const JobRecord*> mine;
      for (const auto& [id, job] : jobs_) {
        if (job->record.uid == call.peer.uid) mine.push_back(&job->record);
      }
      std::sort(mine.begin(), mine.end(), [](const JobRecord* a, const JobRecord* b) {
        return a->created != b->created ? a->created < b->created : a->id < b->id;
      });
      rpc::JobListResult list;
      for (const JobRecord* r : mine) list.jobs.push_back(status_of(*r));
      return rpc::pack_result(list);
    });
    d.add_status_section("jobs", [this](const CallContext&) {
      std::lock_guard<std::mutex> lock(mutex_);
      std::map<std::string, std::uint64_t> s{{"kept", jobs_.size()}, {"running", 0}};
      for (const auto& [id, job] : jobs_) s["running"] += job->record.state == "running";
      s["waiting_calls"] = waiters_.size();
      s["queued"] = queue_.size();  // accepted, waiting for a runner (job.max_running)
      s["runners"] = runners_.size();
      return rpc::pack_value(s);
    });
  }

  ~JobComponent() override { stop(); }

  void start() override { housekeeper_ = std::thread([this] { housekeep(); }); }

  void stop() override {
    std::vector<std::thread> runners;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      for (auto& [id, job] : jobs_) job->cancel->store(true);
      runners.swap(runners_);
    }
    // The runners finish the queue: a job not started yet is recorded as
    // interrupted without running its method.
    wake_.notify_all();
    work_.notify_all();
    for (auto& t : runners) t.join();
    if (housekeeper_.joinable()) housekeeper_.join();
    answer_waiters([](const Waiter&) { return true; });
  }

 private:
  void load() {
    const auto now = unix_now();
    for (auto& r : store_.load_all()) {
      if (r.state == "running") {
        // It was running when the co-process ended: never silently forgotten.
        r.state = "interrupted";
        r.finished = now;
        r.error = RpcError(Errc::unavailable, "the co-process stopped while the job ran");
        try {
          store_.save(r);
        } catch (const std::exception& e) {
          COPROC_LOG(error, "job", "cannot record job " << r.id << " as interrupted: " << e.what());
        }
      }
      if (r.finished + r.ttl_s <= now) {
        store_.remove(r.id);
        continue;
      }
      auto job = std::make_shared<Job>();
      job->record = std::move(r);
      job->ended = true;
      jobs_.emplace(job->record.id, std::move(job));
    }
    if (!jobs_.empty()) COPROC_LOG(info, "job", jobs_.size() << " job records kept from before");
  }

  // The job when the caller may see it; not_found otherwise. Under mutex_.
  std::shared_ptr<Job> visible(const CallContext& call, const std::string& id) {
    auto it = jobs_.find(id);
    if (it == jobs_.end() || (it->second->record.uid != call.peer.uid && !call.admin)) {
      throw RpcException(Errc::not_found, "no job '" + id + "'");
    }
    return it->second;
  }

  rpc::Packed submit(CallContext& call, const rpc::Params& p) {
    p.allow_only(rpc::JobSubmitParams::kKeys);
    const std::string method_name = p.str("method");
    const std::int64_t ttl = p.int_or("ttl_s", limits_.ttl_default_s, 1, limits_.ttl_max_s);
    if (method_name.rfind("job.", 0) == 0) {
      throw RpcException(Errc::bad_request, "a job cannot run job.* methods");
    }
    const Method* method = dispatcher_.find(method_name);
    if (!method) throw RpcException(Errc::not_found, "unknown method '" + method_name + "'");
    // The method's params, repacked as the call convention `[map]`.
    std::string inner;
    {
      rpc::StringWriter out{&inner};
      rpc::Packer pk(out);
      const msgpack::object* given = p.find("params");
      if (given && given->type != msgpack::type::MAP) {
        throw RpcException(Errc::bad_request, "'params' must be a map");
      }
      if (given) {
        pk.pack_array(1);
        pk.pack(*given);
      } else {
        pk.pack_array(0);
      }
    }
    auto job = std::make_shared<Job>();
    job->record.uid = call.peer.uid;
    job->record.method = method_name;
    job->record.state = "running";
    job->record.created = unix_now();
    job->record.ttl_s = ttl;
    auto ctx = std::make_shared<CallContext>();
    ctx->peer = call.peer;
    ctx->admin = call.admin;
    ctx->connection_id = call.connection_id;
    ctx->request_id = call.request_id;
    ctx->method = method_name;
    ctx->received = Clock::now();
    ctx->cancel_flag = job->cancel;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) throw RpcException(Errc::unavailable, "the co-process is stopping");
      std::size_t of_uid = 0;
      for (const auto& [id, j] : jobs_) of_uid += j->record.uid == call.peer.uid;
      if (of_uid >= limits_.max_per_uid) {
        throw RpcException(Errc::rate_limited,
                           "uid " + std::to_string(call.peer.uid) + " already has " +
                               std::to_string(of_uid) + " jobs (job.max_per_uid)");
      }
      if (jobs_.size() >= limits_.max_total) {
        throw RpcException(Errc::rate_limited, "the co-process already keeps " +
                                                   std::to_string(jobs_.size()) +
                                                   " jobs (job.max_total)");
      }
      do {
        job->record.id = new_job_id();
      } while (jobs_.count(job->record.id));
      store_.save(job->record);  // throws: the job is not accepted
      jobs_.emplace(job->record.id, job);
      queue_.push_back([this, job, method, ctx, inner = std::move(inner)] {
        run(job, *method, *ctx, inner);
      });
      // A runner per job up to job.max_running; beyond, jobs wait in order.
      if (queue_.size() > idle_runners_ && runners_.size() < limits_.max_running) {
        runners_.emplace_back([this] { run_queue(); });
      }
    }
    work_.notify_one();
    COPROC_LOG(info, "job", "job " << job->record.id << " uid=" << call.peer.uid
                                   << " method=" << method_name << " submitted");
    return rpc::pack_value(rpc::JobSubmitResult{job->record.id});
  }

  // One runner of the job pool: takes queued jobs until the component
  // stops and the queue is empty.
  void run_queue() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      if (queue_.empty()) {
        if (stopping_) return;
        ++idle_runners_;
        work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        --idle_runners_;
        continue;
      }
      auto task = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  void run(const std::shared_ptr<Job>& job, const Method& method, CallContext& ctx,
           const std::string& inner) {
    rpc::Packed result;
    RpcError error;
    // Cancelled (job.cancel, stopping) while it waited for a runner: its
    // method never runs.
    if (!job->cancel->load()) {
      try {
        auto handle = msgpack::unpack(inner.data(), inner.size());
        rpc::Params named(handle.get());
        result = method.handler(ctx, named);
        if (result.bytes.size() > limits_.max_result_bytes) {
          error = RpcError(Errc::too_large, "the result has " + std::to_string(result.bytes.size()) +
                                                " bytes, more than job.max_result_bytes (" +
                                                std::to_string(limits_.max_result_bytes) + ")");
        }
      } catch (const RpcException& e) {
        error = e.error();
      } catch (const msgpack::type_error&) {
        error = RpcError(Errc::bad_request, "a parameter has the wrong type");
      } catch (const std::exception& e) {
        error = RpcError(Errc::internal, std::string("internal error: ") + e.what());
      }
    }
    bool cancel_requested;
    JobRecord r;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      r = job->record;
      cancel_requested = job->cancel_requested;
    }
    r.finished = unix_now();
    if (cancel_requested) {
      r.state = "cancelled";
      r.error = RpcError(Errc::cancelled, "cancelled by job.cancel");
    } else if (job->cancel->load()) {
      r.state = "interrupted";
      r.error = RpcError(Errc::unavailable, "the co-process stopped while the job ran");
    } else if (error.name.empty()) {
      r.state = "done";
      r.result = std::move(result.bytes);
    } else {
      r.state = "failed";
      r.error = error;
    }
    try {
      store_.save(r);
    } catch (const std::exception& e) {
      COPROC_LOG(error, "job", "cannot record the end of job " << r.id << ": " << e.what());
    }
    COPROC_LOG(info, "job", "job " << r.id << " uid=" << r.uid << " method=" << r.method << " "
                                   << r.state << (error.name.empty() ? "" : " " + error.name));
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job->record = std::move(r);
      job->ended = true;
    }
    const std::string id = job->record.id;
    answer_waiters([&id](const Waiter& w) { return w.job_id == id; });
  }

  // job.wait: answers now when the job has ended, otherwise at its end or at
  // the timeout, whichever comes first.
  rpc::Packed wait(CallContext& call, const rpc::Params& p) {
    p.allow_only(rpc::JobWaitParams::kKeys);
    const std::string id = p.str("job_id");
    const auto timeout_ms = p.int_or("timeout_ms", 30000, 0, kMaxWaitMs);
    std::lock_guard<std::mutex> lock(mutex_);
    auto job = visible(call, id);
    if (job->record.state != "running" || timeout_ms == 0 || stopping_) {
      return rpc::pack_result(status_of(job->record));
    }
    waiters_.push_back(Waiter{id, Clock::now() + std::chrono::milliseconds(timeout_ms),
                              call.defer(), call.cancel_flag});
    wake_.notify_all();
    return rpc::Packed{};
  }

  // Answers (outside the lock) the waiters `pred` picks, with their job's
  // status now.
  template <class Pred>
  void answer_waiters(Pred pred) {
    std::vector<std::pair<Waiter, rpc::Packed>> due;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto keep = waiters_.begin();
      for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
        if (pred(*it)) {
          auto job = jobs_.find(it->job_id);
          rpc::Packed status;
          if (job != jobs_.end()) status = rpc::pack_result(status_of(job->second->record));
          due.emplace_back(std::move(*it), std::move(status));
        } else {
          if (keep != it) *keep = std::move(*it);
          ++keep;
        }
      }
      waiters_.erase(keep, waiters_.end());
    }
    for (auto& [w, status] : due) {
      if (status.bytes.empty()) {
        const RpcError gone(Errc::not_found, "no job '" + w.job_id + "'");
        w.reply(status, &gone);
      } else {
        w.reply(status, nullptr);
      }
    }
  }

  // Times out waiters, forgets the waits of callers that went away and
  // drops records past their TTL.
  void housekeep() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      auto next = Clock::now() + std::chrono::milliseconds(200);
      for (const auto& w : waiters_) next = std::min(next, w.deadline);
      wake_.wait_until(lock, next);
      if (stopping_) break;
      std::vector<std::string> expired;
      const auto now = unix_now();
      for (auto it = jobs_.begin(); it != jobs_.end();) {
        Job& job = *it->second;
        if (job.ended && job.record.finished + job.record.ttl_s <= now) {
          expired.push_back(it->first);
          it = jobs_.erase(it);
        } else {
          ++it;
        }
      }
      lock.unlock();
      for (const auto& id : expired) {
        store_.remove(id);
        COPROC_LOG(debug, "job", "job " << id << " dropped: its TTL passed");
      }
      const auto steady_now = Clock::now();
      answer_waiters([steady_now](const Waiter& w) {
        return w.deadline <= steady_now || w.caller_gone->load();
      });
      lock.lock();
    }
  }

  static constexpr std::int64_t kMaxWaitMs = 60000;

  Dispatcher& dispatcher_;
  const Limits limits_;
  JobStore store_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, std::shared_ptr<Job>> jobs_;
  std::vector<Waiter> waiters_;
  bool stopping_ = false;
  std::thread housekeeper_;
  // The job runners (at most job.max_running) and the jobs waiting for one.
  std::condition_variable work_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> runners_;
  std::size_t idle_runners_ = 0;
};

}  // namespace
}  // namespace job

std::unique_ptr<Component> make_job_component(const ComponentEnv& env) {
  return std::make_unique<job::JobComponent>(env);
}

}  // namespace coproc
