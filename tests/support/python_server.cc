#include "python_server.h"

#include <chrono>
#include <vector>

#include "temp_dir.h"

namespace coproc::test {

TestProcess start_python_server(const std::string& script, const std::string& output, int* port,
                                const std::vector<std::string>& args) {
  TestProcess::Options o;
  o.argv = {"/usr/bin/python3", std::string(COPROC_SOURCE_DIR) + "/tests/support/" + script};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.output_path = output;
  TestProcess p(o);
  *port = 0;
  wait_until(
      [&] {
        const std::string text = read_file(output);
        if (text.rfind("port ", 0) != 0 || text.find('\n') == std::string::npos) return false;
        *port = std::stoi(text.substr(5));
        return true;
      },
      std::chrono::seconds(20));
  return p;
}

}  // namespace coproc::test
