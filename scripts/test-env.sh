# Sourced by scripts/test and .ci/run: a Python virtualenv with aiosmtpd (the real SMTP server the
# email tests talk to) and PyYAML (to check docker-compose.yml). Created once under target/;
# exports WUFEI_TEST_PYTHON.
venv="${WUFEI_TEST_VENV:-target/test-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import aiosmtpd, yaml" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd>=1.4,<2" "PyYAML>=6,<7"
fi
export WUFEI_TEST_PYTHON="$PWD/$venv/bin/python"
