# A Python tool from PyPI in a virtual environment of its own (test peers:
# aiosmtpd, pyairtable). venv_install DIR SPEC MODULE: creates DIR and
# installs SPEC into it unless MODULE already imports there.
venv_install() {
    local dir=$1 spec=$2 module=$3
    if ! "$dir/bin/python" -c "import $module" 2>/dev/null; then
        echo "installing $spec into $dir" >&2
        python3 -m venv "$dir"
        "$dir/bin/pip" install -q --disable-pip-version-check "$spec" >&2
    fi
}
