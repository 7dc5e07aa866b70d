"""Headless Chromium through the demo site of a running webserv (started by scripts/browser-test.sh).

Each step prints PASS or FAIL with what it checked; the exit status is 1 when any check failed. Every wait is
bounded (WebDriverWait, page-load and urllib timeouts), so a broken server fails a step instead of hanging.
"""
import argparse
import base64
import hashlib
import json
import os
import sys
import traceback
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

WAIT_SECONDS = 15
# Several files at once, one with a non-ASCII name, one large enough for upload progress events.
UPLOADS = {
    "notes.txt": b"Notes uploaded by the browser test.\n",
    # Two- and three-byte UTF-8 in glyphs Debian's default font draws (no CJK font is installed).
    "r\u00e9sum\u00e9 \u03a9\u03bc\u03ad\u03b3\u03b1 \u20ac.txt": "Un r\u00e9sum\u00e9 : \u03a9\u03bc\u03ad\u03b3\u03b1, 5 \u20ac.\n".encode("utf-8"),
    "random data.bin": os.urandom(300 * 1024),
}
DELETED = "notes.txt"
DEMO_USER, DEMO_PASSWORD = "demo", "demo"  # conf/htpasswd, as the home page says


class Checks:
    """PASS/FAIL lines and their count."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        line = ("PASS " if ok else "FAIL ") + what
        if detail and not ok:
            line += " -- " + detail
        print(line, flush=True)
        return ok


class Browser:
    """One headless Chromium, the statuses it saw (from its performance log) and numbered screenshots."""

    def __init__(self, base, screenshots, profile):
        self.base = base
        self.screenshots = screenshots
        self.shot = 0
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--window-size=1200,900", "--lang=en-US", f"--user-data-dir={profile}",
                         "--no-first-run", "--disable-extensions"):
            options.add_argument(argument)
        options.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.driver.set_page_load_timeout(WAIT_SECONDS)
        self.driver.set_script_timeout(WAIT_SECONDS)
        self.user_agent = self.driver.execute_script("return navigator.userAgent")

    def url(self, path):
        return self.base + path

    def wait(self, condition, message):
        return WebDriverWait(self.driver, WAIT_SECONDS).until(condition, message)

    def open(self, path):
        self.responses()  # forget what came before
        self.driver.get(path if path.startswith("http") else self.url(path))

    def responses(self):
        """(type, method, url, status, headers) of every response since the last call, redirects included."""
        seen = []
        methods = {}
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            if message["method"] == "Network.requestWillBeSent":
                redirect = params.get("redirectResponse")
                if redirect:
                    seen.append((params.get("type"), methods.get(params["requestId"]), redirect["url"],
                                 redirect["status"], redirect.get("headers", {})))
                methods[params["requestId"]] = params["request"]["method"]
            elif message["method"] == "Network.responseReceived":
                response = params["response"]
                seen.append((params.get("type"), methods.get(params["requestId"]), response["url"],
                             response["status"], response.get("headers", {})))
        return seen

    def document_status(self):
        """Status and headers of the last document the browser loaded (since the last responses() call)."""
        documents = [r for r in self.responses() if r[0] == "Document"]
        return (documents[-1][3], documents[-1][4]) if documents else (None, {})

    def text(self, selector="body"):
        return self.driver.find_element(By.CSS_SELECTOR, selector).text

    def screenshot(self, name):
        self.shot += 1
        self.driver.save_screenshot(os.path.join(self.screenshots, f"{self.shot:02d}-{name}.png"))

    def set_accept_language(self, value):
        self.driver.execute_cdp_cmd("Network.enable", {})
        self.driver.execute_cdp_cmd("Network.setUserAgentOverride",
                                    {"userAgent": self.user_agent, "acceptLanguage": value})

    def quit(self):
        self.driver.quit()


def fetch(url, headers=None):
    """Status and body of url, outside the browser (urllib, 15 s)."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def step_upload(browser, checks, files_dir):
    """Several files through the form of /upload.html; the result page names each one."""
    paths = []
    for name, data in UPLOADS.items():
        path = os.path.join(files_dir, name)
        with open(path, "wb") as file:
            file.write(data)
        paths.append(path)
    browser.open("/upload.html")
    browser.driver.find_element(By.ID, "files").send_keys("\n".join(paths))
    browser.screenshot("upload-form")
    browser.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    try:
        browser.wait(lambda d: "uploaded=" in d.current_url, "no result page after the upload")
    except TimeoutException as error:
        checks.check(False, "upload: the form post leads to the result page", str(error.msg))
        browser.screenshot("upload-result")
        return
    browser.wait(lambda d: d.execute_script("return document.readyState") == "complete", "result page loading")
    browser.screenshot("upload-result")
    posts = [r for r in browser.responses() if r[1] == "POST" and "/uploads/" in r[2]]
    checks.check(bool(posts) and posts[0][3] == 303,
                 "upload: POST /uploads/ of 3 files (one named " + list(UPLOADS)[1] + ") answers 303",
                 f"saw {[(r[2], r[3]) for r in posts]}")
    links = {a.text for a in browser.driver.find_elements(By.CSS_SELECTOR, "main a, body a")}
    missing = [name for name in UPLOADS if name not in links]
    checks.check(not missing, "upload: the result page links every stored file by its name",
                 f"missing {missing}; links {sorted(links)}")


