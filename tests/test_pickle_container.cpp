// Tests of nasbench/pickle/container.hpp: torch.save files (legacy and zip), format detection and real NATS-Bench files (tags [pickle][container]).

#include "pickle_support.hpp"

TEST_CASE("pickle: torch.save tensors, legacy and zip", "[pickle][container]") {
  const auto dir = need_fixtures();
  if (!dir) return;
  for (const std::string name : {"tensors_legacy.pth", "tensors_zip.pth", "tensors_zip_buffer.pth"}) {
    INFO(name);
    const pk::Document doc = pk::open((*dir / name).string());
    const Value& r = doc.root;
    REQUIRE(r.is_ordered_dict());
    CHECK(doc.storages.size() == 15);
    const auto& f32 = r.at("f32").as_tensor();
    // Views share one storage node, as they share one torch storage.
    for (const char* view : {"view_row", "view_t", "view_slice"})
      CHECK(r.at(view).as_tensor().storage.identity() == f32.storage.identity());
    CHECK(r.at("f64").as_tensor().storage.identity() != f32.storage.identity());
    const auto& sl = r.at("view_slice").as_tensor();
    CHECK(sl.storage_offset == 1);
    CHECK(sl.sizes == std::vector<std::int64_t>{3, 2});
    CHECK(sl.strides == std::vector<std::int64_t>{4, 2});
    CHECK(r.at("view_t").as_tensor().strides == std::vector<std::int64_t>{1, 4});
    CHECK(r.at("view_row").as_tensor().storage_offset == 4);
    CHECK(r.at("scalar").as_tensor().sizes.empty());
    CHECK(r.at("empty").as_tensor().numel() == 0);
    CHECK(r.at("param").as_tensor().is_parameter);
    CHECK(r.at("param").as_tensor().requires_grad);
    CHECK(r.at("param_nograd").as_tensor().is_parameter);
    CHECK_FALSE(r.at("param_nograd").as_tensor().requires_grad);
    CHECK(r.at("grad").as_tensor().requires_grad);
    CHECK_FALSE(r.at("grad").as_tensor().is_parameter);
    CHECK(r.at("f16").as_tensor().dtype == pk::ScalarType::kFloat16);
    CHECK(r.at("bf16").as_tensor().dtype == pk::ScalarType::kBFloat16);
    CHECK(r.at("b").as_tensor().dtype == pk::ScalarType::kBool);
    CHECK(r.at("u8").as_tensor().dtype == pk::ScalarType::kUInt8);
    CHECK(r.at("i32").as_tensor().dtype == pk::ScalarType::kInt32);
    CHECK(r.at("meta").at("acc").as_float() == 93.5);
    CHECK(r.at("state").is_ordered_dict());
    // Raw bytes of the storages.
    const pk::StorageRecord* rec = doc.find_storage(f32.storage_info().key);
    REQUIRE(rec != nullptr);
    CHECK(rec->numel == 12);
    CHECK(rec->nbytes == 48);
    CHECK(rec->dtype == pk::ScalarType::kFloat32);
    CHECK(rec->location == "cpu");
    const auto bytes = doc.storage_bytes(rec->key);
    REQUIRE(bytes.size() == 48);
    for (int i = 0; i < 12; ++i) {
      float f;
      std::memcpy(&f, bytes.data() + 4 * i, 4);
      CHECK(f == static_cast<float>(i));
    }
    const auto f64 = doc.storage_bytes(r.at("f64").as_tensor().storage_info().key);
    double third;
    std::memcpy(&third, f64.data(), 8);
    CHECK(third == 1.0 / 3);
    CHECK(doc.find_storage("no-such-key") == nullptr);
    CHECK(expect_load_error([&] { (void)doc.storage_bytes("no-such-key"); },
                            {"no storage \"no-such-key\""}) == "");
    if (doc.format == pk::Format::kTorchZip) {
      const std::string root = name == "tensors_zip.pth" ? "tensors_zip" : "archive";
      for (std::size_t i = 0; i < doc.storages.size(); ++i) {
        CHECK(doc.storages[i].key == std::to_string(i));  // zip keys number storages in first-use order
        CHECK(doc.storages[i].zip_entry == root + "/data/" + std::to_string(i));
      }
    } else {
      CHECK(doc.format == pk::Format::kTorchLegacy);
      std::set<std::uint64_t> offsets;
      for (const auto& s : doc.storages) {
        CHECK(s.offset != LoadError::kNoOffset);
        CHECK(s.offset + s.nbytes <= fs::file_size(*dir / name));
        offsets.insert(s.offset);
      }
      CHECK(offsets.size() == doc.storages.size());
    }
  }
  // Legacy and zip decode to equal descriptors (keys differ, so compare by shape).
  const Value a = pk::open((*dir / "tensors_legacy.pth").string()).root;
  const Value b = pk::open((*dir / "tensors_zip.pth").string()).root;
  for (std::size_t i = 0; i < a.dict_items().size(); ++i) {
    const Value& x = a.dict_items()[i].second;
    const Value& y = b.dict_items()[i].second;
    if (!x.is_tensor()) continue;
    CHECK(x.as_tensor().sizes == y.as_tensor().sizes);
    CHECK(x.as_tensor().strides == y.as_tensor().strides);
    CHECK(x.as_tensor().storage_offset == y.as_tensor().storage_offset);
  }
}

