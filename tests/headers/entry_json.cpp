// nasbench/json.hpp with nasbench::json alone: the protocol on tables built in memory.
#include "nasbench/json.hpp"

#include <cstdio>

int main() {
  nasbench::NASBench201API api;
  api.set_meta_archs({nasbench::official_arch(0).to_string()});
  nasbench::Random rng(0);
  const std::string reply = nasbench::answer_line(api, R"({"fn": "len", "args": {}})", rng);
  std::printf("%s\n", reply.c_str());
  return reply == R"({"result":1})" ? 0 : 1;
}
