#!/usr/bin/env bash
# Check that the English catalogue is up to date with the source.
#
#   scripts/check_messages.sh          (from anywhere; YBSS_PYTHON=... to pick the interpreter)
#
# Runs the same makemessages as the one used to maintain the catalogue, but on a
# temporary copy of the sources and catalogue, so the working tree is never
# written. Fails (exit 1) when
#   - a msgid in the source is missing from ybss/locale/en/LC_MESSAGES/django.po,
#     or is there but untranslated or fuzzy;
#   - the .po keeps a msgid the source no longer uses;
#   - a translation's placeholders don't match its msgid (msgfmt --check-format);
#   - django.mo is missing or holds other translations than compiling the .po gives.
# To fix: see the commands printed at the end of a failing run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# YBSS_PYTHON, not PYTHON: the Makefile and CI use PYTHON for the interpreter that builds .venv.
PYTHON="${YBSS_PYTHON:-$ROOT/.venv/bin/python}"
LOCALE_REL="locale/en/LC_MESSAGES"
PO="$ROOT/ybss/$LOCALE_REL/django.po"
MO="$ROOT/ybss/$LOCALE_REL/django.mo"
# Keep in step with the makemessages command in the fix hint at the end.
MAKEMESSAGES_ARGS=(-l en --ignore "addressing/*" --ignore "lib/*" --no-location)

fail() {
	echo "check_messages: $*" >&2
	exit 1
}

# msgcmp names entries by file:line; print the msgids themselves instead.
explain() {
	"$PYTHON" - "$1" "$2" <<'PY'
import ast
import re
import sys

for report in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"^(.+?):(\d+): (.*)$", report.rstrip("\n"))
    if not m or "this message is not used" in report:  # the stale check reports those
        continue
    path, why = m.group(1), re.sub(r" in \S+$", "", m.group(3))
    why = {"this message is used but not defined": sys.argv[2]}.get(why, why)
    lines = open(path, encoding="utf-8").read().split("\n")
    i = int(m.group(2)) - 1  # msgcmp points at the entry's msgstr; walk back to its msgid
    while 0 < i < len(lines) and lines[i].strip() and not lines[i].startswith("msgid "):
        i -= 1
    if not 0 <= i < len(lines) or not lines[i].startswith("msgid "):
        print(f"  {report.strip()}", file=sys.stderr)
        continue
    text, j = ast.literal_eval(lines[i][len("msgid ") :]), i + 1
    while j < len(lines) and lines[j].startswith('"'):
        text += ast.literal_eval(lines[j])
        j += 1
    ctx = lines[i - 1][len("msgctxt ") :] if i and lines[i - 1].startswith("msgctxt ") else ""
    shown = f"[{ast.literal_eval(ctx)}] {text}" if ctx else text
    print(f"  {shown!r}: {why}", file=sys.stderr)
PY
}

for tool in msgfmt msgcmp msguniq msgmerge xgettext; do
	command -v "$tool" >/dev/null || fail "$tool not found; install gettext (apt-get install gettext)"
done
[ -x "$PYTHON" ] || command -v "$PYTHON" >/dev/null || fail "no Python at $PYTHON (set YBSS_PYTHON=...)"
[ -f "$PO" ] || fail "missing $PO"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/ybss-messages.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

# The files makemessages reads for the "django" domain (.py, .html, .txt), with
# the same layout, plus the committed catalogue for it to merge into.
SRC="$TMP/src"
mkdir -p "$SRC/$LOCALE_REL"
(cd "$ROOT/ybss" && find . -path ./locale -prune -o -type f \
	\( -name '*.py' -o -name '*.html' -o -name '*.txt' \) -print0 |
	tar --null -cf - -T -) | tar -xf - -C "$SRC"
cp "$PO" "$SRC/$LOCALE_REL/django.po"

# The project's settings, with the catalogue pointed at the copy.
cat >"$TMP/ybss_check_messages_settings.py" <<'EOF'
import os
from pathlib import Path

