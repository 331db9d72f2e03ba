#!/bin/sh
# Install the python-database-patterns skills as self-contained folders in ~/.claude/skills.
#
#   curl -fsSL https://raw.githubusercontent.com/python-database-patterns/python-database-patterns/main/scripts/install.sh | sh
#   curl -fsSL .../install.sh | sh -s -- --dir .claude/skills sqlalchemy-async
#
# Each skill folder of the repository is self-contained (SKILL.md plus every reference,
# template and script it links to) and is copied as it is. A .install-manifest in each folder records what was
# installed and its checksums, so re-running is a no-op, edited files are never overwritten
# without --force, and --uninstall removes only what this script put there.
# Needs only a POSIX shell, awk, sed, find, tar, a sha256 tool and (for the default source) curl.
set -eu

REPO="python-database-patterns/python-database-patterns"
TARBALL_URL="https://github.com/$REPO/archive/refs/heads/main.tar.gz"
MANIFEST=".install-manifest"
MANIFEST_HEADER="# python-database-patterns install manifest v1"
PROG="install.sh"

usage() {
    cat <<EOF
Usage: $PROG [options] [SKILL ...]

Install python-database-patterns skills (all of them, or the ones named) as
self-contained folders, copied as they are in the repository's skills/.

Options:
  --dir DIR        install into DIR (default: \$HOME/.claude/skills;
                   use .claude/skills for a project)
  --source PATH    read the skills from a local checkout or a local .tar.gz
                   archive instead of downloading $REPO (main)
  --force          overwrite files you edited (otherwise the script stops
                   and changes nothing)
  --uninstall      remove the installed skills (all, or the ones named);
                   files you added are left in place
  -h, --help       show this help

Re-running is safe: skills already up to date are reported as unchanged.
EOF
}

die() { # exit-code message
    code=$1
    shift
    printf '%s: %s\n' "$PROG" "$*" >&2
    exit "$code"
}

# ---- options ---------------------------------------------------------------------------

DEST=""
SOURCE=""
FORCE=0
UNINSTALL=0
NAMES=""

need_value() { # option remaining-arg-count
    [ "$2" -ge 2 ] || die 2 "option $1 needs a value (see --help)"
}

while [ $# -gt 0 ]; do
    case $1 in
    -h | --help)
        usage
        exit 0
        ;;
    --dir)
        need_value "$1" $#
        DEST=$2
        shift 2
        ;;
    --dir=*)
        DEST=${1#--dir=}
        shift
        ;;
    --source)
        need_value "$1" $#
        SOURCE=$2
        shift 2
        ;;
    --source=*)
        SOURCE=${1#--source=}
        shift
        ;;
    --force)
        FORCE=1
        shift
        ;;
    --uninstall)
        UNINSTALL=1
        shift
        ;;
    --)
        shift
        for name in "$@"; do NAMES="$NAMES $name"; done
        break
        ;;
    -*) die 2 "unknown option: $1 (see --help)" ;;
    *)
        NAMES="$NAMES $1"
        shift
        ;;
    esac
done

set -f # no globbing of names and paths; the two loops over folders turn it back on
for name in $NAMES; do
    case $name in
    *[!a-z0-9-]* | -* | *- | *--*) die 2 "unknown skill: $name" ;;
    esac
done

if [ -z "$DEST" ]; then
    [ -n "${HOME:-}" ] || die 2 "HOME is not set; pass --dir DIR"
    DEST="$HOME/.claude/skills"
fi
[ -n "$DEST" ] || die 2 "--dir needs a non-empty value"
case $DEST in
/*) ;;
*) DEST="$(pwd)/$DEST" ;;
esac

# ---- helpers ---------------------------------------------------------------------------

if command -v sha256sum >/dev/null 2>&1; then
    checksum() { sha256sum "$1" | sed 's/ .*//'; }
elif command -v shasum >/dev/null 2>&1; then
    checksum() { shasum -a 256 "$1" | sed 's/ .*//'; }
