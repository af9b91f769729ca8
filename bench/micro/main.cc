// Runs the micro-benchmarks after saying whether the figures can be trusted.
#include <benchmark/benchmark.h>

#include <cstdio>

#include "bench/machine_info.h"

int main(int argc, char** argv) {
  if (!wharf::bench::optimized())
    std::fprintf(stderr, "WARNING: built without optimisation; figures are meaningless\n");
  std::fprintf(stderr, "machine: %s, %u cores, %s; durability: sync (LMDB default flags)\n",
               wharf::bench::cpu_model().c_str(), wharf::bench::cores(), wharf::bench::kernel().c_str());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