from ybss.settings import *  # noqa: F403

LOCALE_PATHS = [Path(os.environ["YBSS_CHECK_LOCALE_DIR"])]
EOF

(
	cd "$SRC"
	env SECRET_KEY="${SECRET_KEY:-check-messages}" YBSS_ENV_FILE=/nonexistent \
		YBSS_VAR_DIR="$TMP/var" YBSS_CHECK_LOCALE_DIR="$SRC/locale" \
		DJANGO_SETTINGS_MODULE=ybss_check_messages_settings \
		PYTHONPATH="$TMP${PYTHONPATH:+:$PYTHONPATH}" \
		"$PYTHON" -m django makemessages "${MAKEMESSAGES_ARGS[@]}" --verbosity 0
) >"$TMP/makemessages.log" 2>&1 || {
	cat "$TMP/makemessages.log" >&2
	fail "makemessages failed"
}
FRESH="$SRC/$LOCALE_REL/django.po"

problems=0

# Every msgid the source uses must be in the committed .po, translated, not fuzzy.
if ! msgcmp --no-fuzzy-matching "$PO" "$FRESH" >"$TMP/missing.log" 2>&1; then
	echo "check_messages: msgids missing, untranslated or fuzzy in ${PO#"$ROOT"/}:" >&2
	explain "$TMP/missing.log" "missing"
	problems=1
fi

# And the committed .po keeps no msgid the source stopped using.
if ! msgcmp --no-fuzzy-matching --use-untranslated --use-fuzzy "$FRESH" "$PO" >"$TMP/stale.log" 2>&1; then
	echo "check_messages: msgids in ${PO#"$ROOT"/} that the source no longer uses:" >&2
	explain "$TMP/stale.log" "no longer used"
	problems=1
fi

# The .po compiles, placeholders agree, and the committed .mo is what it compiles to.
if ! msgfmt --check-format -o "$TMP/django.mo" "$PO" 2>"$TMP/msgfmt.log"; then
	echo "check_messages: msgfmt --check-format rejects ${PO#"$ROOT"/}:" >&2
	sed 's/^/  /' "$TMP/msgfmt.log" >&2
	problems=1
elif [ ! -f "$MO" ]; then
	echo "check_messages: ${MO#"$ROOT"/} is missing" >&2
	problems=1
else
	# Compare what the two files translate, not their bytes: msgfmt versions
	# lay out the hash table differently. (File times say nothing after a git
	# checkout, so they are not compared.)
	if ! "$PYTHON" - "$MO" "$TMP/django.mo" <<'EOF'
import gettext
import sys

committed, fresh = (gettext.GNUTranslations(open(p, "rb"))._catalog for p in sys.argv[1:3])
if committed != fresh:
    keys = sorted(set(committed) ^ set(fresh), key=str) + sorted(
        (k for k in set(committed) & set(fresh) if committed[k] != fresh[k]), key=str
    )
    print("check_messages: django.mo differs from compiling django.po; first differences:", file=sys.stderr)
    for key in keys[:10]:
        print(f"  {key!r}: mo={committed.get(key)!r} po={fresh.get(key)!r}", file=sys.stderr)
    sys.exit(1)
EOF
	then
		problems=1
	fi
fi

if [ "$problems" -ne 0 ]; then
	cat >&2 <<EOF
check_messages: the English catalogue is out of date. To update it:
  cd ybss && SECRET_KEY=x YBSS_ENV_FILE=/nonexistent ../.venv/bin/python -m ybss.cli makemessages \\
      -l en --ignore "addressing/*" --ignore "lib/*" --no-location
  (translate the new or fuzzy entries in ybss/$LOCALE_REL/django.po)
  cd ybss && SECRET_KEY=x YBSS_ENV_FILE=/nonexistent ../.venv/bin/python -m ybss.cli compilemessages -l en
EOF
	exit 1
fi
echo "check_messages: English catalogue is up to date ($(($(grep -c '^msgid ' "$FRESH") - 1)) messages)."
