<?php
// A form that posts to itself (multipart, so it can carry a file) and shows what PHP received.
function h($text) { return htmlspecialchars((string)$text, ENT_QUOTES, 'UTF-8'); }

function rows($values, $prefix = '') {
    $out = '';
    foreach ($values as $name => $value) {
        $key = $prefix === '' ? $name : $prefix . '[' . $name . ']';
        if (is_array($value)) {
            $out .= rows($value, $key);
        } else {
            $out .= '<tr><th>' . h($key) . '</th><td>' . h($value) . "</td></tr>\n";
        }
    }
    return $out;
}
// PHP's UPLOAD_ERR_* codes in words, so a visitor reads why a file did not arrive rather than "error 1".
function upload_error($code) {
    switch ($code) {
        case UPLOAD_ERR_OK: return 'received';
        case UPLOAD_ERR_INI_SIZE: return 'larger than upload_max_filesize (' . ini_get('upload_max_filesize') . ' in php.ini)';
        case UPLOAD_ERR_FORM_SIZE: return "larger than the form's MAX_FILE_SIZE";
        case UPLOAD_ERR_PARTIAL: return 'only partly received';
        case UPLOAD_ERR_NO_FILE: return 'no file was chosen';
        case UPLOAD_ERR_NO_TMP_DIR: return 'PHP has no temporary directory';
        case UPLOAD_ERR_CANT_WRITE: return 'PHP could not write it to disk';
        case UPLOAD_ERR_EXTENSION: return 'a PHP extension stopped it';
        default: return 'unknown error';
    }
}
$posted = $_SERVER['REQUEST_METHOD'] === 'POST';
?>
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>PHP form — webserv</title>
  <link rel="stylesheet" href="/style.css">
  <link rel="icon" href="/favicon.ico">
  <style>
    table { border-collapse: collapse; width: 100%; }
    th, td { text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid #e3e0d8; vertical-align: top; }
    td { font-family: ui-monospace, monospace; font-size: 0.9em; word-break: break-all; }
    form p { margin: 0.6rem 0; }
    label { display: block; font-weight: 600; }
    input[type=text], textarea { width: 100%; box-sizing: border-box; font: inherit; }
  </style>
</head>
<body>
  <header>
    <img src="/images/logo.png" alt="webserv logo" width="64" height="64">
    <h1>A PHP form</h1>
    <p class="tagline">Run by <code>php-cgi</code> through CGI: the body is streamed into its standard input.</p>
  </header>
  <nav>
    <a href="/">Home</a>
    <a href="/about.html">About</a>
    <a href="/files/">Files</a>
  </nav>
  <main>
    <section>
      <h2>Send something</h2>
      <form method="post" action="/cgi-bin/form.php" enctype="multipart/form-data">
        <p><label for="name">Name</label><input type="text" id="name" name="name" value="<?= h($_POST['name'] ?? '') ?>"></p>
        <p><label for="message">Message</label><textarea id="message" name="message" rows="3"><?= h($_POST['message'] ?? '') ?></textarea></p>
        <p><label for="upload">A file (up to <?= h(ini_get('upload_max_filesize')) ?>)</label><input type="file" id="upload" name="upload"></p>
        <p><button type="submit">Post it</button></p>
      </form>
    </section>
<?php if ($posted): ?>
    <section>
      <h2><code>$_POST</code></h2>
<?php if (empty($_POST)): ?>
      <p>Empty.</p>
<?php else: ?>
      <table>
<?= rows($_POST) ?>
      </table>
<?php endif; ?>
    </section>
    <section>
      <h2><code>$_FILES</code></h2>
<?php if (empty($_FILES)): ?>
      <p>No file field arrived.</p>
<?php else: ?>
      <table>
        <tr><th>field</th><th>name</th><th>type</th><th>size</th><th>error</th><th>sha256</th></tr>
<?php foreach ($_FILES as $field => $file): ?>
        <tr><td><?= h($field) ?></td><td><?= h($file['name']) ?></td><td><?= h($file['type']) ?></td>
          <td><?= h($file['size']) ?></td><td><?= h($file['error']) ?>: <?= h(upload_error($file['error'])) ?></td>
          <td><?= $file['error'] === UPLOAD_ERR_OK ? h(hash_file('sha256', $file['tmp_name'])) : '' ?></td></tr>
<?php endforeach; ?>
      </table>
<?php endif; ?>
      <p>Request: <code><?= h($_SERVER['REQUEST_METHOD']) ?></code>, <code>CONTENT_LENGTH</code>
        <?= h($_SERVER['CONTENT_LENGTH'] ?? '') ?>, <code>CONTENT_TYPE</code> <?= h($_SERVER['CONTENT_TYPE'] ?? '') ?>.</p>
    </section>
<?php endif; ?>
  </main>
  <footer>webserv · PHP <?= h(PHP_VERSION) ?> · <a href="/">home</a></footer>
</body>
</html>
