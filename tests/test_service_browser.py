"""The review page in a real browser: headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven by
Selenium signs in, labels two posts (one by clicking, one with the keyboard shortcut), and the test then reads the
decisions straight from SQLite and from the review export. Screenshots at laptop and phone width are kept in
``build/test-artifacts/`` (or ``$PILKADA_TEST_ARTIFACTS``). Skips when no browser is installed; ``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
webdriver = pytest.importorskip("selenium.webdriver")
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
if not (CHROMIUM and DRIVER):
    pytest.skip("no chromium + chromedriver installed (apt-get install chromium chromium-driver)",
                allow_module_level=True)

import httpx
import uvicorn
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service as DriverService
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from pilkada_nlp.review import read_review
from pilkada_nlp.service.app import create_app
from pilkada_nlp.service.config import ServiceConfig
from pilkada_nlp.service.keys import add_key
from tests.conftest import REPO

ARTIFACTS = Path(os.environ.get("PILKADA_TEST_ARTIFACTS", REPO / "build" / "test-artifacts"))
POSTS = ["Besok subuh ambil amplop 100rb di posko RT 05, asal coblos nomor 2 ya. Bawa KTP!",
         "Usir semua pendatang dari kampung kita, mereka perusak! Jangan pilih calon dari kaum itu",
         "SEBARKAN!! Server KPU sudah diretas, hasil pilkada sudah diatur dari Jakarta"]


@pytest.fixture
def live_service(tmp_path):
    """The app under uvicorn on 127.0.0.1 (a free port), in a thread of this process; yields (url, key, db)."""
    keys = tmp_path / "keys.json"
    key = add_key(keys, "ani", "reviewer")
    database = tmp_path / "review.sqlite3"
    app = create_app(ServiceConfig(keys=keys, database=database))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    queued = httpx.post(f"{url}/v1/review/queue", json={"texts": POSTS}, headers={"Authorization": f"Bearer {key}"},
                        timeout=20)
    assert queued.status_code == 200 and len(queued.json()["queued"]) == 3
    yield url, key, database
    server.should_exit = True
    thread.join(timeout=10)
    listener.close()


@pytest.fixture
def browser():
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1000", "--lang=id"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=DriverService(executable_path=DRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def current_post(driver) -> str:
    return driver.find_element(By.ID, "post").get_attribute("data-review-id")


def test_a_reviewer_labels_two_posts_in_chromium(live_service, browser, tmp_path):
    url, key, database = live_service
    wait = WebDriverWait(browser, 20)
    browser.get(f"{url}/review")
    browser.find_element(By.ID, "key").send_keys(key)
    browser.find_element(By.CSS_SELECTOR, "form[action='/review/login'] button").click()
    wait.until(expected_conditions.presence_of_element_located((By.ID, "post")))
    assert browser.find_elements(By.CSS_SELECTOR, "#text mark"), "explanation words are highlighted"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "review_page_laptop.png"))
    browser.set_window_size(390, 1100)
    browser.save_screenshot(str(ARTIFACTS / "review_page_phone.png"))
    browser.set_window_size(1280, 1000)

    first = current_post(browser)
    browser.find_element(By.ID, "choose-illegal_campaign").click()  # by mouse
    wait.until(lambda d: d.find_elements(By.ID, "post") and current_post(d) != first)
    second = current_post(browser)
    browser.find_element(By.TAG_NAME, "body").send_keys("2")  # by keyboard shortcut: hate_speech
    wait.until(lambda d: d.find_elements(By.ID, "post") and current_post(d) != second)
    assert "1 decided" not in browser.find_element(By.ID, "counts").text
    assert "2 decided" in browser.find_element(By.ID, "counts").text

    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT review_id, label, reviewer, model_version, origin FROM decisions ORDER BY id").fetchall()
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [(first, "illegal_campaign", "ani", "review page"),
                                                        (second, "hate_speech", "ani", "review page")]
    assert all(r[3].startswith("default") for r in rows)

    export = httpx.get(f"{url}/v1/review/export/review.csv", headers={"Authorization": f"Bearer {key}"}, timeout=20)
    (tmp_path / "review.csv").write_bytes(export.content)
    reviewed, pending = read_review(tmp_path / "review.csv")
    assert pending == 1
    assert dict(zip(reviewed["review_id"], reviewed["label"])) == {first: "illegal_campaign", second: "hate_speech"}
