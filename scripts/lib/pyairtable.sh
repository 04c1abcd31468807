# pyairtable (PyPI), the Airtable client the simulator's webhook routes are
# checked against, unchanged. Sourced by scripts/test.sh.
# pyairtable_install: installs it into its own virtual environment when
# missing and exports PYAIRTABLE_PYTHON (that environment's python).
PYAIRTABLE_VERSION=3.5.1
PYAIRTABLE_VENV=${PYAIRTABLE_VENV:-$HOME/.cache/provisiond/pyairtable-$PYAIRTABLE_VERSION}

pyairtable_install() {
    venv_install "$PYAIRTABLE_VENV" "pyairtable==$PYAIRTABLE_VERSION" pyairtable
    export PYAIRTABLE_PYTHON="$PYAIRTABLE_VENV/bin/python"
    export PYAIRTABLE_SCRIPT="$PWD/scripts/lib/pyairtable_webhooks.py"
}
