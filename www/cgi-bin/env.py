# The CGI environment this script was started with, as an HTML table.
import html
import os
import sys

rows = "\n".join(
    f"        <tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>"
    for name, value in sorted(os.environ.items())
)
body = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>CGI environment — webserv</title>
  <link rel="stylesheet" href="/style.css">
  <link rel="icon" href="/favicon.ico">
  <style>
    table {{ border-collapse: collapse; width: 100%; }}
    th, td {{ text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid #e3e0d8; vertical-align: top; }}
    td {{ font-family: ui-monospace, monospace; font-size: 0.85em; word-break: break-all; }}
  </style>
</head>
<body>
  <header>
    <img src="/images/logo.png" alt="webserv logo" width="64" height="64">
    <h1>CGI environment</h1>
    <p class="tagline">What <code>python3 {html.escape(os.path.basename(sys.argv[0]))}</code> was given (RFC 3875 meta-variables).</p>
  </header>
  <nav>
    <a href="/">Home</a>
    <a href="/about.html">About</a>
    <a href="/files/">Files</a>
  </nav>
  <main>
    <section>
      <p>Try <a href="/cgi-bin/env.py/extra/path?a=1&amp;b=two">a path after the script and a query</a>.
        Working directory: <code>{html.escape(os.getcwd())}</code>.</p>
      <table>
{rows}
      </table>
    </section>
  </main>
  <footer>webserv · Python {html.escape(sys.version.split()[0])} · <a href="/">home</a></footer>
</body>
</html>
"""
sys.stdout.buffer.write(b"Content-Type: text/html; charset=utf-8\r\n\r\n")
sys.stdout.buffer.write(body.encode("utf-8"))
