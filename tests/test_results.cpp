// Tests of the results layer itself (results/series.hpp, results/records.hpp):
// Series in every state (dense, with gaps, reduced, assigned), numpy's
// summation, and the records' own errors. The queries over runs are tested
// through the API against Python's answers (test_api.cpp).
#include <catch2/catch.hpp>

#include <cmath>
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
