// Tests of the results layer itself (results/series.hpp, results/records.hpp):
// Series in every state (dense, with gaps, reduced, assigned), numpy's
// summation, and the records' own errors. The queries over runs are tested
// through the API against Python's answers (test_api.cpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include "nasbench/results.hpp"

using nasbench::Series;

TEMPLATE_TEST_CASE("Series: a dense series holds its epochs and no presence bytes", "[results][series]", double,
                   float) {
  Series<TestType> s;
  CHECK(s.extent() == 0);
  CHECK(s.count() == 0);
  CHECK_FALSE(s.get(0));
  CHECK_FALSE(s.running_total(0));
  for (int e = 0; e < 5; ++e) s.set(static_cast<std::size_t>(e), 0.5 * (e + 1));
  s.compact();
  CHECK(s.dense());
  CHECK(s.presence().empty());
  CHECK(s.count() == 5);
  CHECK(s.extent() == 5);
  CHECK(s.values() == std::vector<double>{0.5, 1.0, 1.5, 2.0, 2.5});
  CHECK(*s.get(4) == 2.5);
  CHECK_FALSE(s.get(5));
  CHECK(*s.running_total(2) == 3.0);
  CHECK(*s.running_total(4) == 7.5);
  s.precompute_totals();
  CHECK(*s.running_total(4) == 7.5);
  s.set(5, 3.0);  // drops the precomputed total
  CHECK(*s.running_total(5) == 10.5);
}

TEST_CASE("Series: gaps read as absent, never as NaN or zero", "[results][series]") {
  Series<double> s;
  s.set(0, 1.0);
  s.set(3, 4.0);  // epochs 1 and 2 absent
  CHECK_FALSE(s.dense());
  CHECK(s.presence() == std::vector<std::uint8_t>{1, 0, 0, 1});
  CHECK(s.count() == 2);
  CHECK(s.extent() == 4);
  CHECK(s.has(0));
  CHECK_FALSE(s.has(1));
  CHECK_FALSE(s.get(2));
  CHECK(s.values() == std::vector<double>{1.0, 4.0});
  CHECK(*s.running_total(0) == 1.0);
  CHECK_FALSE(s.running_total(3));  // an absent epoch on the way: Python's sum would fail
  s.set(1, 2.0);
  s.set(2, 3.0);
  s.compact();  // every epoch present again: the presence bytes go
  CHECK(s.dense());
  CHECK(s.presence().empty());
  CHECK(*s.running_total(3) == 10.0);
}

TEST_CASE("Series: values are added left to right from 0, as Python's sum", "[results][series]") {
  // 0.1 + 0.2 + 0.3 in this order differs from other orders in the last bit.
  Series<double> s;
  const std::vector<double> v{1e16, 1.0, -1e16, 0.1, 0.2, 0.3};
  for (std::size_t e = 0; e < v.size(); ++e) s.set(e, v[e]);
  double python_sum = 0;
  for (double x : v) python_sum += x;
  CHECK(*s.running_total(v.size() - 1) == python_sum);
}

TEST_CASE("Series: keep_only keeps one epoch and its running total", "[results][series]") {
  Series<double> s;
  for (int e = 0; e < 12; ++e) s.set(static_cast<std::size_t>(e), e + 1.0);
  s.keep_only(11);
  CHECK(s.reduced());
  CHECK(s.raw_values().empty());
  CHECK(s.extent() == 12);
  CHECK(s.count() == 1);
  CHECK(*s.get(11) == 12.0);
  CHECK(*s.running_total(11) == 78.0);
  CHECK_FALSE(s.get(10));
  CHECK_FALSE(s.has(0));
  CHECK_FALSE(s.running_total(5));
  CHECK(s.values() == std::vector<double>{12.0});
  s.set(0, 7.0);  // a reduced series set again starts afresh
  CHECK_FALSE(s.reduced());
  CHECK(s.extent() == 1);
  CHECK(*s.get(0) == 7.0);

  Series<double> gap;
  gap.set(0, 1.0);
  gap.set(2, 3.0);
  gap.keep_only(2);  // the value is kept, the total (with an absent epoch) is not
  CHECK(*gap.get(2) == 3.0);
  CHECK_FALSE(gap.running_total(2));
}

TEST_CASE("Series: assign takes values with or without presence bytes", "[results][series]") {
  Series<float> s;
  s.assign({1.0f, 0.0f, 3.0f}, {1, 0, 1});
  CHECK_FALSE(s.dense());
  CHECK(s.values() == std::vector<double>{1.0, 3.0});
  CHECK(*s.get(2) == 3.0);
  s.assign({1.0f, 2.0f}, {1, 1});  // all present: no bytes kept
  CHECK(s.dense());
  CHECK(s.presence().empty());
  s.assign({5.0f}, {});
  CHECK(s.count() == 1);
  CHECK(*s.get(0) == 5.0);
  s.clear();
  CHECK(s.extent() == 0);
  CHECK_FALSE(s.get(0));
}

namespace {
/// Little-endian binary64 bytes of `values` (what a cache's data block holds).
std::vector<unsigned char> le_bytes(const std::vector<double>& values) {
  std::vector<unsigned char> out;
  for (double v : values) {
    std::uint64_t b;
    std::memcpy(&b, &v, 8);
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<unsigned char>(b >> (8 * i)));
  }
  return out;
}
}  // namespace