def step_listing_and_download(browser, checks):
    """Each file in /uploads/, and the bytes behind its link are the bytes sent."""
    browser.open("/uploads/")
    status, _ = browser.document_status()
    browser.screenshot("uploads-listing")
    anchors = {a.text.rstrip("/"): a.get_attribute("href") for a in browser.driver.find_elements(By.TAG_NAME, "a")}
    missing = [name for name in UPLOADS if name not in anchors]
    checks.check(status == 200 and not missing, "listing: GET /uploads/ is 200 and lists all 3 uploaded files",
                 f"status {status}, missing {missing}, listed {sorted(anchors)}")
    checks.check(".gitkeep" not in anchors, "listing: the dot-file .gitkeep is hidden", f"listed {sorted(anchors)}")
    for name, data in UPLOADS.items():
        href = anchors.get(name)
        if href is None:
            checks.check(False, f"download: {name} byte-identical", "not in the listing")
            continue
        status, body = fetch(href)
        checks.check(status == 200 and sha256(body) == sha256(data),
                     f"download: {name} ({len(data)} bytes) from {urllib.parse.urlsplit(href).path} is byte-identical "
                     f"(sha256 {sha256(data)[:16]}...)",
                     f"status {status}, {len(body)} bytes, sha256 {sha256(body)[:16]}...")


def step_delete(browser, checks):
    """The Delete button of /uploads.html removes one file (fetch with DELETE) and the table follows."""
    browser.open("/uploads.html")
    row_xpath = f"//table[@id='files']//tr[td/a[text()='{DELETED}']]"
    try:
        browser.wait(lambda d: d.find_elements(By.XPATH, row_xpath), f"{DELETED} never listed on /uploads.html")
    except TimeoutException as error:
        checks.check(False, f"delete: /uploads.html lists {DELETED}", str(error.msg))
        browser.screenshot("uploads-page")
        return
    names = [a.text for a in browser.driver.find_elements(By.CSS_SELECTOR, "#files a")]
    checks.check(sorted(names) == sorted(UPLOADS), "delete: /uploads.html lists the 3 files from /api/uploads/ (JSON)",
                 f"listed {names}")
    browser.screenshot("uploads-page")
    browser.driver.find_element(By.XPATH, row_xpath + "//button").click()
    try:
        browser.wait(lambda d: d.find_element(By.ID, "status").text == f"Deleted {DELETED}.", "no 'Deleted' status")
        browser.wait(lambda d: not d.find_elements(By.XPATH, row_xpath), "the row stayed")
        deleted = True
    except TimeoutException as error:
        deleted = False
        checks.check(False, f"delete: the Delete button of {DELETED} answers 204", f"{error.msg}; status line "
                     f"{browser.text('#status')!r}")
    browser.screenshot("uploads-deleted")
    if deleted:
        deletes = [r for r in browser.responses() if r[1] == "DELETE"]
        checks.check(bool(deletes) and deletes[-1][3] == 204,
                     f"delete: the Delete button sends DELETE /uploads/{DELETED} (204), the page says so and drops the row",
                     f"saw {[(r[2], r[3]) for r in deletes]}")
    status, _ = fetch(browser.url("/uploads/" + DELETED))
    checks.check(status == 404, f"delete: GET /uploads/{DELETED} is now 404", f"status {status}")
    kept = [name for name in UPLOADS if name != DELETED]
    statuses = [fetch(browser.url("/uploads/" + urllib.parse.quote(name)))[0] for name in kept]
    checks.check(statuses == [200] * len(kept), "delete: the other 2 files are still served", f"statuses {statuses}")


def step_no_file(browser, checks):
    """The upload form sent with no file chosen: the server's "No file chosen" page, status 400."""
    browser.open("/upload.html")
    browser.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    try:
        browser.wait(lambda d: "No file was chosen" in d.find_element(By.TAG_NAME, "body").text,
                     "no 'No file was chosen' page")
        shown = True
    except TimeoutException:
        shown = False
    browser.screenshot("upload-no-file")
    posts = [r for r in browser.responses() if r[1] == "POST"]
    checks.check(shown and bool(posts) and posts[-1][3] == 400,
                 "no file: the form sent empty shows \"No file was chosen\" (400)",
                 f"page shown: {shown}; POST statuses {[r[3] for r in posts]}; page {browser.text()[:200]!r}")


