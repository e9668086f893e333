#!/bin/sh
# install.sh install DESTDIR MANIFEST < ITEMS
# install.sh uninstall DESTDIR MANIFEST
#
# `make install` and `make uninstall`. ITEMS are lines
#     MODE SOURCE DEST      a file (install -m MODE)
#     link TARGET DEST      a symbolic link DEST -> TARGET
# with DEST an absolute path below the prefix (DESTDIR is prepended here).
# install writes MANIFEST (also absolute, itself installed) listing every
# file and link it wrote and every directory it had to create; uninstall
# removes exactly those, so it needs neither the source tree nor the same
# make variables, and never touches a file or directory it did not create.
# A reinstall removes what the previous manifest listed and this one does
# not (a man page dropped from the sources). Paths have no spaces.
set -eu
export LC_ALL=C

mode=$1 destdir=$2 manifest=$3

die() { echo "install.sh: $*" >&2; exit 1; }

# A manifest path must be absolute and stay below DESTDIR.
check_path() {
  case $1 in
    /*) ;;
    *) die "refusing '$1' from the manifest: not absolute" ;;
  esac
  case $1 in
    */../* | */..) die "refusing '$1' from the manifest: contains .." ;;
  esac
}

# Creates the directories leading to $1 that do not exist yet, and records
# them (outermost first) in $new.
make_parents() {
  dir=${1%/*} missing=""
  while [ -n "$dir" ] && [ ! -d "$destdir$dir" ]; do
    missing="$dir $missing"
    dir=${dir%/*}
  done
  for dir in $missing; do
    mkdir "$destdir$dir"
    echo "dir $dir" >>"$new"
  done
}

# Directories already created by a previous install stay recorded.
keep_old_dirs() {
  [ -f "$destdir$manifest" ] || return 0
  grep '^dir ' "$destdir$manifest" >>"$new" || true
}

remove_entries() { # FILE: the manifest lines to undo, files first, then dirs deepest first
  while read -r kind path; do
    check_path "$path"
    case $kind in
      file | link) rm -f "$destdir$path" ;;
    esac
  done <"$1"
  grep '^dir ' "$1" | sort -r -k 2 | while read -r kind path; do
    check_path "$path"
    rmdir "$destdir$path" 2>/dev/null || true   # not empty: something else lives there
  done
}

do_install() {
  new=$(mktemp "${TMPDIR:-/tmp}/schemac-manifest.XXXXXX")
  trap 'rm -f "$new" "$new.stale"' EXIT
  # DESTDIR is a staging root, not ours: created, never recorded.
  [ -z "$destdir" ] || mkdir -p "$destdir"
  keep_old_dirs
  while read -r how src dest; do
    [ -n "$how" ] || continue
    check_path "$dest"
    make_parents "$dest"
    if [ "$how" = link ]; then
      ln -sfn "$src" "$destdir$dest"
      echo "link $dest" >>"$new"
    else
      install -m "$how" "$src" "$destdir$dest"
      echo "file $dest" >>"$new"
    fi
    echo "  $dest"
  done
  make_parents "$manifest"
  echo "file $manifest" >>"$new"
  if [ -f "$destdir$manifest" ]; then
    grep -v '^dir ' "$destdir$manifest" | sort >"$new.stale.old" || true
    grep -v '^dir ' "$new" | sort | comm -23 "$new.stale.old" - >"$new.stale"
    rm -f "$new.stale.old"
    remove_entries "$new.stale"
  fi
  sort -u "$new" -o "$new"
  install -m 0644 "$new" "$destdir$manifest"
  echo "  $manifest (the list make uninstall removes)"
}

do_uninstall() {
  if [ ! -f "$destdir$manifest" ]; then
    echo "nothing to uninstall: no $destdir$manifest"
    return 0
  fi
  list=$(mktemp "${TMPDIR:-/tmp}/schemac-manifest.XXXXXX")
  trap 'rm -f "$list"' EXIT
  cp "$destdir$manifest" "$list"
  grep -v '^dir ' "$list" | while read -r kind path; do echo "  rm $path"; done
  remove_entries "$list"
}

case $mode in
  install) do_install ;;
  uninstall) do_uninstall ;;
  *) die "usage: install.sh install|uninstall DESTDIR MANIFEST" ;;
esac
