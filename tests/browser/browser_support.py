"""Helpers for the web page's browser tests: the real chat-server process, a real headless
Chromium driven by Debian's chromium-driver, curl as a third chatter, and bounded waits.

Every wait is bounded in time; every process started here is stopped here, by its pid.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--lang=en-US",
]
WAIT_SECONDS = 15

# Set by the test runner from its command line.
settings = {"server": None, "out": None}


class ChatServer:
    """A real chat-server process on a loopback port (0: any free port), ready when it says
    where it listens."""

    LISTENING = re.compile(r"listening on http://[^ ]+:(\d+)")

    def __init__(self, *args, port=0):
        self.args = list(args)
        self.log = ""
        self._changed = threading.Condition()
        self.proc = subprocess.Popen(
            [settings["server"], "--listen", f"127.0.0.1:{port}", *self.args],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env={k: v for k, v in os.environ.items() if not k.startswith("CHAT_")})
        self._reader = threading.Thread(target=self._collect, daemon=True)
        self._reader.start()
        with self._changed:
            self._changed.wait_for(
                lambda: self.LISTENING.search(self.log) or self.proc.poll() is not None, timeout=15)
        match = self.LISTENING.search(self.log)
        if not match:
            self.kill()
            raise RuntimeError(f"chat-server did not start:\n{self.log}")
        self.port = int(match.group(1))
        self.url = f"http://127.0.0.1:{self.port}"

    def _collect(self):
        for line in iter(self.proc.stderr.readline, b""):
            with self._changed:
                self.log += line.decode("utf-8", "replace")
                self._changed.notify_all()

    def kill(self):
        """SIGKILL: the server vanishes without a goodbye."""
        self._end(signal.SIGKILL)

    def stop(self):
        self._end(signal.SIGTERM)

    def _end(self, sig):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._reader.join(timeout=5)
        self.proc.stderr.close()


def http(method, url, body=None, headers=None):
    """One request; returns (status, headers, body bytes), errors included."""
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, res.headers, res.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def curl_post(server, body, name="carol", room=None, token=None):
    """Posts as a third person with the real curl, as a user would."""
    url = f"{server.url}/chat" + (f"/{room}" if room else "")
    cmd = ["curl", "-sS", "--fail-with-body", "--max-time", "10",
           "--data-urlencode", f"body={body}", "--data-urlencode", f"name={name}", url]
    if token:
        cmd[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=True)
    return json.loads(out.stdout)


def room_members(server, room, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    status, _, body = http("GET", f"{server.url}/rooms/{room}", headers=headers)
    return [m["name"] for m in json.loads(body)["members"]] if status == 200 else []


def start_browser(width=1100, height=720):
    """A fresh headless Chromium with its own empty profile (no name, no token kept)."""
    options = Options()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="pollchat-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.pollchat_profile = profile
    return driver


def quit_browser(driver):
    try:
        driver.quit()
    finally:
        shutil.rmtree(driver.pollchat_profile, ignore_errors=True)


def emulate_phone(driver, width=375, height=740):
    """A phone-sized viewport (CSS pixels), touch and all, as DevTools' device mode does."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 2, "mobile": True})


def wait_for(driver, condition, what, timeout=WAIT_SECONDS):
    """Waits until condition(driver) is truthy; fails naming `what` otherwise."""
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(
        lambda d: condition(d), message=f"timed out waiting for {what}")


def wait_until(condition, what, timeout=WAIT_SECONDS):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def answer_question(driver, text):
    """Types into the page's question form (name, token, room) and submits it."""
    box = wait_for(driver, lambda d: d.find_element(By.ID, "ask-input").is_displayed()
                   and d.find_element(By.ID, "ask-input"), "the page's question")
    box.clear()
    box.send_keys(text)
    driver.find_element(By.ID, "ask-ok").click()


def open_chat(driver, server, name, room=None):
    """Opens the page (in `room` via the URL) and gives the name it asks for once."""
    driver.get(f"{server.url}/" + (f"#{room}" if room else ""))
    answer_question(driver, name)
    wait_for(driver, lambda d: status_state(d) == "connected", "the page to connect")


def status_state(driver):
    return driver.find_element(By.ID, "status").get_attribute("data-state")


def bodies(driver):
    """The message bodies the page shows, in order, as text."""
    return driver.execute_script(
        "return [...document.querySelectorAll('#messages .msg .body')].map(e => e.textContent)")


def rows_text(driver, selector):
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent)", selector)


def people(driver):
    return rows_text(driver, "#people li")


def screenshot(driver, name):
    path = os.path.join(settings["out"], name)
    driver.save_screenshot(path)
    return path
