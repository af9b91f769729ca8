#!/usr/bin/python3
"""The web console in a real browser (headless Chromium from Debian, driven
by Selenium) against a real wharfd, with the wharf CLI on the other side:
what the CLI does shows in the page, and what the page does the CLI sees.

Usage: browser_test.py --wharfd PATH --wharf PATH [--screenshots DIR]
With --screenshots, pictures of the main pages are saved there.
"""
import argparse
import json
import os
import sys
import time
import unittest
import urllib.parse

from wharf_process import ADMIN_PASSWORD, WharfProcess, browser
from selenium.common.exceptions import NoAlertPresentException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ARGS = None
WAIT = 15  # seconds for any page state to appear


class ConsoleTest(unittest.TestCase):
    """One browser for the class (it takes seconds to start); each test
    starts logged out."""

    def setUp(self):
        self.driver = type(self).shared_driver
        self.driver.get(self.broker.url + "/assets/app.css")
        self.driver.delete_all_cookies()

    # --- helpers ------------------------------------------------------------
    def wait(self, condition, what):
        try:
            return WebDriverWait(self.driver, WAIT).until(condition)
        except TimeoutException:
            banner = self.driver.find_elements(By.ID, "error-banner")
            text = banner[0].text if banner else ""
            self.fail(f"timed out waiting for {what} at {self.driver.current_url} (error banner: {text!r})")

    def element(self, css):
        return self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, css)), css)

    def rows(self, css, count):
        self.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, css)) >= count, f"{count} x {css}")
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def path(self):
        p = urllib.parse.urlparse(self.driver.current_url)
        return p.path + ("?" + p.query if p.query else "")

    def wait_path(self, want):
        self.wait(lambda d: self.path() == want or self.path().startswith(want + "?"), "page " + want)

    def type_into(self, css, text):
        e = self.element(css)
        e.clear()
        e.send_keys(text)

    def no_alert(self):
        try:
            self.driver.switch_to.alert
            self.fail("a message's content ran as script (an alert opened)")
        except NoAlertPresentException:
            pass

    def shot(self, name):
        if ARGS.screenshots:
            time.sleep(0.3)  # let the chart and tables settle
            self.driver.save_screenshot(os.path.join(ARGS.screenshots, name + ".png"))

    def login(self, broker, user, password):
        self.driver.get(broker.url + "/login")
        self.type_into("#login-user", user)
        self.type_into("#login-password", password)
        self.element("#login-submit").click()


