# Echoes the query string: raw, then decoded into name/value pairs.
import html
import os
import sys
from urllib.parse import parse_qsl

raw = os.environ.get("QUERY_STRING", "")
pairs = parse_qsl(raw, keep_blank_values=True)
rows = "\n".join(
    f"        <tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>" for name, value in pairs
) or "        <tr><td colspan=\"2\">(no parameters)</td></tr>"
body = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Query string — webserv</title>
  <link rel="stylesheet" href="/style.css">
  <link rel="icon" href="/favicon.ico">
  <style>
    table {{ border-collapse: collapse; width: 100%; }}
    th, td {{ text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid #e3e0d8; }}
  </style>
</head>
<body>
  <header>
    <img src="/images/logo.png" alt="webserv logo" width="64" height="64">
    <h1>Query string echo</h1>
    <p class="tagline">A Python CGI script reading <code>QUERY_STRING</code>.</p>
  </header>
  <nav>
    <a href="/">Home</a>
    <a href="/about.html">About</a>
    <a href="/files/">Files</a>
  </nav>
  <main>
    <section>
      <form method="get" action="/cgi-bin/query.py">
        <p><input type="text" name="q" value="{html.escape(dict(pairs).get("q", ""))}"> <button type="submit">Search</button></p>
      </form>
      <p>Raw: <code id="raw">{html.escape(raw) or "(empty)"}</code></p>
      <table>
{rows}
      </table>
      <p>Try <a href="/cgi-bin/query.py?q=hello+world&amp;lang=en&amp;empty=">a query with a space and an empty value</a>.</p>
    </section>
  </main>
  <footer>webserv · <a href="/">home</a></footer>
</body>
</html>
"""
sys.stdout.write("Content-Type: text/html; charset=utf-8\r\n\r\n")
sys.stdout.write(body)
