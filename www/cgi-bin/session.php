<?php
// A visit counter kept in a PHP session: the PHPSESSID cookie comes back in HTTP_COOKIE.
// php-cgi has no writable default save path here, so the system's temporary directory is used.
session_save_path(sys_get_temp_dir());
session_start();
$reset = isset($_GET['reset']);
if ($reset) {
    $_SESSION = [];
}
$_SESSION['visits'] = ($_SESSION['visits'] ?? 0) + 1;
$_SESSION['first'] = $_SESSION['first'] ?? date('Y-m-d H:i:s');
function h($text) { return htmlspecialchars((string)$text, ENT_QUOTES, 'UTF-8'); }
?>
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>PHP session — webserv</title>
  <link rel="stylesheet" href="/style.css">
  <link rel="icon" href="/favicon.ico">
</head>
<body>
  <header>
    <img src="/images/logo.png" alt="webserv logo" width="64" height="64">
    <h1>A session counter</h1>
    <p class="tagline">PHP sessions over CGI: a cookie goes out with <code>Set-Cookie</code> and comes back.</p>
  </header>
  <nav>
    <a href="/">Home</a>
    <a href="/about.html">About</a>
    <a href="/files/">Files</a>
  </nav>
  <main>
    <section>
      <h2>Visits: <span id="visits"><?= (int)$_SESSION['visits'] ?></span></h2>
      <p>Reload the page and the number goes up<?= $reset ? ' (the counter was just reset)' : '' ?>.
        This session started <?= h($_SESSION['first']) ?>.</p>
      <p>Session id <code><?= h(session_id()) ?></code>; the cookie your browser sent:
        <code><?= h($_SERVER['HTTP_COOKIE'] ?? '(none yet)') ?></code>.</p>
      <p><a href="/cgi-bin/session.php">Count again</a> · <a href="/cgi-bin/session.php?reset=1">Reset</a></p>
    </section>
  </main>
  <footer>webserv · <a href="/">home</a></footer>
</body>
</html>
