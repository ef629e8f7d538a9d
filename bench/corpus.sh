#!/usr/bin/env bash
# Assemble a corpus of real third-party Go and Python source code for
# connlint false-positive hunting and benchmarks.
#
# Usage: bench/corpus.sh [DEST]        (default DEST=/tmp/connlint-corpus)
#
# Layout produced:
#   DEST/go/go-1.19-src          Go 1.19 standard library (Debian golang-1.19-src)
#   DEST/go/<short-name>         Go libraries from Debian golang-*-dev packages
#   DEST/python/<pkg>-<version>  extracted PyPI sdists (wheel contents as fallback)
#   DEST/VERSIONS.txt            every package and the version obtained
#
# Everything under DEST/go and DEST/python is a real copy (no symlinks), so a
# linter that refuses to follow symlinks out of the tree still reads it all.
#
# Idempotent: each finished item leaves a stamp in DEST/.stamps; an item whose
# directory and stamp already exist (and, for Go, whose installed Debian
# version is unchanged) is skipped.  Partial copies are built in a temporary
# directory and moved into place only once complete.
#
# Needs root (or sudo) for apt-get the first time; Python part needs pip and
# access to PyPI.  One failing package never aborts the run: failures are
# listed at the end and the script then exits 1 (0 if everything succeeded;
# optional apt packages that apt does not offer are skipped, not failures).
#
# Env: PYTHON (default python3) selects the interpreter whose pip is used.

set -euo pipefail

DEST=${1:-/tmp/connlint-corpus}
PYTHON=${PYTHON:-python3}

GO_SRC_PKG=golang-1.19-src
GO_SRC_DIR=/usr/share/go-1.19/src
GOCODE=/usr/share/gocode/src

# debian package | short name | module path under $GOCODE
GO_REQUIRED=(
  "golang-github-gin-gonic-gin-dev|gin|github.com/gin-gonic/gin"
  "golang-github-labstack-echo-dev|echo|github.com/labstack/echo"
  "golang-github-valyala-fasthttp-dev|fasthttp|github.com/valyala/fasthttp"
  "golang-github-go-chi-chi-dev|chi|github.com/go-chi/chi"
)
GO_OPTIONAL=(
  "golang-github-gofiber-fiber-dev|fiber|github.com/gofiber/fiber"
  "golang-github-gorilla-mux-dev|gorilla-mux|github.com/gorilla/mux"
  "golang-github-go-resty-resty-dev|resty|github.com/go-resty/resty"
  "golang-golang-x-net-dev|x-net|golang.org/x/net"
  "golang-github-prometheus-client-golang-dev|prometheus-client-golang|github.com/prometheus/client_golang"
)

PY_PKGS=(django flask werkzeug aiohttp tornado starlette fastapi uvicorn
         gunicorn requests httpx urllib3 hypercorn sanic)

FAILED=()   # human-readable failure lines
SKIPPED=()  # optional things not available

log()  { printf '[corpus] %s\n' "$*"; }
warn() { printf '[corpus] WARNING: %s\n' "$*" >&2; }
fail() { warn "$*"; FAILED+=("$*"); }