else
    die 1 "need sha256sum or shasum"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pdp-install.XXXXXX")
FRESH=""
OLD=""
TARGET=""
cleanup() {
    # Interrupted while swapping a folder: drop the half-built one, put the old one back.
    [ -z "$FRESH" ] || rm -rf "$FRESH"
    if [ -n "$OLD" ] && [ -d "$OLD" ]; then
        if [ -e "$TARGET" ]; then rm -rf "$OLD"; else mv "$OLD" "$TARGET"; fi
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

NL='
'

# Body of a manifest (checksum and path lines), sorted, without the header.
manifest_body() { grep -v '^#' "$1" | sort; }

# Files (and symlinks) below a folder, as ./relative paths, sorted; no manifest.
files_below() {
    (cd "$1" && find . \( -type f -o -type l \) ! -name "$MANIFEST" ! -name '*.pyc' \
        ! -path '*/__pycache__/*' | sort)
}

# Lines of list $2 that are not in list $1 (both newline-separated).
not_in() {
    printf '%s\n' "$2" | while IFS= read -r line; do
        [ -n "$line" ] || continue
        printf '%s\n' "$1" | grep -Fxq -- "$line" || printf '%s\n' "$line"
    done
}

# The awk program that checks the links of one markdown file of a skill folder: it prints
# every relative link target (outside fenced code) that leaves the folder or does not exist.
# Skill folders are self-contained in the source; this catches a broken or tampered source.
# shellcheck disable=SC2016 # an awk program: its $ fields are awk's, not the shell's
LINK_AWK='
function normalize(p,    n, parts, out, i, m, res) {
    n = split(p, parts, "/"); m = 0
    for (i = 1; i <= n; i++) {
        if (parts[i] == "" || parts[i] == ".") continue
        if (parts[i] == "..") { if (m == 0) return "!"; m--; continue }
        out[++m] = parts[i]
    }
    res = ""
    for (i = 1; i <= m; i++) res = res (i > 1 ? "/" : "") out[i]
    return res
}
function check(t,    hash, file, target) {
    if (t ~ /^[A-Za-z][A-Za-z0-9+.-]*:/ || t ~ /^#/) return
    hash = index(t, "#")
    file = hash ? substr(t, 1, hash - 1) : t
    if (file == "") return
    target = (t ~ /^\//) ? "!" : normalize((dir == "" ? "" : dir "/") file)
    if (target == "!") { print src " -> " t " (leaves the skill folder)"; return }
    if (system("test -e \"" base "/" target "\"") != 0) print src " -> " t " (missing)"
}
/^[ \t]*(```|~~~)/ { fence = !fence; next }
fence { next }
{
    line = $0
    while (match(line, /\]\([^) \t]+\)/)) {
        check(substr(line, RSTART + 2, RLENGTH - 3))
        line = substr(line, RSTART + RLENGTH)
    }
}
'

# Copy skill folder $1 as it is to $WORK/stage/$1 and add the manifest.
stage() {
    skill=$1
    src="$ROOT/skills/$skill"
    out="$WORK/stage/$skill"
    mkdir -p "$out"
    bad=$(files_below "$src" | grep '\.md$' | while IFS= read -r rel; do
        rel=${rel#./}
        case $rel in */*) dir=${rel%/*} ;; *) dir="" ;; esac
        awk -v src="$rel" -v dir="$dir" -v base="$src" "$LINK_AWK" "$src/$rel"
    done)
    [ -z "$bad" ] || die 1 "skills/$skill is not self-contained: $(printf '%s\n' "$bad" | head -n 1)"
    (cd "$src" && files_below . | while IFS= read -r rel; do
        mkdir -p "$out/$(dirname "$rel")"
        cp -P "$rel" "$out/$rel"
    done)
    {
        echo "$MANIFEST_HEADER"
        echo "# Installed by scripts/install.sh; edit this folder freely, the script checks these"
        echo "# checksums before it overwrites or removes anything."
        files_below "$out" | while IFS= read -r rel; do
            printf '%s  %s\n' "$(checksum "$out/$rel")" "${rel#./}"
        done
    } >"$out/$MANIFEST"
}

# Paths listed in manifest $1 whose file in folder $2 no longer has the recorded checksum.
edited_files() {
    grep -v '^#' "$1" | while read -r sum rel; do
        if [ -f "$2/$rel" ] && [ "$(checksum "$2/$rel")" != "$sum" ]; then
            printf '%s\n' "$rel"
        fi
    done
}

is_ours() { [ -f "$1/$MANIFEST" ] && head -n 1 "$1/$MANIFEST" | grep -Fxq "$MANIFEST_HEADER"; }

# ---- uninstall ---------------------------------------------------------------------------

if [ "$UNINSTALL" = 1 ]; then
    if [ -z "$NAMES" ]; then
        set +f
        for dir in "$DEST"/*/; do
            [ -d "$dir" ] && is_ours "$dir" && NAMES="$NAMES $(basename "$dir")"
        done
        set -f
        [ -n "$NAMES" ] || {
            echo "nothing to uninstall in $DEST"
            exit 0
        }
    fi
    blocked=""
    for name in $NAMES; do
        is_ours "$DEST/$name" || die 2 "$name is not installed in $DEST by this script"
        for rel in $(edited_files "$DEST/$name/$MANIFEST" "$DEST/$name"); do
            blocked="$blocked $name/$rel"
        done
    done
    if [ -n "$blocked" ] && [ "$FORCE" = 0 ]; then
        die 1 "not removing files you edited:$blocked (re-run with --force to remove them)"
    fi
    for name in $NAMES; do
        dir="$DEST/$name"
        grep -v '^#' "$dir/$MANIFEST" | while read -r _ rel; do rm -f "$dir/$rel"; done
        rm -f "$dir/$MANIFEST"
        find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null || true
        if [ -d "$dir" ]; then
            echo "removed $name (left $(files_below "$dir" | wc -l | tr -d ' ') file(s) it did not install in $dir)"
        else
            echo "removed $name"
        fi
    done
    exit 0
fi

# ---- source ------------------------------------------------------------------------------

unpack() { # archive
    mkdir -p "$WORK/src"
    tar -xzf "$1" -C "$WORK/src" || die 1 "could not unpack $1"
    if [ -d "$WORK/src/skills" ]; then
        ROOT="$WORK/src"
    else
        ROOT=$(find "$WORK/src" -mindepth 2 -maxdepth 2 -type d -name skills | head -n 1)
        [ -n "$ROOT" ] || die 1 "no skills/ folder in $1"
        ROOT=$(dirname "$ROOT")
    fi
}

if [ -z "$SOURCE" ]; then
    command -v curl >/dev/null 2>&1 || die 1 "curl is needed to download the skills (or pass --source PATH)"
    curl -fsSL "$TARBALL_URL" -o "$WORK/source.tar.gz" || die 1 "download failed: $TARBALL_URL"
    unpack "$WORK/source.tar.gz"
    FROM=$TARBALL_URL
elif [ -d "$SOURCE" ]; then
    [ -d "$SOURCE/skills" ] || die 2 "no skills/ folder in $SOURCE"
    ROOT=$(cd "$SOURCE" && pwd)
    FROM=$ROOT
elif [ -f "$SOURCE" ]; then
    case $SOURCE in
    *.tar.gz | *.tgz) unpack "$SOURCE" ;;
    *) die 2 "--source must be a checkout folder or a .tar.gz archive: $SOURCE" ;;
    esac
    FROM=$SOURCE
else
    die 2 "--source not found: $SOURCE"
fi

AVAILABLE=""
set +f
for dir in "$ROOT"/skills/*/; do
    [ -f "$dir/SKILL.md" ] && AVAILABLE="$AVAILABLE $(basename "$dir")"
done
set -f
[ -n "$AVAILABLE" ] || die 1 "no skills found in $FROM"
if [ -z "$NAMES" ]; then
    NAMES=$AVAILABLE
else
    for name in $NAMES; do
        case " $AVAILABLE " in
        *" $name "*) ;;
        *) die 2 "unknown skill: $name (available:$AVAILABLE)" ;;
        esac
    done
fi

# ---- plan: build every folder and check every target before writing anything -------------

blocked=""
for name in $NAMES; do
    stage "$name"
    new="$WORK/stage/$name"
    target="$DEST/$name"
    new_files=$(manifest_body "$new/$MANIFEST" | sed 's/^[^ ]*  //')
    if [ -e "$target" ] && [ ! -d "$target" ]; then
        die 1 "$target exists and is not a folder"
    fi
    state=install
    if is_ours "$target"; then
        old_files=$(manifest_body "$target/$MANIFEST" | sed 's/^[^ ]*  //')
        edited=$(edited_files "$target/$MANIFEST" "$target")
        missing=$(for rel in $old_files; do [ -f "$target/$rel" ] || echo "$rel"; done)
        if [ -z "$edited" ] && [ -z "$missing" ] &&
            [ "$(manifest_body "$target/$MANIFEST")" = "$(manifest_body "$new/$MANIFEST")" ]; then
            state=unchanged
        else
            state=update
        fi
        for rel in $edited; do blocked="$blocked $name/$rel"; done
        # A file of the user's own that the new version would now install over.
        candidates=$(not_in "$old_files" "$new_files")
    elif [ -d "$target" ]; then
        state=update
        candidates=$new_files
    else
        candidates=""
    fi
    for rel in $candidates; do
        if [ -f "$target/$rel" ] && ! cmp -s "$target/$rel" "$new/$rel"; then
            blocked="$blocked $name/$rel"
        fi
    done
    echo "$state" >"$WORK/stage/$name.state"
done

if [ -n "$blocked" ] && [ "$FORCE" = 0 ]; then
    die 1 "not overwriting files you edited in $DEST:$blocked (re-run with --force to overwrite them)"
fi

# ---- write: each folder is built next to its target and moved into place ----------------

mkdir -p "$DEST"
for name in $NAMES; do
    state=$(cat "$WORK/stage/$name.state")
    target="$DEST/$name"
    if [ "$state" = unchanged ]; then
        echo "unchanged $name"
        continue
    fi
    fresh="$DEST/.$name.new.$$"
    old="$DEST/.$name.old.$$"
    TARGET=$target
    FRESH=$fresh
    rm -rf "$fresh"
    mkdir -p "$fresh"
    cp -R "$WORK/stage/$name/." "$fresh/"
    if [ -d "$target" ]; then
        # Keep the user's own files: everything not listed by the old or the new manifest.
        listed=$(manifest_body "$fresh/$MANIFEST" | sed 's/^[^ ]*  //')
        if is_ours "$target"; then
            listed="$listed${NL}$(manifest_body "$target/$MANIFEST" | sed 's/^[^ ]*  //')"
        fi
        files_below "$target" | sed 's|^\./||' | while IFS= read -r rel; do
            if ! printf '%s\n' "$listed" | grep -Fxq -- "$rel"; then
                mkdir -p "$(dirname "$fresh/$rel")"
                cp -pP "$target/$rel" "$fresh/$rel"
            fi
        done
        OLD=$old
        mv "$target" "$old"
        mv "$fresh" "$target"
        FRESH=""
        rm -rf "$old"
        OLD=""
    else
        mv "$fresh" "$target"
        FRESH=""
    fi
    count=$(manifest_body "$target/$MANIFEST" | wc -l | tr -d ' ')
    if [ "$state" = install ]; then
        echo "installed $name ($count files) in $target"
    else
        echo "updated $name ($count files) in $target"
    fi
done