TEST_CASE("pickle: corrupt files, unknown globals and absent files", "[pickle][container]") {
  CHECK(expect_load_error([] { (void)pk::open("/nonexistent/dir/x.pkl"); },
                          {"cannot open \"/nonexistent/dir/x.pkl\": No such file or directory"}) == "");
  CHECK(expect_load_error([] { (void)pk::detect_format("/nonexistent/x.pth"); },
                          {"cannot open", "No such file"}) == "");
  const fs::path tmp = temp_dir().path / "corrupt.bin";
  write_file(tmp, "");
  CHECK(expect_load_error([&] { (void)pk::open(tmp.string()); }, {"empty file"}) == "");
  write_file(tmp, "hello world");
  CHECK(expect_load_error([&] { (void)pk::open(tmp.string()); },
                          {"is not a pickle, bz2 or torch.save file (starts with 0x68)"}) == "");
  write_file(tmp, B({0x1f, 0x8b, 8, 0}));
  CHECK(expect_load_error([&] { (void)pk::open(tmp.string()); }, {"gzip-compressed"}) == "");

  const auto dir = need_fixtures();
  if (!dir) return;
  CHECK(expect_load_error(
            [&] { (void)pk::open((*dir / "unsupported_global.pkl").string()); },
            {"unsupported global \"datetime.date\"", "unsupported_global.pkl", "(at byte offset 16)"}) == "");
  // A flipped byte inside the bz2 data.
  std::string bz = read_file(*dir / "basic_p4.pbz2");
  bz[bz.size() / 2] = static_cast<char>(bz[bz.size() / 2] ^ 0x55);
  write_file(tmp, bz);
  CHECK(expect_load_error([&] { (void)pk::open(tmp.string()); }, {"corrupt bz2 data"}) == "");
  // A legacy storage whose element count disagrees with the pickle.
  std::string legacy = read_file(*dir / "tensors_legacy.pth");
  {
    const pk::Document doc = pk::open((*dir / "tensors_legacy.pth").string());
    const auto& rec = doc.storages.front();
    legacy[rec.offset - 8] = static_cast<char>(legacy[rec.offset - 8] + 1);
    write_file(tmp, legacy);
    CHECK(expect_load_error(
              [&] { (void)pk::open(tmp.string()); },
              {"storage \"" + rec.key + "\" holds 13 elements in the data but 12 in the pickle"}) == "");
  }
  // A zip whose storage record is missing.
  write_file(tmp, read_file(*dir / "tensors_zip.pth"));
  {
    int err = 0;
    zip_t* z = zip_open(tmp.string().c_str(), 0, &err);
    REQUIRE(z != nullptr);
    REQUIRE(zip_delete(z, static_cast<zip_uint64_t>(zip_name_locate(z, "tensors_zip/data/3", 0))) == 0);
    REQUIRE(zip_close(z) == 0);
  }
  CHECK(expect_load_error([&] { (void)pk::open(tmp.string()); },
                          {"storage \"3\" has no record \"tensors_zip/data/3\""}) == "");
}

