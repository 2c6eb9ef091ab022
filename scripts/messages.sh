#!/usr/bin/env bash
# Refresh the Chinese message catalogue from the code, then compile it.
# Needs GNU gettext (Debian: apt-get install gettext).
set -euo pipefail
cd "$(dirname "$0")/../src/kefu"
DJANGO_SETTINGS_MODULE=kefu.settings_test django-admin makemessages -l zh_Hans \
  --ignore "*/tests/*" --ignore "settings_test.py" --no-obsolete
DJANGO_SETTINGS_MODULE=kefu.settings_test django-admin compilemessages -l zh_Hans
