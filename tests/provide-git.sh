#!/bin/sh
# Print the path of a Git that can use the reftable backend (>= 2.45).
#
# The git on PATH is used when it is new enough. Otherwise Git is built once
# from Debian's `git` source package (suite sid) into a cache outside the
# repository and reused from there afterwards. The deb-src entry is derived
# from the machine's own apt source configuration, so no mirror is named here;
# apt runs against a private state directory and the system's apt setup is
# left untouched.
#
# Progress goes to stderr; stdout carries only the path of the git executable.
set -eu

min_major=2
min_minor=45
cache=${XDG_CACHE_HOME:-$HOME/.cache}/git-reftable

log() { printf 'provide-git: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Succeeds when the git at $1 reports a version >= min_major.min_minor.
git_new_enough() {
	v=$("$1" version 2>/dev/null | sed -n 's/^git version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
	[ -n "$v" ] || return 1
	set -- $v
	[ "$1" -gt "$min_major" ] || { [ "$1" -eq "$min_major" ] && [ "$2" -ge "$min_minor" ]; }
}

if sys_git=$(command -v git 2>/dev/null) && git_new_enough "$sys_git"; then
	echo "$sys_git"
	exit 0
fi
if [ -x "$cache/git/bin/git" ] && git_new_enough "$cache/git/bin/git"; then
	echo "$cache/git/bin/git"
	exit 0
fi

# First URI and keyring of a binary Debian source in the machine's apt
# configuration (deb822 .sources files and one-line .list files). Security
# and updates suites live on other archives, so only a stanza that carries a
# plain release suite is taken.
derive_debian_source() {
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
		function flush() {
			plain = 0
			n = split(suites, w, " ")
			for (j = 1; j <= n; j++)
				if (w[j] !~ /-(security|updates|backports)$/) plain = 1
			if (types ~ /(^| )deb( |$)/ && plain && uri != "") {
				print uri "\t" key; found = 1; exit
			}
			types = ""; uri = ""; key = ""; suites = ""
		}
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		tolower($1) == "types:" { $1 = ""; types = $0 }
		tolower($1) == "uris:" { uri = $2 }
		tolower($1) == "suites:" { $1 = ""; suites = $0 }
		tolower($1) == "signed-by:" { key = $2 }
		END { if (!found) flush() }
		' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '
		$1 == "deb" {
			key = ""; i = 2
			if ($2 ~ /^\[/) {
				for (; i <= NF; i++) {
					if ($i ~ /signed-by=/) { key = $i; sub(/.*signed-by=/, "", key); sub(/\]$/, "", key) }
					if ($i ~ /\]$/) { i++; break }
				}
			}
			if ($(i + 1) ~ /-(security|updates|backports)/) next
			print $i "\t" key; exit
		}' "$f"
	done
}

mkdir -p "$cache"
exec 9>"$cache/build.lock"
flock 9
# Another process may have finished the build while we waited for the lock.
if [ -x "$cache/git/bin/git" ] && git_new_enough "$cache/git/bin/git"; then
	echo "$cache/git/bin/git"
	exit 0
fi

command -v dpkg-source >/dev/null || die "dpkg-source missing; install dpkg-dev (make deps does)"
src=$(derive_debian_source | head -n 1)
[ -n "$src" ] || die "no Debian binary source found in /etc/apt to derive a deb-src entry from"
uri=$(printf '%s' "$src" | cut -f1)
key=$(printf '%s' "$src" | cut -f2)

apt_dir=$cache/apt
rm -rf "$apt_dir"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/parts"
if [ -n "$key" ]; then
	printf 'deb-src [signed-by=%s] %s sid main\n' "$key" "$uri" >"$apt_dir/sources.list"
else
	printf 'deb-src %s sid main\n' "$uri" >"$apt_dir/sources.list"
fi
set -- -o Dir::Etc::SourceList="$apt_dir/sources.list" \
	-o Dir::Etc::SourceParts="$apt_dir/parts" \
	-o Dir::State::Lists="$apt_dir/lists" \
	-o Dir::Cache::Archives="$apt_dir/archives" \
	-o Dir::Cache::pkgcache="" -o Dir::Cache::srcpkgcache=""
# The private state directory belongs to us, not to apt's sandbox user.
set -- "$@" -o APT::Sandbox::User="$(id -un)"

log "fetching the sid source index (deb-src derived from the machine's apt sources)"
apt-get -q "$@" update >&2 || die "apt-get update of the sid source index failed"

work=$cache/src
rm -rf "$work"
mkdir -p "$work"
log "downloading and unpacking Debian's git source package"
(cd "$work" && apt-get -q "$@" source --only-source git >&2) || die "apt-get source git failed"
srcdir=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'git-*' | head -n 1)
[ -n "$srcdir" ] || die "apt-get source produced no git-* directory in $work"
version=$(basename "$srcdir" | sed 's/^git-//')

prefix=$cache/git-$version
jobs=$(nproc 2>/dev/null || echo 2)
log "building git $version into $prefix with $jobs jobs"
# Only what the tests need: no HTTP transport, no Perl/Python/Tcl scripts, no
# translations, no Rust (Git's optional Rust parts would need a toolchain
# that Debian's build machines and ours need not have). zlib is the one
# library dependency.
opts="prefix=$prefix NO_CURL=1 NO_EXPAT=1 NO_PERL=1 NO_PYTHON=1 NO_TCLTK=1 NO_GETTEXT=1 NO_RUST=1 INSTALL_SYMLINKS=1"
start=$(date +%s)
# shellcheck disable=SC2086
make -C "$srcdir" -j"$jobs" $opts all >"$work/build.log" 2>&1 ||
	die "building git failed; see $work/build.log"
# shellcheck disable=SC2086
make -C "$srcdir" $opts install >>"$work/build.log" 2>&1 ||
	die "installing git failed; see $work/build.log"
log "built git $version in $(($(date +%s) - start)) s"
git_new_enough "$prefix/bin/git" || die "$prefix/bin/git is not >= $min_major.$min_minor"

ln -sfn "git-$version" "$cache/git.tmp"
mv -T "$cache/git.tmp" "$cache/git"
rm -rf "$work" "$apt_dir"
echo "$cache/git/bin/git"
