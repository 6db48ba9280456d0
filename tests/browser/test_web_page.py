"""The web page (SPEC §5) in a real headless Chromium against the real chat-server.

Run: /usr/bin/python3 tests/browser/test_web_page.py --server build/debug/server/chat-server \
         --out build/debug/tests/browser [unittest arguments, e.g. -k Reconnect]
"""

import argparse
import json
import sys
import time
import unittest

from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

import browser_support as bs


def type_message(driver, *lines):
    """Types a message: lines joined with Shift+Enter, sent with Enter."""
    box = driver.find_element(By.ID, "text")
    box.click()
    for k, line in enumerate(lines):
        if k:
            ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
        box.send_keys(line)
    box.send_keys(Keys.ENTER)


class PageHeadersTest(unittest.TestCase):
    """What the server sends with the page, over a real socket (no browser needed)."""

    def setUp(self):
        self.server = bs.ChatServer("--token", "s3cret")
        self.addCleanup(self.server.stop)

    def test_page_and_files_carry_type_cache_etag_and_policy_without_the_token(self):
        for path, media in [("/", "text/html; charset=utf-8"),
                            ("/static/app.js", "text/javascript; charset=utf-8"),
                            ("/static/style.css", "text/css; charset=utf-8")]:
            with self.subTest(path=path):
                status, headers, body = bs.http("GET", self.server.url + path)
                self.assertEqual(status, 200)
                self.assertEqual(headers["Content-Type"], media)
                self.assertEqual(headers["Cache-Control"], "no-cache")
                self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
                csp = headers["Content-Security-Policy"]
                self.assertIn("default-src 'none'", csp)
                self.assertIn("script-src 'self'", csp)
                self.assertNotIn("unsafe-inline", csp)
                self.assertNotIn("http", csp)  # nothing outside the server itself
                self.assertGreater(len(body), 100)
                etag = headers["ETag"]
                self.assertRegex(etag, r'^"[0-9a-f]{20}"$')
                status, headers, body = bs.http("GET", self.server.url + path,
                                                headers={"If-None-Match": etag})
                self.assertEqual(status, 304)
                self.assertEqual(body, b"")
                self.assertEqual(headers["ETag"], etag)

    def test_unknown_file_is_404_and_the_api_still_needs_the_token(self):
        self.assertEqual(bs.http("GET", self.server.url + "/static/nope.js")[0], 404)
        self.assertEqual(bs.http("GET", self.server.url + "/static/index.html")[0], 404)
        self.assertEqual(bs.http("GET", self.server.url + "/chat?timeout=0")[0], 401)
        self.assertEqual(bs.http("POST", self.server.url + "/", "body=hi")[0], 401)
        auth = {"Authorization": "Bearer s3cret"}
        status, _, body = bs.http("POST", self.server.url + "/", "body=hi", auth)
        self.assertEqual(status, 200)  # POST / is still a post to the lobby
        self.assertEqual(json.loads(body)["room"], "lobby")


class BrowserTest(unittest.TestCase):
    def browser(self, **size):
        driver = bs.start_browser(**size)
        self.addCleanup(bs.quit_browser, driver)
        return driver

    def assert_no_horizontal_scroll(self, driver):
        widths = driver.execute_script(
            "const s = document.getElementById('stream');"
            "return [document.documentElement.scrollWidth, window.innerWidth,"
            "        s.scrollWidth, s.clientWidth, document.body.scrollWidth];")
        page_width, viewport, stream_scroll, stream_client, body_width = widths
        self.assertLessEqual(page_width, viewport, widths)
        self.assertLessEqual(body_width, viewport, widths)
        self.assertLessEqual(stream_scroll, stream_client, widths)