TEMPLATE_TEST_CASE("Series: a borrowed series answers in every layout as the owned one it was written from",
                   "[results][series]", double, float) {
  using Layout = typename Series<TestType>::Layout;
  const double x = 0.1;  // not a float: a float series reads it rounded
  const double rx = static_cast<double>(static_cast<TestType>(x));
  Series<TestType> constant;
  const std::vector<unsigned char> one = le_bytes({x});
  constant.borrow(one.data(), false, 4, x, std::nullopt, nullptr, Layout::kConstant);
  CHECK(constant.borrowed());
  CHECK(constant.dense());
  CHECK(constant.constant());
  CHECK(constant.extent() == 4);
  CHECK(constant.count() == 4);
  CHECK(constant.values() == std::vector<double>(4, rx));
  CHECK(*constant.get(0) == rx);
  CHECK(*constant.get(3) == rx);
  CHECK_FALSE(constant.get(4));
  CHECK(*constant.running_total(3) == ((rx + rx) + rx) + rx);
  CHECK(constant.presence().empty());

  Series<TestType> last_only;  // sets measured at the last epoch alone
  last_only.borrow(nullptr, true, 5, 2.5, std::nullopt, nullptr, Layout::kLastOnly);
  CHECK_FALSE(last_only.dense());
  CHECK_FALSE(last_only.constant());
  CHECK(last_only.count() == 1);
  CHECK(last_only.values() == std::vector<double>{2.5});
  CHECK(last_only.presence() == std::vector<std::uint8_t>{0, 0, 0, 0, 1});
  CHECK(last_only.raw_values() == std::vector<TestType>{0, 0, 0, 0, 2.5});
  CHECK(*last_only.get(4) == 2.5);
  CHECK_FALSE(last_only.get(3));
  CHECK_FALSE(last_only.has(0));
  CHECK_FALSE(last_only.running_total(4));

  // Changing either makes an owned copy with the same answers first.
  constant.set(4, 1.0);
  CHECK_FALSE(constant.borrowed());
  CHECK(constant.values() == std::vector<double>{rx, rx, rx, rx, 1.0});
  CHECK_FALSE(constant.constant());
  last_only.set(0, 1.0);
  CHECK(last_only.values() == std::vector<double>{1.0, 2.5});
  CHECK(last_only.presence() == std::vector<std::uint8_t>{1, 0, 0, 0, 1});

  // An owned series knows whether it is constant (a cache writer asks).
  Series<TestType> owned;
  for (std::size_t e = 0; e < 3; ++e) owned.set(e, 0.5);
  CHECK(owned.constant());
  owned.set(1, 0.25);
  CHECK_FALSE(owned.constant());
}

TEST_CASE("numpy_sum is numpy's pairwise summation, numpy_mean its mean", "[results][numpy]") {
  using nasbench::detail::numpy_mean;
  using nasbench::detail::numpy_sum;
  // Below 8 values numpy adds left to right.
  CHECK(numpy_sum(std::vector<double>{0.1, 0.2, 0.3}) == (0.1 + 0.2) + 0.3);
  // 8..128 values: eight interleaved partial sums, combined as numpy does.
  std::vector<double> v(20);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = 1.0 / static_cast<double>(i + 3);
  double r[8];
  for (int j = 0; j < 8; ++j) r[j] = v[j];
  for (std::size_t i = 8; i < 16; i += 8)
    for (int j = 0; j < 8; ++j) r[j] += v[i + j];
  double expected = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
  for (std::size_t i = 16; i < 20; ++i) expected += v[i];
  CHECK(numpy_sum(v) == expected);
  CHECK(numpy_mean(v) == expected / 20);
  // Above 128 values the halves are summed recursively: numpy.sum of 1/(i+3),
  // i < 300 and i < 1000 (written by numpy 1.24), which left-to-right
  // addition misses in the last bits.
  for (const auto& [n, numpy] : {std::pair<int, double>{300, 0x1.3283d93b7feebp+2}, {1000, 0x1.7f32ac6b16780p+2}}) {
    std::vector<double> w(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = 1.0 / static_cast<double>(i + 3);
    CHECK(numpy_sum(w) == numpy);
    CHECK(std::accumulate(w.begin(), w.end(), 0.0) != numpy);
  }
  CHECK(numpy_sum(std::vector<double>{}) == 0.0);
  CHECK(std::isnan(numpy_mean(std::vector<double>{})));
}

TEST_CASE("records: TimeInfo::at names the keys it has", "[results][records]") {
  nasbench::TimeInfo t;
  t.items = {{"T-train@epoch", 1.5}, {"T-train@total", std::nullopt}};
  CHECK(*t.at("T-train@epoch") == 1.5);
  CHECK_FALSE(t.at("T-train@total"));
  CHECK_THROWS_WITH(t.at("T-test@epoch"),
                    "nasbench: unknown time \"T-test@epoch\" (available: T-train@epoch, T-train@total)");
}

TEST_CASE("records: SeedChoice is Python's is_random", "[results][records]") {
  CHECK(nasbench::SeedChoice::from_bool(false).kind() == nasbench::SeedChoice::Kind::kMean);
  CHECK(nasbench::SeedChoice::from_bool(true).kind() == nasbench::SeedChoice::Kind::kRandom);
  const auto s = nasbench::SeedChoice::seed(777);
  CHECK(s.kind() == nasbench::SeedChoice::Kind::kSeed);
  CHECK(s.seed_value() == 777);
}