class WithoutAuth(ConsoleTest):
    @classmethod
    def setUpClass(cls):
        cls.broker = WharfProcess(ARGS.wharfd, ARGS.wharf)
        cls.shared_driver = browser()

    @classmethod
    def tearDownClass(cls):
        cls.shared_driver.quit()
        cls.broker.stop()

    def test_topic_made_in_the_page_shows_records_produced_with_the_cli(self):
        b = self.broker
        self.driver.get(b.url + "/topics")
        self.type_into("#create-topic-name", "web-orders")
        self.type_into("#create-topic-partitions", "2")
        self.element("#create-topic-submit").click()
        self.wait_path("/topics/web-orders")
        described = json.loads(b.cli("topic", "describe", "web-orders", "--json"))
        self.assertEqual(described["partitions"], 2)

        payloads = ["hello console", '{"total": 12, "items": [1, 2], "alpha": true}',
                    "<script>alert('x')</script><b>bold?</b>"]
        b.cli("produce", "web-orders", "--partition", "0", "--key", "k", stdin="\n".join(payloads) + "\n")
        self.driver.get(b.url + "/topics/web-orders")
        records = self.rows("#records-table tr.record", 3)
        values = [r.find_element(By.CSS_SELECTOR, ".record-value").text for r in records]
        self.assertIn("hello console", values[0])
        self.assertIn('"items": [', values[1])  # pretty-printed JSON
        # Keys in the order they were written, and the stored bytes a click away.
        self.assertLess(values[1].index('"total"'), values[1].index('"alpha"'), values[1])
        value_cell = records[1].find_element(By.CSS_SELECTOR, ".record-value")
        value_cell.find_element(By.CSS_SELECTOR, ".content-tab-raw").click()
        raw = value_cell.find_element(By.CSS_SELECTOR, ".content-raw")
        self.wait(lambda d: raw.is_displayed(), "the raw view shows")
        self.assertEqual(raw.text, payloads[1])
        self.assertIn("<script>alert('x')</script><b>bold?</b>", values[2])
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, "#records-table script, #records-table b"), [])
        self.no_alert()
        self.shot("topic")

        # An address per page: reloading it shows the same, back returns.
        self.driver.get(b.url + "/topics/web-orders?partition=0&from=offset&offset=1")
        records = self.rows("#records-table tr.record", 2)
        self.assertEqual(records[0].find_element(By.CSS_SELECTOR, ".record-offset").text.strip(), "1")
        self.driver.get(b.url + "/topics")
        self.rows("#topics-table a[href='/topics/web-orders']", 1)[0].click()
        self.wait_path("/topics/web-orders")
        self.driver.back()
        self.wait_path("/topics")
        self.shot("topics")

    def test_poison_message_reaches_the_dlq_and_is_redriven_from_the_page(self):
        b = self.broker
        b.cli("queue", "create", "web-jobs", "--max-deliveries", "1")
        poison = '<img src=x onerror="alert(1)">poison pill'
        b.cli("queue", "publish", "web-jobs", "--header", "trace=7f3a", stdin=poison + "\n")
        b.cli("queue", "publish", "web-jobs", stdin='{"order": 17, "total": "NaN"}\n{"order": 18, "total": -4}\n')
        b.cli("queue", "publish", "web-jobs", stdin="fine one\n")
        b.cli("queue", "consume", "web-jobs", "--reject", "cannot parse the order", "--count", "3")

        self.driver.get(b.url + "/queues/web-jobs.dlq")
        rows = self.rows("#messages-table tr.message", 3)
        self.assertIn("poison pill", rows[0].text)
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, "#messages-table img"), [])
        self.no_alert()
        message_id = rows[0].find_element(By.CSS_SELECTOR, "input.message-select").get_attribute("value")
        # The list shows each dead letter's headers and whole history when opened.
        rows[0].find_element(By.CSS_SELECTOR, "button.message-expand").click()
        history = self.rows("#messages-table tr.message-details tr.history", 1)
        self.assertIn("cannot parse the order", history[0].text)
        self.assertIn("7f3a", self.element("#messages-table tr.message-details").text)
        self.assertEqual(len(self.driver.find_elements(By.CSS_SELECTOR, "#messages-table tr.message")), 3)
        self.shot("dead-letter-queue")

        # Its page: state, attempt history, payload as text.
        rows[0].find_element(By.CSS_SELECTOR, f"a[href$='/messages/{message_id}']").click()
        self.wait_path(f"/queues/web-jobs.dlq/messages/{message_id}")
        self.wait(lambda d: "dead_lettered" in d.find_element(By.ID, "message-state").text, "state dead_lettered")
        self.assertEqual(self.element("#message-payload").text, poison)
        history = self.rows("#history-table tr.history", 1)
        self.assertIn("reject", history[0].text)
        self.assertIn("cannot parse the order", history[0].text)
        self.no_alert()
        self.shot("message")
        self.driver.back()
        self.wait_path("/queues/web-jobs.dlq")

        # Redrive it from the page; the CLI sees it back in its queue.
        box = self.rows("#messages-table tr.message input.message-select", 3)[0]
        box.click()
        self.element("#redrive-selected").click()
        self.wait(lambda d: "Moved 1" in d.find_element(By.ID, "redrive-result").text, "the redrive result")
        info = json.loads(b.cli("queue", "describe", "web-jobs", "--json"))
        self.assertEqual(info["ready"], 2)  # "fine one" and the redriven pill
        peeked = b.cli("queue", "peek", "web-jobs", "--json")
        self.assertIn("poison pill", peeked)
        self.driver.get(b.url + "/queues/web-jobs")
        self.wait(lambda d: d.find_element(By.ID, "queue-ready").text.strip() == "2", "ready 2 on the queue page")
        self.shot("queue")

    def test_overview_groups_and_lists(self):
        b = self.broker
        b.cli("topic", "create", "clicks", "--partitions", "3")
        b.cli("produce", "clicks", stdin="".join(f"click {i}\n" for i in range(300)))
        b.cli("group", "reset-offsets", "dashboard", "--topic", "clicks", "--to-earliest")
        b.cli("queue", "create", "emails")
        b.cli("queue", "publish", "emails", stdin="".join(f"mail {i}\n" for i in range(40)))
        self.driver.get(b.url + "/groups/dashboard")
        rows = self.rows("#group-partitions-table tbody tr", 3)
        self.assertTrue(any("clicks" in r.text for r in rows))
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, "tr.lag-growing"), [])
        # More records while nobody reads: the page marks the growing lag
        # at its next refresh (every 5 s).
        b.cli("produce", "clicks", "--partition", "1", stdin="".join(f"late {i}\n" for i in range(50)))
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#group-partitions-table tr.lag-growing"),
                  "a growing-lag row")
        self.shot("group")
        self.driver.get(b.url + "/queues")
        self.rows("#queues-table a[href='/queues/emails']", 1)
        self.shot("queues")
        self.driver.get(b.url + "/")
        self.wait(lambda d: "sync" in d.find_element(By.TAG_NAME, "body").text, "the overview")
        time.sleep(6)  # one rate interval, for the chart
        self.driver.refresh()
        self.wait(lambda d: "sync" in d.find_element(By.TAG_NAME, "body").text, "the overview")
        self.shot("overview")