class ChatTest(BrowserTest):
    def setUp(self):
        # A long presence grace: a member that disappears fast did so by its leave request.
        self.server = bs.ChatServer("--presence-grace", "60")
        self.addCleanup(self.server.stop)

    def test_two_pages_and_curl_chat_each_message_once_in_order(self):
        alice = self.browser(width=1100, height=720)
        bob = self.browser(width=1100, height=720)
        bs.open_chat(alice, self.server, "alice")
        bs.open_chat(bob, self.server, "bob")
        bs.wait_for(alice, lambda d: sorted(bs.people(d)) == ["alice", "bob"], "both in alice's list")
        bs.wait_for(bob, lambda d: sorted(bs.people(d)) == ["alice", "bob"], "both in bob's list")

        expected = []
        type_message(alice, "hi bob, curl is here too")
        expected.append("hi bob, curl is here too")
        bs.wait_for(bob, lambda d: bs.bodies(d) == expected, "alice's message at bob")
        type_message(bob, "hi alice!", "  this line is indented, as written")
        expected.append("hi alice!\n  this line is indented, as written")
        bs.wait_for(alice, lambda d: bs.bodies(d) == expected, "bob's two lines at alice")
        bs.curl_post(self.server, "hello from the terminal: curl --data body=...")
        expected.append("hello from the terminal: curl --data body=...")
        type_message(alice, "nice, so the page and curl share the room")
        expected.append("nice, so the page and curl share the room")
        for driver in (alice, bob):
            bs.wait_for(driver, lambda d: bs.bodies(d) == expected, "every message in order")
        time.sleep(0.5)  # a repeat would arrive by now
        for who, driver in (("alice", alice), ("bob", bob)):
            self.assertEqual(bs.bodies(driver), expected, who)
            self.assertEqual(bs.rows_text(driver, "#messages .msg .from"),
                             ["alice", "bob", "carol", "alice"], who)
        self.assertIn("bob joined", " ".join(bs.rows_text(alice, "#messages .event")))
        self.assertEqual(len(alice.find_elements(By.CSS_SELECTOR, "#messages .msg.mine")), 2)

        # The screenshots of the README: a desktop and a phone.
        bs.screenshot(alice, "web-desktop.png")
        bs.emulate_phone(bob)
        bs.wait_for(bob, lambda d: d.execute_script("return window.innerWidth") == 375, "phone size")
        self.assert_no_horizontal_scroll(bob)
        bs.screenshot(bob, "web-phone.png")

        # Bob closes his tab (the browser stays open): he leaves at once, by his leave request.
        chat_tab = bob.current_window_handle
        bob.switch_to.new_window("tab")
        bob.switch_to.window(chat_tab)
        bob.close()
        bs.wait_for(alice, lambda d: bs.people(d) == ["alice"], "bob to leave alice's list", timeout=8)
        bs.wait_for(alice, lambda d: "bob left" in " ".join(bs.rows_text(d, "#messages .event")),
                    "bob's leave in the stream")
        self.assertEqual(bs.room_members(self.server, "lobby"), ["alice"])

    def test_html_and_control_characters_stay_text(self):
        page = self.browser()
        bs.open_chat(page, self.server, "alice")
        hostile = [
            "<img src=x onerror=alert(1)>",
            "<script>alert(2)</script><b>not bold</b>",
            "\x1b[31mred?\x1b[0m and \u202eevil",
        ]
        for body in hostile:
            bs.curl_post(self.server, body, name="<i>mallory</i>")
        shown = ["<img src=x onerror=alert(1)>",
                 "<script>alert(2)</script><b>not bold</b>",
                 "^[[31mred?^[[0m and <U+202E>evil"]
        bs.wait_for(page, lambda d: bs.bodies(d) == shown, "the bodies as text")
        self.assertEqual(bs.rows_text(page, "#messages .msg .from"), ["<i>mallory</i>"] * 3)
        time.sleep(0.5)  # give an injected handler the time to run
        counts = page.execute_script(
            "const m = document.getElementById('messages');"
            "return [m.querySelectorAll('img, script, b, i').length];")
        self.assertEqual(counts, [0])
        with self.assertRaises(NoAlertPresentException):
            page.switch_to.alert.text

    def test_room_from_the_url_and_switching(self):
        page = self.browser()
        bs.open_chat(page, self.server, "alice", room="dev")
        bs.curl_post(self.server, "in dev", room="dev")
        bs.curl_post(self.server, "in lobby")
        bs.wait_for(page, lambda d: bs.bodies(d) == ["in dev"], "the dev room")
        self.assertIn("#dev", page.title)
        self.assertEqual(Select(page.find_element(By.ID, "room-select")).first_selected_option
                         .get_attribute("value"), "dev")

        page.execute_script("location.hash = 'ops'")  # as a link to /#ops would
        bs.wait_for(page, lambda d: bs.status_state(d) == "connected" and "#ops" in d.title, "the ops room")
        bs.curl_post(self.server, "in ops", room="ops")
        bs.wait_for(page, lambda d: bs.bodies(d) == ["in ops"], "only ops messages")
        # The page left dev when it switched, without waiting for the presence grace.
        bs.wait_until(lambda: bs.room_members(self.server, "dev") == [], "the page to leave dev", timeout=5)

        # The room list (from /rooms) switches too.
        select = page.find_element(By.ID, "room-select")
        select.click()
        bs.wait_for(page, lambda d: "lobby" in [o.get_attribute("value") for o in
                                                Select(select).options], "lobby in the list")
        Select(select).select_by_value("lobby")
        bs.wait_for(page, lambda d: bs.bodies(d) == ["in lobby"], "the lobby")
        self.assertTrue(page.current_url.endswith("#lobby"))

        # "new room…" asks for a name and goes there; a bad name is refused in the form.
        Select(select).select_by_visible_text("new room…")
        bs.answer_question(page, "no spaces please")
        bs.wait_for(page, lambda d: d.find_element(By.ID, "ask-error").text != "", "the refusal")
        bs.answer_question(page, "qa")
        bs.wait_for(page, lambda d: d.current_url.endswith("#qa") and bs.status_state(d) == "connected",
                    "the new room")
        bs.wait_until(lambda: bs.room_members(self.server, "qa") == ["alice"], "alice in qa")

        # "." and ".." are room names no URL can reach: the page stays where it is and says why,
        # from the address and from the form alike.
        page.execute_script("location.hash = '..'")
        bs.wait_for(page, lambda d: "cannot be opened from the web page" in
                    d.find_element(By.ID, "messages").text, "the note about ..")
        self.assertIn("#qa", page.title)
        self.assertEqual(bs.status_state(page), "connected")
        Select(select).select_by_visible_text("new room…")
        bs.answer_question(page, ".")
        bs.wait_for(page, lambda d: "cannot be opened" in d.find_element(By.ID, "ask-error").text,
                    "the refusal of .")

    def test_unread_count_in_the_title_while_hidden(self):
        page = self.browser()
        bs.open_chat(page, self.server, "alice")
        chat_tab = page.current_window_handle
        page.switch_to.new_window("tab")  # the chat tab is now in the background
        bs.curl_post(self.server, "one")
        bs.curl_post(self.server, "two")

        def chat_title(d):
            targets = d.execute_cdp_cmd("Target.getTargets", {})["targetInfos"]
            return next(t["title"] for t in targets if t["targetId"] == chat_tab)
        bs.wait_for(page, lambda d: chat_title(d) == "(2) #lobby – pollchat", "the unread count")
        page.switch_to.window(chat_tab)
        bs.wait_for(page, lambda d: d.title == "#lobby – pollchat", "the count to clear when seen")

    def test_phone_size_has_no_horizontal_scrolling(self):
        page = self.browser()
        bs.emulate_phone(page)
        bs.open_chat(page, self.server, "a-rather-long-name-of-32-chars!!")
        bs.curl_post(self.server, "x" * 300, name="n" * 32)  # one unbreakable word
        bs.curl_post(self.server, "https://example.com/" + "a/b-c_d" * 40)
        type_message(page, "a reply from the phone", "with a second line")
        bs.wait_for(page, lambda d: len(bs.bodies(d)) == 3, "three messages")
        self.assert_no_horizontal_scroll(page)
        self.assertEqual(page.execute_script("return window.innerWidth"), 375)
        # Dark mode follows the system setting.
        light = page.execute_script("return getComputedStyle(document.body).backgroundColor")
        page.execute_cdp_cmd("Emulation.setEmulatedMedia",
                             {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        dark = page.execute_script("return getComputedStyle(document.body).backgroundColor")
        self.assertNotEqual(light, dark)
        bs.screenshot(page, "web-phone-dark.png")


class ReconnectTest(BrowserTest):
    def test_server_restart_on_the_same_port(self):
        server = bs.ChatServer()
        self.addCleanup(lambda: server.stop())
        page = self.browser()
        bs.open_chat(page, server, "alice")
        bs.curl_post(server, "before the restart")
        bs.wait_for(page, lambda d: bs.bodies(d) == ["before the restart"], "the first message")

        server.kill()
        status = page.find_element(By.ID, "status")
        bs.wait_for(page, lambda d: bs.status_state(d) == "reconnecting", "the reconnecting state")
        self.assertTrue(status.is_displayed())
        self.assertIn("Reconnecting", status.text)

        server = bs.ChatServer(port=int(page.current_url.split(":")[2].split("/")[0]))
        bs.curl_post(server, "after the restart")
        bs.wait_for(page, lambda d: bs.bodies(d) == ["before the restart", "after the restart"],
                    "the message posted after the restart", timeout=20)
        bs.wait_for(page, lambda d: bs.status_state(d) == "connected", "the connected state")
        self.assertFalse(status.is_displayed())
        notices = " ".join(bs.rows_text(page, "#messages .notice"))
        self.assertIn("restarted", notices)  # the new epoch is announced
        bs.curl_post(server, "and one more")
        bs.wait_for(page, lambda d: bs.bodies(d)[-1] == "and one more", "a later message")
        time.sleep(0.5)
        self.assertEqual(bs.bodies(page), ["before the restart", "after the restart", "and one more"])


class TokenTest(BrowserTest):
    def test_page_asks_for_the_token_then_posts_and_reads(self):
        server = bs.ChatServer("--token", "s3cret")
        self.addCleanup(server.stop)
        page = self.browser()
        page.get(server.url + "/")
        bs.answer_question(page, "alice")  # the name, asked before anything is sent
        bs.wait_for(page, lambda d: "token" in d.find_element(By.ID, "ask-title").text, "the token question")
        bs.answer_question(page, "wrong")
        bs.wait_for(page, lambda d: "refused" in d.find_element(By.ID, "ask-error").text, "a refusal")
        bs.answer_question(page, "s3cret")
        bs.wait_for(page, lambda d: bs.status_state(d) == "connected", "the page to connect")
        type_message(page, "hello with a token")
        bs.curl_post(server, "curl has it too", token="s3cret")
        bs.wait_for(page, lambda d: bs.bodies(d) == ["hello with a token", "curl has it too"], "both messages")
        self.assertEqual(page.execute_script("return sessionStorage.getItem('pollchat.token')"), "s3cret")
        self.assertEqual(bs.room_members(server, "lobby", token="s3cret"), ["alice"])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", required=True, help="the chat-server binary")
    parser.add_argument("--out", required=True, help="where screenshots go")
    args, rest = parser.parse_known_args()
    bs.settings.update(server=args.server, out=args.out)
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
