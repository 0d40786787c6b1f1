// Tests of nasbench/platform/mapped_file.hpp (tag [platform]).

#include <catch2/catch.hpp>

#include <nasbench/error.hpp>
#include <nasbench/platform/mapped_file.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using nasbench::platform::MappedFile;

TEST_CASE("MappedFile maps byte ranges of a file, by path or descriptor", "[platform]") {
  const fs::path path = fs::temp_directory_path() / ("nasbench_test_map_" + std::to_string(::getpid()));
  std::string data(3 * MappedFile::page_size() + 123, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + 3);
  std::ofstream(path, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));

  CHECK(MappedFile::file_size(path.string()) == data.size());
  {
    const MappedFile whole(path.string());
    REQUIRE(whole.size() == data.size());
    CHECK(std::string(reinterpret_cast<const char*>(whole.data()), data.size()) == data);
  }
  {
    const int fd = ::open(path.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    CHECK(MappedFile::file_size(fd, "x") == data.size());
    // An offset that is not a multiple of the page size, with MAP_POPULATE.
    const std::uint64_t off = MappedFile::page_size() + 17;
    MappedFile part(fd, path.string(), off, 1000, {true, true});
    ::close(fd);  // the mapping outlives the descriptor
    REQUIRE(part.size() == 1000);
    CHECK(std::string(reinterpret_cast<const char*>(part.data()), 1000) == data.substr(off, 1000));
    MappedFile moved(std::move(part));
    CHECK(part.empty());
    CHECK(moved.data()[0] == static_cast<std::uint8_t>(data[off]));
    moved.reset();
    CHECK(moved.empty());
    CHECK(moved.data() == nullptr);
  }
  CHECK(MappedFile(path.string(), 5, 0).empty());  // an empty range maps nothing
  CHECK_THROWS_WITH(MappedFile(path.string(), data.size() + 1),
                    Contains("cannot map \"" + path.string() + "\"") && Contains("bytes"));
  fs::remove(path);
  CHECK_THROWS_AS(MappedFile(path.string()), nasbench::LoadError);
  CHECK_THROWS_WITH(MappedFile(path.string()), Contains("cannot open \"" + path.string() + "\": "));
}
