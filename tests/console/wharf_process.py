"""A wharfd on ephemeral loopback ports over a temp data directory, the
wharf CLI pointed at it, and a headless browser (for the console's browser
tests and its benchmark)."""
import os
import re
import shutil
import subprocess
import tempfile

ADMIN_PASSWORD = "console-admin-passphrase"


class WharfProcess:
    def __init__(self, wharfd, wharf, auth=False):
        self.wharf = wharf
        self.dir = tempfile.mkdtemp(prefix="wharf-console-")
        cmd = [wharfd, "--data-dir", os.path.join(self.dir, "data"), "--listen", "127.0.0.1:0",
               "--kafka-listen", "off", "--http-listen", "127.0.0.1:0", "--log-level", "warn"]
        if auth:
            pw = os.path.join(self.dir, "admin-password")
            with open(pw, "w") as f:
                f.write(ADMIN_PASSWORD + "\n")
            cmd += ["--auth", "required", "--admin-password-file", pw]
        self.auth = auth
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on (\S+?), .*http (\S+?),", line)
        if not m:
            self.stop()
            raise RuntimeError("wharfd did not start: " + line)
        self.native = m.group(1)
        self.http = m.group(2)
        self.url = "http://" + self.http

    def cli(self, *args, stdin=None, user="admin", password=ADMIN_PASSWORD):
        cmd = [self.wharf, "--broker", self.native]
        env = dict(os.environ)
        if self.auth and user:
            cmd += ["--user", user]
            env["WHARF_PASSWORD"] = password
        r = subprocess.run(cmd + list(args), input=stdin, capture_output=True, text=True, timeout=600, env=env)
        if r.returncode != 0:
            raise AssertionError(f"wharf {' '.join(args)} failed: {r.stderr}")
        return r.stdout

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def browser():
    """Headless Chromium (Debian's) under Selenium, 1280x800."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    o = Options()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,800",
              "--disable-dev-shm-usage", "--no-first-run"):
        o.add_argument(a)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
