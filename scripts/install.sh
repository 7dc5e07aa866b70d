#!/bin/sh
# `make install`: the release ./webserv, conf/ and the demo site under PREFIX (default /usr/local), staged
# under DESTDIR when given. The installed configurations and systemd unit name PREFIX's paths, never
# DESTDIR's. Nothing is started, enabled or reloaded (no systemctl).
#
#   PREFIX/sbin/webserv
#   PREFIX/etc/webserv/            default.conf, vhosts.conf, htpasswd... (paths rewritten)
#   PREFIX/share/webserv/www/      the demo site; www/uploads -> PREFIX/var/lib/webserv/uploads
#   PREFIX/var/lib/webserv/uploads the upload store (the only part of the site that is written)
#   PREFIX/var/log/webserv/        for access_log / error_log files
#   PREFIX/var/run/webserv/        the pid file (`webserv -s ...` finds the server through it)
#   PREFIX/lib/systemd/system/webserv.service
set -eu

prefix=${PREFIX:-/usr/local}
dest=${DESTDIR:-}
case $prefix in
  /*) ;;
  *) echo "install: PREFIX must be an absolute path, not \"$prefix\"" >&2; exit 1 ;;
esac
prefix=${prefix%/}
[ -x ./webserv ] || { echo "install: no ./webserv: run make first" >&2; exit 1; }

sbin=$prefix/sbin
conf=$prefix/etc/webserv
data=$prefix/share/webserv
var=$prefix/var
units=$prefix/lib/systemd/system

install -d "$dest$sbin" "$dest$conf" "$dest$data/www" "$dest$units" \
  "$dest$var/lib/webserv/uploads" "$dest$var/log/webserv" "$dest$var/run/webserv"
install -m 755 ./webserv "$dest$sbin/webserv"

# The demo site, without what uploads left in the repository's store: the installed store lives under var/.
(cd www && tar -cf - --exclude=./uploads .) | (cd "$dest$data/www" && tar -xf -)
rm -rf "$dest$data/www/uploads"
ln -s "$var/lib/webserv/uploads" "$dest$data/www/uploads"

# Configurations: the site's relative paths become installed ones, the commented pid example a live
# setting under var/ (for `webserv -s`), the error_log example a path under var/ (logs go to standard
# error, the journal under systemd, unless it is uncommented).
for file in conf/*; do
  name=${file#conf/}
  case $name in
    *.service)
      sed -e "s|/usr/local|$prefix|g" "$file" > "$dest$units/$name"
      chmod 644 "$dest$units/$name" ;;
    *.conf)
      sed -e "s|\.\./www|$data/www|g" \
          -e "s|^# pid .*|pid $var/run/webserv/webserv.pid;|" \
          -e "s|logs/error.log|$var/log/webserv/error.log|" \
          "$file" > "$dest$conf/$name"
      chmod 644 "$dest$conf/$name" ;;
    *)
      install -m 644 "$file" "$dest$conf/$name" ;;
  esac
done

echo "webserv installed under $dest$prefix"
echo "  check:   $sbin/webserv -t $conf/default.conf"
echo "  service: see README.md, \"Running as a service\" (a webserv user owning $var/*/webserv)"