mkdir -p "$DEST/go" "$DEST/python" "$DEST/.stamps" "$DEST/.logs"
DEST=$(cd "$DEST" && pwd -P)
# leftovers of an interrupted earlier run
rm -rf -- "$DEST"/go/*.partial.* "$DEST"/python/.extract.*
STAMPS=$DEST/.stamps
LOGS=$DEST/.logs

SUDO=()
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
fi

# ---------------------------------------------------------------------------
# helpers

# Replace every symlink under DIR by a real copy of its target if that target
# is a regular file inside DIR; drop any other symlink (dangling, directory,
# or pointing outside the tree).  Guarantees no symlinks remain.
materialize_symlinks() {
  local dir=$1 link target
  local root
  root=$(realpath -e "$dir")
  # One pass suffices: a replaced or dropped link never creates a new one.
  while IFS= read -r -d '' link; do
    target=$(realpath -e -- "$link" 2>/dev/null || true)
    if [[ -n $target && -f $target && $target == "$root"/* ]]; then
      rm -f -- "$link"
      cp -- "$target" "$link"
    else
      rm -f -- "$link"
      printf 'dropped symlink %s\n' "${link#"$root"/}" >>"$LOGS/symlinks.log"
    fi
  done < <(find "$dir" -type l -print0)
}

# Copy directory SRC to DST as real files.  Uses cp -r --dereference when SRC
# holds no directory symlinks (so no loop is possible); otherwise copies
# without dereferencing and materializes file symlinks that stay in the tree.
copy_tree() {
  local src=$1 dst=$2 tmp
  tmp="$dst.partial.$$"
  rm -rf -- "$tmp"
  if [[ -z $(find "$src" -type l -xtype d -print -quit) ]]; then
    cp -r --dereference -- "$src" "$tmp"
  else
    warn "$src contains directory symlinks; copying without following them"
    cp -r --no-dereference -- "$src" "$tmp"
  fi
  materialize_symlinks "$tmp"
  rm -rf -- "$dst"
  mv -- "$tmp" "$dst"
}

deb_installed_version() {  # prints version if installed, else nothing
  dpkg-query -W -f='${db:Status-Status} ${Version}\n' "$1" 2>/dev/null \
    | awk '$1=="installed"{print $2}' || true
}

deb_candidate() {  # prints the apt candidate version, or nothing
  apt-cache policy "$1" 2>/dev/null \
    | awk '/Candidate:/{ if ($2 != "(none)") print $2 }' || true
}

APT_UPDATED=0
apt_update_once() {
  if [[ $APT_UPDATED -eq 0 ]]; then
    log "apt-get update"
    if "${SUDO[@]}" apt-get update >"$LOGS/apt-update.log" 2>&1; then
      APT_UPDATED=1
    else
      warn "apt-get update failed (see $LOGS/apt-update.log)"
      APT_UPDATED=1   # don't retry endlessly
    fi
  fi
}

apt_install() {  # apt_install PKG... ; returns apt-get's status
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y \
    --no-install-recommends "$@" >>"$LOGS/apt-install.log" 2>&1
}

# ---------------------------------------------------------------------------
# Go part

go_part() {
  local entry pkg short mod want=() opt_want=() p
  local all_required=("$GO_SRC_PKG")
  for entry in "${GO_REQUIRED[@]}"; do all_required+=("${entry%%|*}"); done

  # 1. install what is missing
  for p in "${all_required[@]}"; do
    [[ -n $(deb_installed_version "$p") ]] || want+=("$p")
  done
  for entry in "${GO_OPTIONAL[@]}"; do
    p=${entry%%|*}
    [[ -n $(deb_installed_version "$p") ]] || opt_want+=("$p")
  done

  if (( ${#want[@]} + ${#opt_want[@]} > 0 )); then
    if ! command -v apt-get >/dev/null 2>&1; then
      fail "apt-get not available; cannot install: ${want[*]} ${opt_want[*]}"
    else
      # update only if apt has no lists, or doesn't know a required package
      # (a missing optional package alone does not trigger an update)
      if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
        apt_update_once
      else
        for p in "${want[@]}"; do
          [[ -n $(deb_candidate "$p") ]] || { apt_update_once; break; }
        done
      fi
      # optional packages: keep only those apt actually offers
      local opt_avail=()
      for p in "${opt_want[@]}"; do
        if [[ -n $(deb_candidate "$p") ]]; then
          opt_avail+=("$p")
        else
          log "optional package $p not available in apt; skipping"
          SKIPPED+=("apt: $p (no candidate)")
        fi
      done
      local to_install=("${want[@]}" "${opt_avail[@]}")
      if (( ${#to_install[@]} > 0 )); then
        log "apt-get install ${to_install[*]}"
        if ! apt_install "${to_install[@]}"; then
          # stale lists give 404s: refresh once and retry, then per package
          APT_UPDATED=0; apt_update_once
          if ! apt_install "${to_install[@]}"; then
            for p in "${to_install[@]}"; do
              apt_install "$p" || warn "apt-get install $p failed (see $LOGS/apt-install.log)"
            done
          fi
        fi
      fi
    fi
  fi

  # 2. copy sources
  copy_go_item "$GO_SRC_PKG" go-1.19-src "$GO_SRC_DIR" required
  for entry in "${GO_REQUIRED[@]}"; do
    IFS='|' read -r pkg short mod <<<"$entry"
    copy_go_item "$pkg" "$short" "$GOCODE/$mod" required
  done
  for entry in "${GO_OPTIONAL[@]}"; do
    IFS='|' read -r pkg short mod <<<"$entry"
    copy_go_item "$pkg" "$short" "$GOCODE/$mod" optional
  done
}

# copy_go_item DEBPKG SHORT SRCDIR required|optional
copy_go_item() {
  local pkg=$1 short=$2 src=$3 kind=$4 ver dst stamp
  dst=$DEST/go/$short
  stamp=$STAMPS/go-$short
  ver=$(deb_installed_version "$pkg")
  if [[ -z $ver ]]; then
    if [[ $kind == required ]]; then
      fail "go: $pkg is not installed; $short not copied"
    else
      # keep a copy from an earlier run if there is one
      [[ -f $stamp && -d $dst ]] || SKIPPED+=("go: $short not copied ($pkg not installed)")
    fi
    return 0
  fi
  if [[ ! -d $src ]]; then
    # module path moved? derive it from the package's file list
    src=$(dpkg -L "$pkg" 2>/dev/null | grep -E "^$GOCODE/[^/]+/[^/]+/[^/]+/.*\.go$" \
          | awk -F/ '{print $1"/"$2"/"$3"/"$4"/"$5"/"$6"/"$7"/"$8}' \
          | sort | uniq -c | sort -rn | awk 'NR==1{print $2}' || true)
    if [[ -z $src || ! -d $src ]]; then
      fail "go: cannot find source directory of $pkg"
      return 0
    fi
  fi
  if [[ -d $dst && -f $stamp && $(cut -f3 "$stamp") == "$ver" ]]; then
    log "go: $short $ver already present, skipping"
    return 0
  fi
  log "go: copying $src -> $dst ($pkg $ver)"
  if copy_tree "$src" "$dst"; then
    printf 'go\t%s\t%s\t%s\t%s\n' "$short" "$ver" "$pkg" "$src" >"$stamp"
  else
    fail "go: copying $src failed"
  fi
}

# ---------------------------------------------------------------------------
# Python part

py_part() {
  local pkg
  if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
    fail "python: '$PYTHON -m pip' not available; skipping Python part"
    return 0
  fi
  for pkg in "${PY_PKGS[@]}"; do
    py_item "$pkg" || fail "python: $pkg: unexpected error"
  done
}

# Extract ARCHIVE into a fresh directory and move its single top-level
# directory (or the whole extraction) to DST.
extract_to() {
  local archive=$1 dst=$2 x entries
  x=$(mktemp -d "$DEST/python/.extract.XXXXXX")
  case $archive in
    *.tar.gz|*.tgz)  tar -xzf "$archive" -C "$x" --no-same-owner --no-same-permissions ;;
    *.tar.bz2)       tar -xjf "$archive" -C "$x" --no-same-owner --no-same-permissions ;;
    *.tar)           tar -xf  "$archive" -C "$x" --no-same-owner --no-same-permissions ;;
    *.zip|*.whl)     "$PYTHON" -m zipfile -e "$archive" "$x" ;;
    *) rm -rf -- "$x"; warn "unknown archive type: $archive"; return 1 ;;
  esac
  materialize_symlinks "$x"
  chmod -R u+rwX,go+rX "$x"
  rm -rf -- "$dst"
  mapfile -t entries < <(find "$x" -mindepth 1 -maxdepth 1)
  if [[ ${#entries[@]} -eq 1 && -d ${entries[0]} && $archive != *.whl ]]; then
    mv -- "${entries[0]}" "$dst"
    rmdir -- "$x"
  else
    mv -- "$x" "$dst"
  fi
}

py_item() {
  local pkg=$1 stamp=$STAMPS/py-$1 tmp file base ver kind dst
  if [[ -f $stamp ]]; then
    dst=$DEST/python/$pkg-$(cut -f3 "$stamp")
    if [[ -d $dst ]]; then
      log "python: $pkg $(cut -f3 "$stamp") already present, skipping"
      return 0
    fi
  fi
  tmp=$(mktemp -d)
  kind=sdist
  log "python: downloading $pkg sdist"
  if ! "$PYTHON" -m pip download --no-deps --no-binary :all: -d "$tmp" "$pkg" \
        >"$LOGS/pip-$pkg.log" 2>&1; then
    warn "sdist download of $pkg failed (see $LOGS/pip-$pkg.log); trying wheel"
    rm -rf -- "$tmp"; tmp=$(mktemp -d)
    kind=wheel
    if ! "$PYTHON" -m pip download --no-deps --only-binary :all: -d "$tmp" "$pkg" \
          >>"$LOGS/pip-$pkg.log" 2>&1; then
      fail "python: $pkg: neither sdist nor wheel could be downloaded (see $LOGS/pip-$pkg.log)"
      rm -rf -- "$tmp"
      return 0
    fi
  fi
  file=$(find "$tmp" -maxdepth 1 -type f \( -name '*.tar.gz' -o -name '*.tgz' \
           -o -name '*.tar.bz2' -o -name '*.tar' -o -name '*.zip' -o -name '*.whl' \) \
           -print | head -n1)
  if [[ -z $file ]]; then
    fail "python: $pkg: pip reported success but no archive found"
    rm -rf -- "$tmp"
    return 0
  fi
  base=$(basename "$file")
  if [[ $kind == wheel ]]; then
    ver=$(cut -d- -f2 <<<"$base")                    # name-ver-py-abi-plat.whl
  else
    base=${base%.tar.gz}; base=${base%.tgz}; base=${base%.tar.bz2}
    base=${base%.tar}; base=${base%.zip}
    ver=${base##*-}                                   # name-ver
  fi
  dst=$DEST/python/$pkg-$ver
  if extract_to "$file" "$dst"; then
    printf 'python\t%s\t%s\t%s\t%s\n' "$pkg" "$ver" "$kind" "$(basename "$file")" >"$stamp"
    log "python: $pkg $ver ($kind) -> $dst"
  else
    fail "python: $pkg: extracting $(basename "$file") failed"
  fi
  rm -rf -- "$tmp"
}

# ---------------------------------------------------------------------------
# Summary

sum_files() {  # sum_files DIR EXT -> "COUNT MB"
  find "$1" -type f -name "*.$2" -printf '%s\n' 2>/dev/null \
    | awk '{n++; s+=$1} END {printf "%d %.1f", n, s/1048576}'
}

summary() {
  local go py f
  {
    printf '# connlint corpus at %s (generated %s)\n' "$DEST" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf '# lang\tname\tversion\tsource\tdetail\n'
    for f in "$STAMPS"/go-* "$STAMPS"/py-*; do
      if [[ -f $f ]]; then cat "$f"; fi
    done
  } >"$DEST/VERSIONS.txt"

  read -r go_n go_mb <<<"$(sum_files "$DEST/go" go)"
  read -r py_n py_mb <<<"$(sum_files "$DEST/python" py)"
  echo
  echo "================ connlint corpus summary ================"
  echo "DEST: $DEST"
  printf 'Go:     %7d .go files, %8s MB\n' "$go_n" "$go_mb"
  printf 'Python: %7d .py files, %8s MB\n' "$py_n" "$py_mb"
  echo "Versions ($DEST/VERSIONS.txt):"
  grep -v '^#' "$DEST/VERSIONS.txt" | awk -F'\t' '{printf "  %-7s %-26s %-22s %s\n", $1, $2, $3, $4}'
  if (( ${#SKIPPED[@]} )); then
    echo "Skipped:"; printf '  %s\n' "${SKIPPED[@]}"
  fi
  if [[ -s $LOGS/symlinks.log ]]; then
    echo "Dropped symlinks: $(wc -l <"$LOGS/symlinks.log") (see $LOGS/symlinks.log)"
  fi
  if (( ${#FAILED[@]} )); then
    echo "FAILED:"; printf '  %s\n' "${FAILED[@]}"
  else
    echo "No failures."
  fi
}

go_part
py_part
summary
(( ${#FAILED[@]} == 0 ))
