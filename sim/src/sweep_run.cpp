// The sweep runner (sweep.hpp): worker processes, the pipe protocol, progress, and storing each
// finished point.
//
// Why processes: the SystemC device model is a per-process singleton (one simulation kernel per
// process) and is not thread-safe, so each worker is a fork()ed process that runs one point at a
// time. The parent hands out point indices over a per-worker task pipe (so fast workers take more
// points) and reads each result back over a per-worker result pipe; it alone writes the database.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "fmsim/sim/report.hpp"
#include "fmsim/sim/results_db.hpp"
#include "fmsim/sim/scenario.hpp"
#include "fmsim/sim/sweep.hpp"
#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/schema.hpp"

namespace fmsim::sim {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// A result message: this header, then `size` bytes (the compact report JSON, or the error).
struct ResultHeader {
    std::uint64_t index;  // into the points
    std::uint32_t status;  // 0 ok, 1 error
    std::uint64_t size;
    double elapsed_s;
};

bool write_all(int fd, const void* data, std::size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

// False on end of file (or an error) before `n` bytes.
bool read_all(int fd, void* data, std::size_t n) {
    char* p = static_cast<char*>(data);
    while (n > 0) {
        const ssize_t r = ::read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        p += r;
        n -= static_cast<std::size_t>(r);
    }
    return true;
}

// A worker: reads point indices until its task pipe closes; runs each and writes the result.
// Never returns: it leaves with _exit so that nothing of the parent (the open database, static
// destructors, buffered output) is touched from this copy of the process.
[[noreturn]] void worker_main(int task_fd, int result_fd, pid_t parent, const SweepSpec& spec,
                              const std::vector<SweepPoint>& points) {
    ::signal(SIGPIPE, SIG_DFL);  // the parent gone: die on the next write
    ::signal(SIGINT, SIG_DFL);
#ifdef __linux__
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // ... or as soon as it goes (kill -9 of the sweep)
#endif
    if (::getppid() != parent) ::_exit(0);
    // Results travel through the pipe; anything a point prints to stdout is noise here.
    if (const int devnull = ::open("/dev/null", O_WRONLY); devnull >= 0) ::dup2(devnull, STDOUT_FILENO);
    while (true) {
        std::uint64_t index = 0;
        if (!read_all(task_fd, &index, sizeof index)) ::_exit(0);
        const auto t0 = Clock::now();
        std::uint32_t status = 0;
        std::string payload;
        try {
            const auto sc = load_scenario(spec.base_path, points.at(index).sets());
            payload = nlohmann::ordered_json::parse(report_json(run_scenario(sc))).dump();
        } catch (const std::exception& e) {
            status = 1;
            payload = e.what();
        } catch (...) {
            status = 1;
            payload = "unknown error";
        }
        const ResultHeader h{index, status, payload.size(), seconds_since(t0)};
        if (!write_all(result_fd, &h, sizeof h) || !write_all(result_fd, payload.data(), payload.size())) ::_exit(1);
    }
}

struct Worker {
    pid_t pid = -1;
    int task_fd = -1, result_fd = -1;
    std::optional<std::size_t> busy;  // the point it is running
};

// How a worker process ended, for the error of the point it was running.
std::string exit_text(int status) {
    if (WIFSIGNALED(status))
        return "the worker process was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
               ::strsignal(WTERMSIG(status)) + ") while running this point";
    if (WIFEXITED(status))
        return "the worker process exited with code " + std::to_string(WEXITSTATUS(status)) +
               " while running this point";
    return "the worker process ended while running this point";
}

std::string clock_text(double s) {
    const auto total = static_cast<long long>(s + 0.5);
    char buf[32];
    if (total >= 3600) std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", total / 3600, total / 60 % 60, total % 60);
    else std::snprintf(buf, sizeof buf, "%lld:%02lld", total / 60, total % 60);
    return buf;
}

// Progress on stderr: on a terminal a one-line bar redrawn in place, otherwise one plain line per
// finished point (logs, CI, pipes).
class Progress {
public:
    Progress(bool enabled, std::size_t total, std::size_t already_done)
        : enabled_(enabled), tty_(enabled && ::isatty(STDERR_FILENO)), total_(total), done_(already_done),
          start_done_(already_done), t0_(Clock::now()) {}

    void point(const SweepPoint& p, bool ok, const std::string& error, double point_s) {
        ++done_;
        if (!enabled_) return;
        char head[64];
        std::snprintf(head, sizeof head, "point %zu/%zu %s: ", done_, total_, ok ? "done" : "error");
        std::string line = head + p.label();
        if (ok) {
            char tail[32];
            std::snprintf(tail, sizeof tail, " (%.2f s)", point_s);
            line += tail;
        } else {
            line += ": " + error;
        }
        if (tty_) {
            // Errors stay above the bar; finished points only move it.
            if (!ok) std::cerr << "\r\033[K" << line << "\n";
            draw();
        } else {
            std::cerr << line << "\n";
        }
    }
    void tick() {
        if (tty_) draw();
    }
    void finish() {
        if (tty_) {
            draw();
            std::cerr << "\n";
        }
    }

private:
    void draw() {
        constexpr int kWidth = 30;
        const double frac = total_ ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
        const int filled = static_cast<int>(frac * kWidth);
        std::string bar(static_cast<std::size_t>(filled), '#');
        bar += std::string(static_cast<std::size_t>(kWidth - filled), '.');
        const double elapsed = seconds_since(t0_);
        const std::size_t ran = done_ - start_done_, left = total_ - done_;
        const std::string eta = left == 0 ? "0:00" : ran == 0 ? "?" : clock_text(elapsed / static_cast<double>(ran) *
                                                                                  static_cast<double>(left));
        std::cerr << "\r\033[K[" << bar << "] " << done_ << "/" << total_ << "  elapsed " << clock_text(elapsed)
                  << "  ETA " << eta << std::flush;
    }
    bool enabled_, tty_;
    std::size_t total_, done_, start_done_;
    Clock::time_point t0_;
};

// Owns the workers: on any exit from the runner (an exception included) every worker still there
// is stopped and reaped.
class WorkerPool {
public:
    ~WorkerPool() {
        for (auto& w : workers_) {
            close_fds(w);
            if (w.pid > 0) {
                ::kill(w.pid, SIGKILL);
                ::waitpid(w.pid, nullptr, 0);
            }
        }
        ::signal(SIGPIPE, old_sigpipe_);
    }
    WorkerPool() { old_sigpipe_ = ::signal(SIGPIPE, SIG_IGN); }  // a dead worker's pipe: EPIPE, not death
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    std::vector<Worker>& workers() { return workers_; }

    void spawn(const SweepSpec& spec, const std::vector<SweepPoint>& points) {
        int task[2], result[2];
        if (::pipe(task) != 0) throw UserError(std::string("sweep: cannot create a pipe: ") + std::strerror(errno));
        if (::pipe(result) != 0) {
            ::close(task[0]);
            ::close(task[1]);
            throw UserError(std::string("sweep: cannot create a pipe: ") + std::strerror(errno));
        }
        std::cout.flush();
        std::cerr.flush();
        std::fflush(nullptr);
        const pid_t parent = ::getpid();
        const pid_t pid = ::fork();
        if (pid < 0) {
            for (int fd : {task[0], task[1], result[0], result[1]}) ::close(fd);
            throw UserError(std::string("sweep: cannot start a worker process: ") + std::strerror(errno));
        }
        if (pid == 0) {
            // Only this worker's ends stay open, so each pipe sees its end of file when its owner goes.
            for (auto& w : workers_) close_fds(w);
            ::close(task[1]);
            ::close(result[0]);
            worker_main(task[0], result[1], parent, spec, points);
        }
        ::close(task[0]);
        ::close(result[1]);
        workers_.push_back(Worker{pid, task[1], result[0], std::nullopt});
    }

    static void close_fds(Worker& w) {
        if (w.task_fd >= 0) ::close(w.task_fd);
        if (w.result_fd >= 0) ::close(w.result_fd);
        w.task_fd = w.result_fd = -1;
    }

private:
    std::vector<Worker> workers_;
    void (*old_sigpipe_)(int) = SIG_DFL;
};

}  // namespace

SweepOutcome run_sweep(const SweepSpec& spec, ResultsDb& db, const SweepOptions& options) {
    const auto t0 = Clock::now();
    // A base that is not even a JSON object fails the sweep, not each point.
    const auto base = workloads::read_json_file(spec.base_path);
    if (!base.is_object())
        throw ConfigError(spec.base_path, "", "expected an object, got " + workloads::json_type_name(base));

    const auto points = expand_points(spec);
    db.record_sweep(spec, points.size());
    const auto stored = db.stored_keys(spec.name, options.retry_errors);
    std::deque<std::size_t> queue;
    for (const auto& p : points)
        if (!stored.contains(p.key)) queue.push_back(p.index);

    SweepOutcome out;
    out.points = points.size();
    out.already_stored = points.size() - queue.size();
    const std::size_t jobs = std::max<std::size_t>(1, static_cast<std::size_t>(std::max(1, options.jobs)));
    const std::size_t n_workers = std::min(jobs, queue.size());
    if (options.progress) {
        std::cerr << "sweep " << spec.name << ": " << points.size() << " points";
        if (out.already_stored) std::cerr << ", " << out.already_stored << " already in " << db.path();
        if (queue.empty()) std::cerr << "; nothing to run\n";
        else
            std::cerr << "; running " << queue.size() << " in " << n_workers << " worker process"
                      << (n_workers > 1 ? "es" : "") << "\n";
    }
    if (queue.empty()) {
        out.elapsed_s = seconds_since(t0);
        return out;
    }

    Progress progress(options.progress, points.size(), out.already_stored);
    WorkerPool pool;
    auto store = [&](std::size_t index, bool ok, const std::string& payload, double elapsed) {
        const auto& p = points[index];
        StoredPoint s;
        s.sweep = spec.name;
        s.point_key = p.key;
        s.axis_values = p.values_json;
        s.point_index = static_cast<std::int64_t>(p.index);
        s.status = ok ? "ok" : "error";
        s.elapsed_s = elapsed;
        if (ok) {
            s.report = payload;
            s.metrics = metrics_from_report(payload);
        } else {
            s.error = payload;
            ++out.errors;
        }
        db.store(s, options.retry_errors);
        ++out.ran;
        progress.point(p, ok, payload, elapsed);
    };
    // The next queued point to `w`, or its task pipe closed (the worker then exits) when none is left.
    auto assign = [&](Worker& w) {
        w.busy.reset();
        if (w.task_fd < 0) return;
        if (queue.empty()) {
            ::close(w.task_fd);
            w.task_fd = -1;
            return;
        }
        const std::uint64_t index = queue.front();
        if (!write_all(w.task_fd, &index, sizeof index)) {  // it died; its result pipe will say so
            ::close(w.task_fd);
            w.task_fd = -1;
            return;
        }
        queue.pop_front();
        w.busy = index;
    };

    for (std::size_t i = 0; i < n_workers; ++i) {
        pool.spawn(spec, points);
        assign(pool.workers().back());
    }
    while (true) {
        auto& workers = pool.workers();
        std::vector<pollfd> fds;
        std::vector<std::size_t> owner;
        for (std::size_t i = 0; i < workers.size(); ++i)
            if (workers[i].result_fd >= 0) {
                fds.push_back({workers[i].result_fd, POLLIN, 0});
                owner.push_back(i);
            }
        if (fds.empty()) break;
        const int ready = ::poll(fds.data(), fds.size(), 500);
        if (ready < 0 && errno != EINTR) throw UserError(std::string("sweep: poll: ") + std::strerror(errno));
        progress.tick();
        if (ready <= 0) continue;
        std::size_t respawn = 0;
        for (std::size_t k = 0; k < fds.size(); ++k) {
            if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            Worker& w = pool.workers()[owner[k]];
            ResultHeader h{};
            std::string payload;
            bool got = read_all(w.result_fd, &h, sizeof h);
            if (got) {
                payload.resize(h.size);
                got = h.index < points.size() && read_all(w.result_fd, payload.data(), payload.size());
            }
            if (got) {
                store(h.index, h.status == 0, payload, h.elapsed_s);
                assign(w);
                continue;
            }
            // End of file: the worker is gone, on purpose (no work left) or not (a crash).
            WorkerPool::close_fds(w);
            int status = 0;
            ::waitpid(w.pid, &status, 0);
            w.pid = -1;
            if (w.busy) {
                store(*w.busy, false, exit_text(status), 0);
                w.busy.reset();
            }
            if (!queue.empty()) ++respawn;
        }
        // Replace the workers that died while points are still queued.
        std::size_t alive = 0;
        for (const auto& w : pool.workers()) alive += w.pid > 0 ? 1 : 0;
        for (std::size_t i = 0; i < respawn && alive < n_workers && !queue.empty(); ++i, ++alive) {
            pool.spawn(spec, points);
            assign(pool.workers().back());
        }
    }
    progress.finish();
    out.elapsed_s = seconds_since(t0);
    return out;
}

}  // namespace fmsim::sim
