// Tests of nasbench/pickle/value.hpp: the Value model (tags [pickle][value]).

#include "pickle_support.hpp"

TEST_CASE("pickle: Value model", "[pickle][value]") {
  static_assert(sizeof(Value) == 16);
  Value s = Value::from_str("cifar10");
  {
    Value t = s;
    CHECK(s.use_count() == 2);
    CHECK(t.identity() == s.identity());
  }
  CHECK(s.use_count() == 1);
  CHECK(Value::from_int(1) == Value::from_float(1.0));
  CHECK(Value::from_int(1) == Value::from_bool(true));
  CHECK(Value::from_int(1).hash() == Value::from_float(1.0).hash());
  CHECK(Value::from_int(1).hash() == Value::from_bool(true).hash());
  CHECK(Value::from_str("a") != Value::from_bytes("a"));
  CHECK(Value::make_tuple({Value::from_int(1)}) != Value::make_list({Value::from_int(1)}));
  CHECK(Value::make_set({Value::from_int(1)}) == Value::make_set({Value::from_int(1)}, true));

  Value d = Value::make_dict();
  for (int i = 0; i < 100; ++i) d.insert(Value::from_int(i), Value::from_int(i * i));
  d.insert(Value::from_float(5.0), Value::from_str("five"));  // replaces key 5 in place
  CHECK(d.size() == 100);
  CHECK(d.at(std::int64_t{5}).as_str() == "five");
  CHECK(d.dict_items()[5].first.is_int());
  CHECK(d.at(std::int64_t{99}).as_int() == 9801);
  CHECK(d.find(std::int64_t{100}) == nullptr);
  CHECK(expect_load_error([&] { (void)d.at(std::int64_t{100}); }, {"missing key 100 in dict"}) == "");
  CHECK(expect_load_error([&] { (void)d.at("x'y"); }, {"missing key \"x'y\" in dict"}) == "");
  const Value l = Value::make_list({Value::from_int(1)});
  CHECK(expect_load_error([&] { (void)l.find("a"); }, {"expected dict, got list [1]"}) == "");
  CHECK(expect_load_error([&] { (void)l[3]; }, {"index 3 out of range for list of size 1"}) == "");
  CHECK(expect_load_error([&] { (void)s.as_int(); }, {"expected int, got str 'cifar10'"}) == "");

  // A pickled dict with a repeated key: lookups see the last value, as Python does.
  const Value dup = pk::loads(B({0x80, 2, '}', '(', 'K', 1, 'K', 10, 'K', 1, 'K', 20, 'u', '.'}));
  CHECK(dup.at(std::int64_t{1}).as_int() == 20);

  // repr follows Python.
  CHECK(Value::make_tuple({Value::from_str("cifar10"), Value::from_int(777)}).repr() == "('cifar10', 777)");
  CHECK(Value::make_tuple({Value::from_int(1)}).repr() == "(1,)");
  CHECK(Value::from_float(1e16).repr() == "1e+16");
  CHECK(Value::from_float(1e15).repr() == "1000000000000000.0");
  CHECK(Value::from_float(0.0001).repr() == "0.0001");
  CHECK(Value::from_float(0.00001).repr() == "1e-05");
  CHECK(Value::from_float(-2.5e-300).repr() == "-2.5e-300");
  CHECK(Value::from_float(28.172000009765625).repr() == "28.172000009765625");
  CHECK(Value::from_str("it's").repr() == "\"it's\"");
  CHECK(Value::from_bytes(std::string("\x00\x7f\x80'", 4)).repr() == "b\"\\x00\\x7f\\x80'\"");
  CHECK(Value::make_dict(true).repr() == "OrderedDict()");
  CHECK(Value::make_set().repr() == "set()");
  CHECK(Value::make_handle(3).repr() == "<handle 3>");
}
