#include "nginx_test_ca.h"

#include <stdexcept>

#include "temp_dir.h"
#include "test_process.h"

namespace coproc::test {

void run_checked(const std::vector<std::string>& argv, const std::string& log_path) {
  TestProcess::Options o;
  o.argv = argv;
  o.output_path = log_path;
  TestProcess p(o);
  const int status = p.wait(std::chrono::seconds(60));
  if (status != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += a + " ";
    throw std::runtime_error("command failed (status " + std::to_string(status) + "): " + cmd +
                             "\n" + read_file(log_path));
  }
}

TestCertificates make_test_certificates(const std::string& dir, const std::string& name) {
  const std::string openssl = "/usr/bin/openssl";
  const std::string base = dir + "/" + name;
  const std::string log = base + "-openssl.log";
  TestCertificates c{base + "-ca.pem", base + "-server.pem", base + "-server.key"};
  const std::string ca_key = base + "-ca.key";
  const std::string csr = base + "-server.csr";
  const std::string ext = base + "-server.ext";
  write_file(ext,
             "subjectAltName=DNS:localhost\n"
             "basicConstraints=CA:FALSE\n"
             "keyUsage=digitalSignature,keyEncipherment\n"
             "extendedKeyUsage=serverAuth\n");

  run_checked({openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
               "-nodes", "-keyout", ca_key, "-out", c.ca_file, "-days", "3", "-subj",
               "/CN=coproc test CA " + name, "-addext", "basicConstraints=critical,CA:TRUE",
               "-addext", "keyUsage=critical,keyCertSign,cRLSign"},
              log);
  run_checked({openssl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
               "-nodes", "-keyout", c.key_file, "-out", csr, "-subj", "/CN=localhost"},
              log);
  run_checked({openssl, "x509", "-req", "-in", csr, "-CA", c.ca_file, "-CAkey", ca_key,
               "-CAcreateserial", "-out", c.cert_file, "-days", "3", "-extfile", ext},
              log);
  return c;
}

}  // namespace coproc::test
