#include "io/run_cost.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "io/error.hpp"
#include "io/fsutil.hpp"

namespace iff {

namespace {

const char* const kHeader =
    "command,model,ranks,threads_per_rank,steps,simulated_time,wall_seconds,step_seconds,output_seconds,"
    "analysis_seconds,wall_per_unit_time,steps_per_second,trajectory_time";
// the record before trajectory_time was written (read as one trajectory's)
const char* const kHeader12 =
    "command,model,ranks,threads_per_rank,steps,simulated_time,wall_seconds,step_seconds,output_seconds,"
    "analysis_seconds,wall_per_unit_time,steps_per_second";

std::string optional_field(const std::optional<double>& v) { return v ? fmt::format("{:.6g}", *v) : std::string(); }

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) out.push_back(cell);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

}  // namespace

std::string RunCost::summary() const {
  std::string s = fmt::format("{:.3g} steps/s, {:.3g} s per unit time", steps_per_second(), wall_per_unit_time());
  const double wall = std::max(wall_seconds, 1e-300);
  if (step_seconds && output_seconds && analysis_seconds)
    s += fmt::format("; model {:.1f}%, output {:.1f}%, analysis {:.1f}%", 100 * *step_seconds / wall,
                     100 * *output_seconds / wall, 100 * *analysis_seconds / wall);
  return s + fmt::format(" of {:.3g} s", wall_seconds);
}

void write_run_cost(const std::string& path, const RunCost& c) {
  IFF_CHECK(c.command.find(',') == std::string::npos && c.model.find(',') == std::string::npos,
              "cost record: command and model must not contain commas ('" << c.command << "', '" << c.model << "')");
  std::string text = std::string(kHeader) + "\n";
  text += fmt::format("{},{},{},{},{},{:.10g},{:.6g},{},{},{},{:.6g},{:.6g},{:.10g}\n", c.command, c.model,
                      c.ranks, c.threads_per_rank, c.steps, c.simulated_time, c.wall_seconds,
                      optional_field(c.step_seconds), optional_field(c.output_seconds),
                      optional_field(c.analysis_seconds), c.wall_per_unit_time(), c.steps_per_second(),
                      c.trajectory_time.value_or(c.simulated_time));
  write_text_atomic(path, text);
}

RunCost read_run_cost(const std::string& path) {
  std::ifstream in(path);
  IFF_CHECK_AS(InputError, in.good(), "cannot open cost record " << path);
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  IFF_CHECK_AS(InputError, header == kHeader || header == kHeader12,
               path << " is not an ifactflow cost record (unexpected header)");
  const std::size_t fields = header == kHeader ? 13 : 12;
  const auto f = split(row);
  IFF_CHECK_AS(InputError, f.size() == fields, path << ": cost row has " << f.size() << " fields, want " << fields);
  RunCost c;
  try {
    c.command = f[0];
    c.model = f[1];
    c.ranks = std::stoi(f[2]);
    c.threads_per_rank = std::stoi(f[3]);
    c.steps = std::stol(f[4]);
    c.simulated_time = std::stod(f[5]);
    c.wall_seconds = std::stod(f[6]);
    if (!f[7].empty()) c.step_seconds = std::stod(f[7]);
    if (!f[8].empty()) c.output_seconds = std::stod(f[8]);
    if (!f[9].empty()) c.analysis_seconds = std::stod(f[9]);
    if (fields == 13) c.trajectory_time = std::stod(f[12]);
  } catch (const std::exception&) {
    IFF_CHECK_AS(InputError, false, path << ": cost row is not numeric where it should be: " << row);
  }
  return c;
}

}  // namespace iff