def step_members(browser, checks):
    """/private/: 401 without credentials and with a wrong password, the page with demo/demo."""
    host = urllib.parse.urlsplit(browser.base).netloc
    browser.open("/private/")
    status, headers = browser.document_status()
    challenge = {k.lower(): v for k, v in headers.items()}.get("www-authenticate", "")
    checks.check(status == 401 and challenge.startswith("Basic"),
                 "members: /private/ without credentials is 401 with a Basic challenge",
                 f"status {status}, WWW-Authenticate {challenge!r}")
    browser.open(f"http://{DEMO_USER}:wrong-password@{host}/private/")
    status, _ = browser.document_status()
    heading = browser.driver.find_elements(By.TAG_NAME, "h1")
    heading = heading[0].text if heading else ""
    checks.check(status == 401 and heading != "Members only",
                 f"members: user {DEMO_USER} with a wrong password in the address is refused (401, no members page)",
                 f"status {status}, h1 {heading!r}")
    # Headless Chromium leaves a 401 with a challenge blank (its login prompt is invisible): the server's
    # refusal page is fetched by a page of the site, with the wrong password, and shown for the screenshot
    # ("omit": no credentials of the browser's own, and so no invisible prompt holding the answer back).
    browser.open("/")
    refused = browser.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch("/private/", { credentials: "omit", headers: { Authorization: "Basic " + btoa(arguments[0]) } })
          .then(async (r) => done([r.status, await r.text()]), (e) => done([0, String(e)]));
    """, f"{DEMO_USER}:wrong-password")
    browser.driver.execute_script("document.open(); document.write(arguments[0]); document.close();", refused[1])
    browser.screenshot("members-refused")
    heading = browser.text("h1")
    checks.check(refused[0] == 401 and heading == "401 Unauthorized",
                 "members: fetch() with the wrong password gets the server's \"401 Unauthorized\" page",
                 f"status {refused[0]}, h1 {heading!r}")
    browser.open(f"http://{DEMO_USER}:{DEMO_PASSWORD}@{host}/private/")
    status, _ = browser.document_status()
    heading = browser.driver.find_elements(By.TAG_NAME, "h1")
    heading = heading[0].text if heading else ""
    browser.screenshot("members-in")
    checks.check(status == 200 and heading == "Members only",
                 f"members: user {DEMO_USER} with password {DEMO_PASSWORD} sees the members page (200)",
                 f"status {status}, h1 {heading!r}")
    token = base64.b64encode(f"{DEMO_USER}:wrong-password".encode()).decode()
    status, _ = fetch(browser.url("/private/"), {"Authorization": "Basic " + token})
    checks.check(status == 401, "members: the wrong password outside the browser is 401 too", f"status {status}")


def language_shown(browser):
    lang = browser.driver.find_element(By.TAG_NAME, "html").get_attribute("lang")
    return lang, browser.text("h1")


def step_languages(browser, checks):
    """/lang/page.html follows Accept-Language; the switcher links move between the variants."""
    english = ("en", "One page, two languages")
    french = ("fr", "Une page, deux langues")
    for accept, expected, label in (("en-US,en", english, "English"), ("fr-FR,fr", french, "French"),
                                    ("de", english, "the default (English)")):
        browser.set_accept_language(accept)
        browser.open("/lang/page.html")
        status, headers = browser.document_status()
        headers = {k.lower(): v for k, v in headers.items()}
        shown = language_shown(browser)
        checks.check(status == 200 and shown == expected and "accept-language" in headers.get("vary", "").lower(),
                     f"languages: Accept-Language {accept} gets {label} (200, Content-Language "
                     f"{headers.get('content-language')}, Vary: {headers.get('vary')})",
                     f"status {status}, page {shown}")
    browser.set_accept_language("en-US,en")
    browser.open("/lang/page.html")
    browser.screenshot("lang-english")
    browser.driver.find_element(By.LINK_TEXT, "Français").click()
    try:
        browser.wait(lambda d: language_shown(browser) == french, "no French page")
        ok = True
    except TimeoutException:
        ok = False
    browser.screenshot("lang-french")
    checks.check(ok, "languages: the switcher's Français link shows the French page",
                 f"page {language_shown(browser)}")
    browser.driver.find_element(By.LINK_TEXT, "English").click()
    try:
        browser.wait(lambda d: language_shown(browser) == english, "no English page")
        ok = True
    except TimeoutException:
        ok = False
    checks.check(ok, "languages: the switcher's English link goes back", f"page {language_shown(browser)}")


def step_cgi(browser, checks, files_dir):
    """The PHP form (fields and a file), the PHP session counter, and the two Python scripts."""
    path = os.path.join(files_dir, "for-php.txt")
    data = b"A file for PHP's $_FILES.\n"
    with open(path, "wb") as file:
        file.write(data)
    browser.open("/cgi-bin/form.php")
    status, _ = browser.document_status()
    checks.check(status == 200 and browser.text("h1") == "A PHP form", "php: /cgi-bin/form.php shows its form (200)",
                 f"status {status}, h1 {browser.text('h1')!r}")
    browser.driver.find_element(By.ID, "name").send_keys("Zo\u00eb")
    browser.driver.find_element(By.ID, "message").send_keys("Hello from Chromium")
    browser.driver.find_element(By.ID, "upload").send_keys(path)
    browser.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    try:
        browser.wait(lambda d: "$_FILES" in d.find_element(By.TAG_NAME, "body").text, "no $_FILES section")
        body = browser.text()
    except TimeoutException:
        body = browser.text()
    browser.screenshot("php-form-posted")
    checks.check("Zo\u00eb" in body and "Hello from Chromium" in body and sha256(data) in body
                 and "received" in body,
                 "php: the posted form shows the fields in $_POST and the file in $_FILES with its sha256",
                 f"page {body[:300]!r}")
    visits = []
    for _ in range(2):
        browser.open("/cgi-bin/session.php")
        visits.append(browser.text("#visits"))
    browser.screenshot("php-session")
    checks.check(len(visits) == 2 and visits[0].isdigit() and visits[1] == str(int(visits[0]) + 1),
                 f"php: the session counter goes up on a second visit (cookie kept): {' -> '.join(visits)}",
                 f"visits {visits}")
    browser.open("/cgi-bin/env.py")
    status, _ = browser.document_status()
    rows = {}
    for row in browser.driver.find_elements(By.CSS_SELECTOR, "table tr"):
        cells = row.find_elements(By.CSS_SELECTOR, "th, td")
        if len(cells) == 2:
            rows[cells[0].text] = cells[1].text
    browser.screenshot("python-env")
    checks.check(status == 200 and rows.get("GATEWAY_INTERFACE") == "CGI/1.1" and rows.get("REQUEST_METHOD") == "GET",
                 "python: /cgi-bin/env.py shows GATEWAY_INTERFACE CGI/1.1 and REQUEST_METHOD GET",
                 f"status {status}, GATEWAY_INTERFACE {rows.get('GATEWAY_INTERFACE')!r}")
    browser.open("/cgi-bin/query.py")
    field = browser.driver.find_element(By.NAME, "q")
    field.clear()
    field.send_keys("hello w\u00f6rld")
    browser.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    try:
        browser.wait(lambda d: d.find_element(By.ID, "raw").text.startswith("q="), "no query echoed")
    except TimeoutException:
        pass
    raw = browser.text("#raw")
    browser.screenshot("python-query")
    checks.check(raw == "q=hello+w%C3%B6rld", "python: /cgi-bin/query.py echoes the search form's query q=hello+w%C3%B6rld",
                 f"raw {raw!r}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="http://127.0.0.1:PORT of the running server")
    parser.add_argument("--site", required=True, help="the server's copy of www/")
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("--work", required=True, help="a scratch directory (files to upload, browser profile)")
    arguments = parser.parse_args()
    files_dir = os.path.join(arguments.work, "to-upload")
    os.makedirs(files_dir, exist_ok=True)

    checks = Checks()
    try:
        browser = Browser(arguments.base, arguments.screenshots, os.path.join(arguments.work, "profile"))
    except WebDriverException as error:
        checks.check(False, "chromium: headless Chromium starts through chromedriver", error.msg or str(error))
        return 1
    print(f"chromium: {browser.driver.capabilities.get('browserVersion')}, {arguments.base}", flush=True)
    steps = [
        ("upload", lambda: step_upload(browser, checks, files_dir)),
        ("listing and download", lambda: step_listing_and_download(browser, checks)),
        ("delete", lambda: step_delete(browser, checks)),
        ("no file", lambda: step_no_file(browser, checks)),
        ("members", lambda: step_members(browser, checks)),
        ("languages", lambda: step_languages(browser, checks)),
        ("cgi", lambda: step_cgi(browser, checks, files_dir)),
    ]
    try:
        for name, step in steps:
            try:
                step()
            except Exception as error:  # a step that broke is a failure; the next steps still run
                message = (getattr(error, "msg", None) or str(error)).strip()
                frame = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == __file__][-1]
                checks.check(False, f"{name}: the step ran to its end",
                             f"{type(error).__name__} at line {frame.lineno} ({frame.line}): "
                             f"{message.splitlines()[0] if message else ''}")
                try:
                    browser.screenshot(f"{name.replace(' ', '-')}-error")
                except WebDriverException:
                    pass
    finally:
        browser.quit()
    print(f"browser-test: {checks.passed} passed, {checks.failed} failed", flush=True)
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
