#!/usr/bin/env bash
# `cmake --install` into a staging DESTDIR installs exactly the listed
# files; the man pages render without warnings and document every option
# the binary's --help lists; systemd-analyze accepts the installed units;
# the bash completion completes subcommands and options.
# Usage: install_test.sh BUILD_DIR PREFIX (the prefix the build was configured with)
set -euo pipefail
build=$1
prefix=${2#/}
commands=(image delta apply publish repair resign status verify)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/root
fail() {
  echo "install_test: FAIL: $*" >&2
  exit 1
}

DESTDIR=$root cmake --install "$build" >"$stage/install.log" || {
  cat "$stage/install.log"
  fail "cmake --install into $root failed"
}

check_file_list() {
  local expected=(
    "$prefix/bin/squashpub"
    "$prefix/share/man/man1/squashpub.1"
    "$prefix/share/doc/squashpub/examples/gentoo.json"
    "$prefix/share/doc/squashpub/examples/minimal.json"
    "$prefix/lib/systemd/system/squashpub@.service"
    "$prefix/lib/systemd/system/squashpub@.timer"
    "$prefix/lib/sysusers.d/squashpub.conf"
    "$prefix/share/bash-completion/completions/squashpub"
  )
  for command in "${commands[@]}"; do
    expected+=("$prefix/share/man/man1/squashpub-$command.1")
  done
  printf '%s\n' "${expected[@]}" | sort >"$stage/expected"
  (cd "$root" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort) >"$stage/actual"
  diff -u "$stage/expected" "$stage/actual" || fail "installed files differ from the list (- missing, + unexpected)"
  [ -x "$root/$prefix/bin/squashpub" ] || fail "$prefix/bin/squashpub is not executable"
}

render() {
  MANWIDTH=200 man -l "$1" 2>/dev/null | col -b
}

# Checks page: fails on any groff warning, a wrong NAME, or an option of
# `squashpub ARGS --help` that the page does not show.
check_man_page() {
  local page=$1 name=$2
  shift 2
  local warnings
  warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1) || fail "$page: groff failed: $warnings"
  [ -z "$warnings" ] || fail "$page: groff warnings: $warnings"
  render "$page" >"$stage/page.txt"
  grep -q "^ *$name - " "$stage/page.txt" || fail "$page: NAME is not '$name - ...'"
  local option
  for option in $("$root/$prefix/bin/squashpub" "$@" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
    grep -q -- "$option" "$stage/page.txt" || fail "$page: $option of '$*' --help is missing"
  done
}

check_man_pages() {
  local man1=$root/$prefix/share/man/man1
  check_man_page "$man1/squashpub.1" squashpub
  for command in "${commands[@]}"; do
    check_man_page "$man1/squashpub-$command.1" "squashpub-$command" "$command"
    grep -q "squashpub-$command(1)" <(render "$man1/squashpub.1") ||
      fail "squashpub.1 does not refer to squashpub-$command(1)"
  done
}

# systemd-analyze verify loads units as the system manager would, in the
# staged root: it needs the standard targets there, and ExecStart's binary.
check_units() {
  local units=$root/$prefix/lib/systemd/system
  cp -P /lib/systemd/system/*.target /lib/systemd/system/*.slice "$units/"
  local output
  output=$(cd "$units" && systemd-analyze verify --man=no --root="$root" \
    "$units/squashpub@gentoo.service" "$units/squashpub@gentoo.timer" 2>&1) ||
    fail "systemd-analyze verify: $output"
  [ -z "$output" ] || fail "systemd-analyze verify warns: $output"
  grep -q "^ExecStart=/$prefix/bin/squashpub publish --config /.*/squashpub/%i.json\$" \
    "$units/squashpub@.service" || fail "squashpub@.service: unexpected ExecStart"
}

# Completion as bash runs it: COMP_WORDS in, COMPREPLY out.
complete_words() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _squashpub
           printf "%s\n" "${COMPREPLY[@]}"' - \
    "$root/$prefix/share/bash-completion/completions/squashpub" "$@"
}

check_completion() {
  local binary=$root/$prefix/bin/squashpub
  [ "$(complete_words "$binary" ima)" = image ] || fail "completion of 'ima' is not 'image'"
  [ "$(complete_words "$binary" res)" = resign ] || fail "completion of 'res' is not 'resign'"
  [ "$(complete_words "$binary" resign --con)" = --config ] ||
    fail "completion of 'resign --con' is not '--config'"
  [ "$(complete_words "$binary" image --layout-f)" = --layout-from ] ||
    fail "completion of 'image --layout-f' is not '--layout-from'"
  [ "$(complete_words "$binary" image --compressor x)" = xz ] ||
    fail "completion of '--compressor x' is not 'xz'"
  [ "$(complete_words "$binary" "" | wc -l)" -ge "${#commands[@]}" ] ||
    fail "completion does not list every command"
}

check_file_list
check_man_pages
check_units
check_completion
echo "install_test: ok ($(wc -l <"$stage/actual") files)"
