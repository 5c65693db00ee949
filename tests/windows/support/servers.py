#!/usr/bin/python3
"""The real servers the wine tests talk to, run on the Linux side (a Windows
test program cannot start and wait for Linux processes reliably).

  servers.py start DIR    makes a test CA, starts them, writes DIR/servers.env
  servers.py stop DIR     stops them

On 127.0.0.1 only: aiosmtpd (tests/support/smtp_server.py) with STARTTLS and
AUTH PLAIN/LOGIN as user "alice" / "wonderland", the same with implicit TLS,
and nginx with TLS (certificate for "localhost", signed by DIR/ca.pem) and
plain HTTP. Every server is started under `timeout`, so none outlives a run
that never called stop. servers.env holds KEY=VALUE lines; paths in it are
Windows paths (wine maps / to Z:).
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SMTP_SERVER = os.path.join(HERE, "..", "..", "support", "smtp_server.py")
LIFETIME_S = "3600"
USER, PASSWORD = "alice", "wonderland"


def run(argv, log):
    with open(log, "ab") as out:
        subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, check=True)


def make_certificates(d):
    log = os.path.join(d, "openssl.log")
    ext = os.path.join(d, "server.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run(["openssl", "req", "-x509", *ec, "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.pem",
         "-days", "3", "-subj", "/CN=coproc wine test CA", "-addext",
         "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        log)
    run(["openssl", "req", *ec, "-keyout", f"{d}/server.key", "-out", f"{d}/server.csr",
         "-subj", "/CN=localhost"], log)
    run(["openssl", "x509", "-req", "-in", f"{d}/server.csr", "-CA", f"{d}/ca.pem", "-CAkey",
         f"{d}/ca.key", "-CAcreateserial", "-out", f"{d}/server.pem", "-days", "3",
         "-extfile", ext], log)
    run(["openssl", "x509", "-in", f"{d}/ca.pem", "-outform", "DER", "-out", f"{d}/ca.der"], log)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def spawn(d, name, argv):
    out = open(os.path.join(d, name + ".out"), "ab")
    p = subprocess.Popen(["timeout", LIFETIME_S, *argv], stdout=out, stderr=subprocess.STDOUT,
                         start_new_session=True)
    with open(os.path.join(d, "pids"), "a") as f:
        f.write("%d\n" % p.pid)
    return p


def start_smtp(d, name, tls):
    folder = os.path.join(d, name)
    port_file = os.path.join(folder, "port")
    # A previous run's port file and events.log would pass for this run's.
    shutil.rmtree(folder, ignore_errors=True)
    spawn(d, name, ["/usr/bin/python3", SMTP_SERVER, "--dir", folder, "--tls", tls,
                    "--cert", f"{d}/server.pem", "--key", f"{d}/server.key",
                    "--user", USER, "--password", PASSWORD])
    for _ in range(200):
        if os.path.exists(port_file):
            return int(open(port_file).read())
        time.sleep(0.1)
    raise RuntimeError("%s did not start: %s" % (name, open(os.path.join(d, name + ".out")).read()))


def start_nginx(d):
    http_port, https_port = free_port(), free_port()
    for sub in ("www", "tmp"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    with open(os.path.join(d, "www", "hello.txt"), "w") as f:
        f.write("hello from nginx\n")
    locations = """
    root %(d)s/www;
    location = /echo {
      echo_read_request_body;
      echo "method=$request_method";
      echo_request_body;
    }
    location = /redirect/302 { return 302 /echo; }
    location = /redirect/chain { return 302 /redirect/302; }
    location = /slow5 { echo_sleep 5; echo "slow answer"; }
""" % {"d": d}
    conf = """load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
%(user)s
worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log info;
events { worker_connections 256; }
http {
  log_format conn '$connection $connection_requests $request_method $request_uri $status $server_port';
  access_log %(d)s/access.log conn;
  client_body_temp_path %(d)s/tmp/body;
  proxy_temp_path %(d)s/tmp/proxy;
  fastcgi_temp_path %(d)s/tmp/fastcgi;
  uwsgi_temp_path %(d)s/tmp/uwsgi;
  scgi_temp_path %(d)s/tmp/scgi;
  keepalive_timeout 60s;
  default_type text/plain;
  server {
    listen 127.0.0.1:%(http)d;
    listen 127.0.0.1:%(https)d ssl;
    ssl_certificate %(d)s/server.pem;
    ssl_certificate_key %(d)s/server.key;
%(locations)s
  }
}
""" % {"d": d, "http": http_port, "https": https_port, "locations": locations,
       "user": "user root root;" if os.geteuid() == 0 else ""}
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write(conf)
    spawn(d, "nginx", ["/usr/sbin/nginx", "-c", f"{d}/nginx.conf", "-g", "daemon off;"])
    for _ in range(200):
        if accepts(http_port) and accepts(https_port):
            return http_port, https_port
        time.sleep(0.1)
    raise RuntimeError("nginx did not start: " + open(os.path.join(d, "nginx.out")).read())


def windows_path(path):
    return "Z:" + path.replace("/", "\\")


def start(d):
    stop(d)
    os.makedirs(d, exist_ok=True)
    make_certificates(d)
    starttls = start_smtp(d, "smtp-starttls", "starttls")
    implicit = start_smtp(d, "smtp-tls", "implicit")
    http_port, https_port = start_nginx(d)
    env = {
        "SMTP_STARTTLS_PORT": starttls, "SMTP_STARTTLS_DIR": windows_path(d + "/smtp-starttls"),
        "SMTP_TLS_PORT": implicit, "SMTP_TLS_DIR": windows_path(d + "/smtp-tls"),
        "SMTP_USER": USER, "SMTP_PASSWORD": PASSWORD,
        "HTTP_PORT": http_port, "HTTPS_PORT": https_port,
        "NGINX_ACCESS_LOG": windows_path(d + "/access.log"),
        "CA_FILE": windows_path(d + "/ca.pem"), "CA_DER": windows_path(d + "/ca.der"),
    }
    tmp = os.path.join(d, ".servers.env")
    with open(tmp, "w") as f:
        for k, v in env.items():
            f.write("%s=%s\n" % (k, v))
    os.rename(tmp, os.path.join(d, "servers.env"))


def ours(group, d):
    """Whether process group `group` is still one of this folder's servers.

    A pids file may be left by an earlier run; its ids may have been reused
    since (they wrap within minutes on a busy machine), so a group is
    signalled only if one of its processes names a file in `d` on its command line (the
    `timeout` leader, aiosmtpd, the nginx master all do).
    """
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmdline = f.read().decode(errors="replace")
        except OSError:
            continue  # gone meanwhile
        # Fields after the command name (which may hold spaces): state, ppid, pgrp.
        if int(stat.rsplit(")", 1)[1].split()[2]) == group and d.rstrip("/") + "/" in cmdline:
            return True
    return False


def stop(d):
    pids = os.path.join(d, "pids")
    if not os.path.exists(pids):
        return
    for line in open(pids):
        try:
            group = int(line)
            if ours(group, d):
                os.killpg(group, signal.SIGTERM)
        except (ProcessLookupError, ValueError):
            pass
    os.remove(pids)
    env = os.path.join(d, "servers.env")
    if os.path.exists(env):
        os.remove(env)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        sys.exit("usage: servers.py start|stop DIR")
    (start if sys.argv[1] == "start" else stop)(os.path.abspath(sys.argv[2]))
