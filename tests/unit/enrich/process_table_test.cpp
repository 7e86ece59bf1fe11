// SPDX-License-Identifier: Apache-2.0
#include "enrich/process_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sousveil {
namespace {

using ::testing::ElementsAre;

constexpr std::uint64_t kSecond = 1'000'000'000ULL;

ProcessRecord given_record(std::uint32_t pid, std::uint64_t start, std::string exe) {
  ProcessRecord r;
  r.key = {pid, start};
  r.ppid = 1;
  r.comm = "proc" + std::to_string(pid);
  r.exe = std::move(exe);
  r.cmdline = {r.exe};
  r.unit = "session-2.scope";
  r.from_proc = true;
  return r;
}

TEST(ProcessTable, ForkInheritsTheParentsProgramAndUnit) {
  ProcessTable table;
  auto parent = given_record(100, 50, "/usr/bin/bash");
  parent.cmdline = {"bash", "-l"};
  table.upsert(parent);

  table.on_fork({200, 60}, 100, 1000, 1000, "bash");

  const auto* child = table.find({200, 60});
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->ppid, 100U);
  EXPECT_EQ(child->uid, 1000U);
  EXPECT_EQ(child->comm, "bash");
  EXPECT_EQ(child->exe, "/usr/bin/bash");
  EXPECT_THAT(child->cmdline, ElementsAre("bash", "-l"));
  EXPECT_EQ(child->unit, "session-2.scope");
  EXPECT_FALSE(child->exited);
}

TEST(ProcessTable, ForkOfAnUnknownParentLeavesTheProgramEmpty) {
  ProcessTable table;
  table.on_fork({200, 60}, 100, 0, 0, "child");
  const auto* child = table.find({200, 60});
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->exe, "");
  EXPECT_TRUE(child->cmdline.empty());
}

TEST(ProcessTable, ExecReplacesTheProgram) {
  ProcessTable table;
  table.upsert(given_record(100, 50, "/usr/bin/bash"));
  table.on_fork({200, 60}, 100, 1000, 1000, "bash");

  table.on_exec({200, 60}, 100, 1000, 1000, "evtest", "/usr/bin/evtest",
                {"evtest", "/dev/input/event3"});

  const auto* rec = table.find({200, 60});
  ASSERT_NE(rec, nullptr);
  EXPECT_EQ(rec->exe, "/usr/bin/evtest");
  EXPECT_EQ(rec->comm, "evtest");
  EXPECT_THAT(rec->cmdline, ElementsAre("evtest", "/dev/input/event3"));
  EXPECT_FALSE(rec->from_proc);
  // The parent is untouched.
  EXPECT_EQ(table.find({100, 50})->exe, "/usr/bin/bash");
  EXPECT_EQ(table.size(), 2U);
}

TEST(ProcessTable, ExecOfAProcessReadFromProcMarksItStale) {
  ProcessTable table;
  table.upsert(given_record(100, 50, "/usr/bin/bash"));
  table.on_exec({100, 50}, 1, 0, 0, "python3", "/usr/bin/python3", {"python3"});
  const auto* rec = table.find({100, 50});
  ASSERT_NE(rec, nullptr);
  EXPECT_FALSE(rec->from_proc);
  EXPECT_EQ(rec->exe, "/usr/bin/python3");
}

TEST(ProcessTable, ExitMarksTheProcessExited) {
  ProcessTable table;
  table.upsert(given_record(100, 50, "/usr/bin/bash"));
  table.on_exit({100, 50}, 7 * kSecond);
  const auto* rec = table.find({100, 50});
  ASSERT_NE(rec, nullptr);
  EXPECT_TRUE(rec->exited);
  EXPECT_EQ(rec->exited_at_ns, 7 * kSecond);
}

TEST(ProcessTable, ExitOfAnotherIncarnationOfThePidIsIgnored) {
  ProcessTable table;
  table.upsert(given_record(100, 50, "/usr/bin/bash"));
  table.on_exit({100, 49}, 7 * kSecond);
  EXPECT_FALSE(table.find({100, 50})->exited);
}

TEST(ProcessTable, ExpireKeepsExitedProcessesDuringTheGrace) {
  ProcessTable table;
  table.upsert(given_record(100, 50, "/usr/bin/bash"));
  table.upsert(given_record(101, 51, "/usr/bin/sleep"));
  table.on_exit({100, 50}, 10 * kSecond);

  EXPECT_EQ(table.expire(10 * kSecond + 60 * kSecond - 1, 60 * kSecond), 0U);
  EXPECT_NE(table.find({100, 50}), nullptr);

  EXPECT_EQ(table.expire(10 * kSecond + 61 * kSecond, 60 * kSecond), 1U);
  EXPECT_EQ(table.find({100, 50}), nullptr);
  // A running process never expires.
  EXPECT_NE(table.find({101, 51}), nullptr);
  EXPECT_EQ(table.expire(1000 * kSecond, 60 * kSecond), 0U);
  EXPECT_EQ(table.size(), 1U);
}