class WithAuth(ConsoleTest):
    @classmethod
    def setUpClass(cls):
        cls.broker = WharfProcess(ARGS.wharfd, ARGS.wharf, auth=True)
        cls.broker.cli("topic", "create", "guarded")
        cls.broker.cli("user", "create", "viewer", "--password-stdin", stdin="viewer-password\n")
        for op in ("describe", "read"):
            cls.broker.cli("acl", "add", "--principal", "viewer", "--resource-type", "topic", "--resource", "*",
                           "--operation", op)

        cls.shared_driver = browser()

    @classmethod
    def tearDownClass(cls):
        cls.shared_driver.quit()
        cls.broker.stop()

    def test_logged_out_every_page_redirects_to_login(self):
        b = self.broker
        for page in ("/", "/topics", "/topics/guarded", "/groups", "/groups/g", "/queues", "/queues/q",
                     "/queues/q/messages/1"):
            self.driver.get(b.url + page)
            self.wait(lambda d: urllib.parse.urlparse(d.current_url).path == "/login", f"{page} -> /login")
            query = urllib.parse.parse_qs(urllib.parse.urlparse(self.driver.current_url).query)
            self.assertEqual(query.get("next"), [page])
        self.shot("login")
        # Logging in lands on the page asked for; logging out ends the session.
        self.driver.get(b.url + "/topics/guarded")
        self.type_into("#login-user", "admin")
        self.type_into("#login-password", ADMIN_PASSWORD)
        self.element("#login-submit").click()
        self.wait_path("/topics/guarded")
        self.element("#logout").click()
        self.wait(lambda d: urllib.parse.urlparse(d.current_url).path == "/login", "logout -> /login")
        self.driver.get(b.url + "/queues")
        self.wait(lambda d: urllib.parse.urlparse(d.current_url).path == "/login", "/queues after logout")

    def test_wrong_password_is_refused(self):
        self.login(self.broker, "admin", "not-it")
        self.wait(lambda d: d.find_element(By.ID, "login-error").text.strip() != "", "a login error")
        self.assertEqual(urllib.parse.urlparse(self.driver.current_url).path, "/login")

    def test_delete_without_permission_is_refused_not_performed(self):
        b = self.broker
        self.login(b, "viewer", "viewer-password")
        self.wait(lambda d: urllib.parse.urlparse(d.current_url).path == "/", "login as viewer")
        self.driver.get(b.url + "/topics/guarded")
        self.element("#partitions-table")
        self.element("#delete-topic").click()
        self.type_into("#confirm-input", "guarded")
        self.element("#confirm-ok").click()
        self.wait(lambda d: "not_authorized" in d.find_element(By.ID, "error-banner").text, "not_authorized shown")
        self.assertIn("guarded", b.cli("topic", "describe", "guarded"))


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--wharfd", required=True)
    p.add_argument("--wharf", required=True)
    p.add_argument("--screenshots")
    ARGS, rest = p.parse_known_args()
    if ARGS.screenshots:
        os.makedirs(ARGS.screenshots, exist_ok=True)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
