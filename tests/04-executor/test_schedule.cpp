#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include "rt.hpp"
#include "threads.hpp"

namespace {

using namespace rt::detail::task_state;

// A task made by hand, in a chosen state, on a scheduler of its own.
struct HandMadeTask {
    rt::Arc<rt::detail::Scheduler> scheduler = rt::make_arc<rt::detail::Scheduler>();
    rt::detail::TaskHeader* task;

    explicit HandMadeTask(std::uint32_t state)
        : task(new rt::detail::Task<rt::Ready<int>>(rt::Ready<int>(1), scheduler, state, 1)) {}
    ~HandMadeTask() {
        while (scheduler->pop() != nullptr) rt::detail::release(task);  // the queue's references
        task->vtable->destroy_future(task);
        rt::detail::release(task);
    }

    std::uint32_t state() const { return task->state.load(); }
    std::uint32_t refs() const { return task->refs.load(); }
    int queued() const {
        int n = 0;
        std::vector<rt::detail::TaskHeader*> popped;
        while (rt::detail::TaskHeader* t = scheduler->pop()) popped.push_back(t);
        for (auto* t : popped) scheduler->push(t);
        n = static_cast<int>(popped.size());
        return n;
    }
};

}  // namespace

TEST_SUITE("ex1: schedule: queue a woken task once") {
    TEST_CASE("waking an idle task queues it, with a reference for the queue") {
        HandMadeTask t(handle);
        rt::detail::schedule(t.task);
        CHECK(describe(t.state()) == "scheduled|handle");
        CHECK(t.queued() == 1);
        CHECK(t.refs() == 2);
    }

    TEST_CASE("waking a task that is already queued does nothing") {
        HandMadeTask t(0);
        rt::detail::schedule(t.task);
        rt::detail::schedule(t.task);
        rt::detail::schedule(t.task);
        CHECK(t.queued() == 1);
        CHECK(t.refs() == 2);
    }

    TEST_CASE("waking a task while it is polled marks it to be polled again, without queuing it") {
        HandMadeTask t(running);
        rt::detail::schedule(t.task);
        CHECK(describe(t.state()) == "scheduled|running");
        CHECK(t.queued() == 0);
        CHECK(t.refs() == 1);
        rt::detail::schedule(t.task);  // a second wake changes nothing
        CHECK(t.queued() == 0);
    }

    TEST_CASE("waking a completed or a closed task does nothing") {
        for (std::uint32_t final_state : {completed, closed, completed | handle}) {
            HandMadeTask t(final_state);
            rt::detail::schedule(t.task);
            CHECK(t.state() == final_state);
            CHECK(t.queued() == 0);
            CHECK(t.refs() == 1);
        }
    }

    TEST_CASE("a wake after the executor is closed queues nothing and gives its reference back") {
        HandMadeTask t(0);
        (void)t.scheduler->close();
        rt::detail::schedule(t.task);
        CHECK(t.queued() == 0);
        CHECK(t.refs() == 1);
    }

    TEST_CASE("wakes from four threads at once queue the task exactly once") {
        HandMadeTask t(0);
        rt::detail::schedule(t.task);  // (the stub fails here, on this thread)
        REQUIRE(t.scheduler->pop() == t.task);
        rt::detail::release(t.task);
        t.task->state.store(0);
        rt::Waker waker = rt::detail::task_waker(t.task);
        std::vector<std::unique_ptr<test::Thread>> threads;
        for (int i = 0; i < 4; ++i)
            threads.push_back(std::make_unique<test::Thread>([waker] {
                for (int j = 0; j < 1000; ++j) {
                    rt::Waker clone = waker;
                    std::move(clone).wake();
                }
            }));
        for (auto& thread : threads) thread->join();
        CHECK(t.queued() == 1);
        CHECK(t.refs() == 3);  // ours, the waker's, the queue's
    }
}