TEST_CASE("pickle: real NATS-Bench sample files", "[pickle][container]") {
  const auto data = shared_data();
  const fs::path tss = data ? *data / "nats-bench-sample" / "NATS-tss-v1_0-3ffb9-simple" : fs::path();
  if (!data || !fs::exists(tss / "meta.pickle.pbz2")) {
    WARN("SKIPPED: NATS-Bench sample data not found (set NASBENCH_SHARED_DATA)");
    return;
  }
  {
    const pk::Document meta = pk::open((tss / "meta.pickle.pbz2").string());
    CHECK(meta.format == pk::Format::kBz2Pickle);
    const Value& archs = meta.root.at("meta_archs");
    REQUIRE(archs.size() == 15625);
    CHECK(archs[0].as_str() ==
          "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|");
    CHECK(archs[15624].as_str() ==
          "|nor_conv_1x1~0|+|none~0|nor_conv_1x1~1|+|none~0|nor_conv_1x1~1|nor_conv_1x1~2|");
    CHECK(meta.root.at("total_archs").as_int() == 15625);
    CHECK(meta.root.at("arch2infos").is_none());
    CHECK(meta.root.at("evaluated_indexes").kind() == Kind::kSet);
    CHECK(meta.root.at("evaluated_indexes").size() == 0);
  }
  const auto key = [](const char* dataset, std::int64_t seed) {
    return Value::make_tuple({Value::from_str(dataset), Value::from_int(seed)});
  };
  for (const bool prescan : {false, true}) {
    pk::ReaderOptions opt;
    opt.prescan_memo = prescan;
    const pk::Document doc = pk::open((tss / "000000.pickle.pbz2").string(), opt);
    const Value& root = doc.root;
    REQUIRE(root.is_ordered_dict());
    REQUIRE(root.size() == 2);
    CHECK(root.dict_items()[0].first.as_str() == "12");
    CHECK(root.dict_items()[1].first.as_str() == "200");
    const Value& a12 = root.at("12");
    CHECK(a12.at("arch_index").as_int() == 0);
    CHECK(a12.at("clear_net_done").as_bool());
    CHECK(a12.at("dataset_seed").at("cifar10-valid") ==
          Value::make_list({Value::from_int(111), Value::from_int(777)}));
    CHECK(a12.at("all_results").dict_items()[0].first.repr() == "('cifar10-valid', 777)");
    const Value& r = a12.at("all_results").at(key("cifar10-valid", 777));
    CHECK(r.at("train_acc1es").at(std::int64_t{0}).as_float() == 28.172000009765625);
    CHECK(r.at("train_acc1es").at(std::int64_t{11}).as_float() == 63.92000001708984);
    CHECK(r.at("train_losses").at(std::int64_t{0}).as_float() == 1.8994598120498658);
    CHECK(r.at("eval_acc1es").at("ori-test@11").as_float() == 62.82);
    CHECK(r.at("params").as_float() == 0.129306);  // a numpy.float64
    CHECK(r.at("flop").as_float() == 15.64737);
    CHECK(r.at("latency") == Value::make_list({Value::from_float(0.0139359758611311)}));
    CHECK(r.at("epochs").as_int() == 12);
    CHECK(r.at("seed").as_str() == "0777");
    CHECK(r.at("train_times").is_ordered_dict());
    CHECK(r.at("net_state_dict").is_none());
    const Value& r200 = root.at("200").at("all_results").at(key("ImageNet16-120", 888));
    CHECK(r200.at("epochs").as_int() == 200);
    CHECK(r200.at("train_acc1es").at(std::int64_t{199}).as_float() == 27.69347396317484);
    CHECK(r200.at("eval_acc1es").at("x-test@199").as_float() == 25.766666610717774);
    CHECK(r200.at("params").as_float() == 0.136456);
    CHECK(r200.at("train_times").at(std::int64_t{5}).as_float() == 43.817592317819596);
    CHECK(root.at("200").at("all_results").size() == 12);
  }
  // The hook turns every ResultsCount into a handle as it completes.
  int results = 0;
  pk::ReaderOptions opt;
  opt.on_complete = [&](Value& v) {
    if (v.is_dict() && v.find("train_acc1es") != nullptr) {
      v.become_handle(results++,
                      std::make_shared<double>(v.at("train_acc1es").at(std::int64_t{0}).as_float()));
    }
  };
  const Value root = pk::open((tss / "000000.pickle.pbz2").string(), opt).root;
  CHECK(results == 17);
  const Value& h = root.at("12").at("all_results").at(key("cifar10-valid", 777));
  REQUIRE(h.is_handle());
  CHECK(*std::static_pointer_cast<double>(h.handle_payload()) == 28.172000009765625);

  const fs::path sss = *data / "nats-bench-sample" / "NATS-sss-v1_0-50262-simple";
  if (fs::exists(sss / "meta.pickle.pbz2")) {
    const Value meta = pk::open((sss / "meta.pickle.pbz2").string()).root;
    CHECK(meta.at("meta_archs").size() == 32768);
    CHECK(meta.at("meta_archs")[0].as_str() == "8:8:8:8:8");
    const Value a = pk::open((sss / "000000.pickle.pbz2").string()).root;
    CHECK(a.size() == 3);
    const Value& r = a.at("90").at("all_results").at(key("cifar10-valid", 777));
    CHECK(r.at("train_acc1es").at(std::int64_t{89}).as_float() == 79.41599998046875);
    CHECK(r.at("arch_config").at("name").as_str() == "infer.shape.tiny");
    CHECK(r.at("flop").as_float() == 4.481114);
  }
}