TEST(ProcessTable, PidReuseReplacesTheOldRecord) {
  ProcessTable table;
  table.upsert(given_record(100, 50, "/usr/bin/bash"));
  table.on_exit({100, 50}, kSecond);

  table.on_exec({100, 90}, 1, 0, 0, "cat", "/usr/bin/cat", {"cat"});

  EXPECT_EQ(table.find({100, 50}), nullptr);
  const auto* now = table.find({100, 90});
  ASSERT_NE(now, nullptr);
  EXPECT_EQ(now->exe, "/usr/bin/cat");
  EXPECT_FALSE(now->exited);
  EXPECT_EQ(now->unit, "");  // nothing carried over from the old process
  EXPECT_EQ(table.find_pid(100), now);
  EXPECT_EQ(table.size(), 1U);
}

TEST(ProcessTable, PidReuseThroughForkDoesNotInheritTheOldRecord) {
  ProcessTable table;
  table.upsert(given_record(300, 10, "/usr/bin/old"));
  table.upsert(given_record(100, 50, "/usr/bin/bash"));
  table.on_fork({300, 70}, 100, 0, 0, "bash");
  EXPECT_EQ(table.find({300, 10}), nullptr);
  ASSERT_NE(table.find({300, 70}), nullptr);
  EXPECT_EQ(table.find({300, 70})->exe, "/usr/bin/bash");
}

TEST(ProcessTable, UpsertKeepsTheExitOfTheSameProcess) {
  ProcessTable table;
  table.on_exec({100, 50}, 1, 0, 0, "x", "/usr/bin/x", {"x"});
  table.on_exit({100, 50}, 3 * kSecond);
  table.upsert(given_record(100, 50, "/usr/bin/x"));
  const auto* rec = table.find({100, 50});
  ASSERT_NE(rec, nullptr);
  EXPECT_TRUE(rec->exited);
  EXPECT_EQ(rec->exited_at_ns, 3 * kSecond);
  EXPECT_TRUE(rec->from_proc);
}

TEST(ProcessTable, FindPidReturnsWhicheverProcessHoldsThePid) {
  ProcessTable table;
  table.upsert(given_record(100, 50, "/usr/bin/bash"));
  ASSERT_NE(table.find_pid(100), nullptr);
  EXPECT_EQ(table.find_pid(100)->key.start_ticks, 50U);
  EXPECT_EQ(table.find_pid(101), nullptr);
  EXPECT_EQ(table.find({101, 50}), nullptr);
}

TEST(ProcessTable, EvictsExitedProcessesFirstWhenFull) {
  ProcessTable table(3);
  table.upsert(given_record(1, 10, "/sbin/init"));  // oldest, running
  table.upsert(given_record(2, 20, "/usr/bin/a"));
  table.upsert(given_record(3, 30, "/usr/bin/b"));
  table.on_exit({3, 30}, kSecond);  // newest, but exited

  table.on_fork({4, 40}, 2, 0, 0, "a");

  EXPECT_EQ(table.size(), 3U);
  EXPECT_EQ(table.evicted(), 1U);
  EXPECT_EQ(table.find({3, 30}), nullptr);
  EXPECT_NE(table.find({1, 10}), nullptr);
  EXPECT_NE(table.find({2, 20}), nullptr);
  EXPECT_NE(table.find({4, 40}), nullptr);
}

TEST(ProcessTable, EvictsTheOldestWhenNoneHasExited) {
  ProcessTable table(2);
  table.upsert(given_record(7, 70, "/usr/bin/young"));
  table.upsert(given_record(8, 10, "/usr/bin/old"));
  table.upsert(given_record(9, 90, "/usr/bin/new"));
  EXPECT_EQ(table.size(), 2U);
  EXPECT_EQ(table.evicted(), 1U);
  EXPECT_EQ(table.find({8, 10}), nullptr);
  EXPECT_NE(table.find({7, 70}), nullptr);
  EXPECT_NE(table.find({9, 90}), nullptr);
}

TEST(ProcessTable, ForkIntoAFullTableStillInheritsFromAParentThatIsEvicted) {
  ProcessTable table(1);
  auto parent = given_record(100, 50, "/usr/bin/bash");
  table.upsert(parent);
  table.on_fork({200, 60}, 100, 0, 0, "bash");
  EXPECT_EQ(table.evicted(), 1U);
  const auto* child = table.find({200, 60});
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->exe, "/usr/bin/bash");
}

TEST(ProcessTable, ReplacingARecordInAFullTableEvictsNothing) {
  ProcessTable table(2);
  table.upsert(given_record(1, 10, "/a"));
  table.upsert(given_record(2, 20, "/b"));
  table.on_exec({2, 20}, 1, 0, 0, "c", "/c", {"c"});
  table.on_exec({2, 25}, 1, 0, 0, "d", "/d", {"d"});  // pid reuse: same slot
  EXPECT_EQ(table.evicted(), 0U);
  EXPECT_EQ(table.size(), 2U);
}

TEST(ProcessTable, ATableOfCapacityZeroStaysEmpty) {
  // make_room() once erased end() of an empty map here.
  ProcessTable table(0);
  table.on_exec({1, 10}, 0, 0, 0, "a", "/a", {"a"});
  EXPECT_LE(table.size(), 1U);
}

}  // namespace
}  // namespace sousveil
