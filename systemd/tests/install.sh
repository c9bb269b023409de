#!/usr/bin/env bash
# package_install: `cmake --install BUILD` into DESTDIR folders, then checks
# the installed files. BINARIES are the claimd binaries this build has.
#   1. --prefix /usr: binaries in /usr/bin, default tables in
#      /usr/share/claimd/tables/default (no lock.mdb), units in
#      /usr/lib/systemd/system with ExecStart=/usr/bin/claimd and
#      --config /etc/claimd/claimd.conf, tmpfiles.d and sysusers.d entries,
#      the config in /etc (identical to systemd/claimd.conf), the docs; no
#      file elsewhere; the installed claimdb finds the default tables from
#      BIN/../share (tbl_default_dir()).
#   2. the same install again over a changed config keeps it and adds
#      claimd.conf.dist.
#   3. --prefix /opt/claimd: the unit names /opt/claimd/bin/claimd and
#      /etc/opt/claimd/claimd/claimd.conf (GNUInstallDirs' rule).
set -u
build="$1"
shift
bins=("$@")
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/claimd-install.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

install_to() { # DESTDIR PREFIX
    DESTDIR="$1" cmake --install "$build" --prefix "$2" >"$tmp/log" 2>&1 ||
        { cat "$tmp/log"; echo "FAIL: cmake --install --prefix $2"; exit 1; }
}

d="$tmp/usr"
install_to "$d" /usr
expect=(etc/claimd/claimd.conf
        usr/lib/systemd/system/claimd.service
        usr/lib/systemd/system/claimd.socket
        usr/lib/tmpfiles.d/claimd.conf
        usr/lib/sysusers.d/claimd.conf
        usr/share/claimd/tables/default/data.mdb
        usr/share/doc/claimd/README.md
        usr/share/doc/claimd/config.md
        usr/share/doc/claimd/systemd.md)
for b in "${bins[@]}"; do
    expect+=("usr/bin/$b")
    [ -x "$d/usr/bin/$b" ] || bad "usr/bin/$b is not installed executable"
done
for f in "${expect[@]}"; do
    [ -f "$d/$f" ] || bad "$f is not installed"
done
[ -e "$d/usr/share/claimd/tables/default/lock.mdb" ] && bad "lock.mdb installed with the tables"
# nothing outside the expected folders
while IFS= read -r f; do
    case "$f" in
    etc/claimd/claimd.conf | usr/bin/* | usr/lib/systemd/system/claimd.* | \
        usr/lib/tmpfiles.d/claimd.conf | usr/lib/sysusers.d/claimd.conf | \
        usr/share/claimd/tables/default/* | usr/share/doc/claimd/*) ;;
    *) bad "unexpected file installed: $f" ;;
    esac
done < <(cd "$d" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort)
for b in $(cd "$d/usr/bin" && ls); do
    printf '%s\n' "${bins[@]}" | grep -qx "$b" || bad "usr/bin/$b installed but not a target here"
done

unit="$d/usr/lib/systemd/system/claimd.service"
grep -qx 'ExecStart=/usr/bin/claimd --config /etc/claimd/claimd.conf' "$unit" ||
    bad "claimd.service: ExecStart= is not /usr/bin/claimd --config /etc/claimd/claimd.conf: $(grep ExecStart= "$unit")"
grep -qE '@[A-Z_]+@' "$unit" && bad "claimd.service: unconfigured @VAR@ left: $(grep -E '@[A-Z_]+@' "$unit")"
grep -qx 'Documentation=file:/usr/share/doc/claimd/systemd.md' "$unit" ||
    bad "claimd.service: Documentation= is not /usr/share/doc/claimd/systemd.md"
cmp -s "$src/claimd.conf" "$d/etc/claimd/claimd.conf" || bad "etc/claimd/claimd.conf differs from systemd/claimd.conf"
cmp -s "$src/claimd.socket" "$d/usr/lib/systemd/system/claimd.socket" || bad "claimd.socket differs from the source"
cmp -s "$src/claimd.tmpfiles" "$d/usr/lib/tmpfiles.d/claimd.conf" || bad "tmpfiles.d/claimd.conf differs"
cmp -s "$src/claimd.sysusers" "$d/usr/lib/sysusers.d/claimd.conf" || bad "sysusers.d/claimd.conf differs"

# the installed binaries find the installed default tables (BIN/../share)
if printf '%s\n' "${bins[@]}" | grep -qx claimdb; then
    out="$(cd / && env -u CLAIMD_TABLES "$d/usr/bin/claimdb" info default 2>&1)"
    grep -q "^path *$d/usr/bin/../share/claimd/tables/default\$\|^path *$d/usr/share/claimd/tables/default\$" <<<"$out" ||
        bad "installed claimdb does not find the installed default tables: $out"
fi

# sysusers.d and tmpfiles.d entries applied to the DESTDIR as a root (no
# change to this machine): user and group claimd, the folders and modes
if command -v systemd-sysusers >/dev/null 2>&1 && command -v systemd-tmpfiles >/dev/null 2>&1; then
    systemd-sysusers --root="$d" claimd.conf >"$tmp/log" 2>&1 || { cat "$tmp/log"; bad "systemd-sysusers --root"; }
    grep -q '^claimd:x:[0-9]*:[0-9]*:[^:]*:/var/lib/claimd:/usr/sbin/nologin$' "$d/etc/passwd" 2>/dev/null ||
        bad "sysusers.d: no claimd user with home /var/lib/claimd: $(cat "$d/etc/passwd" 2>&1)"
    grep -q '^claimd:x:' "$d/etc/group" 2>/dev/null || bad "sysusers.d: no claimd group"
    systemd-tmpfiles --root="$d" --create claimd.conf >"$tmp/log" 2>&1 || { cat "$tmp/log"; bad "systemd-tmpfiles --root --create"; }
    uid="$(sed -n 's/^claimd:x:\([0-9]*\):.*/\1/p' "$d/etc/passwd")"
    for spec in "run/claimd 750" "var/lib/claimd 750" "var/lib/claimd/spool 750" \
        "var/lib/claimd/spool/inbox 2770" "var/log/claimd 750"; do
        set -- $spec
        got="$(stat -c '%a %u' "$d/$1" 2>&1)"
        [ "$got" = "$2 $uid" ] || bad "tmpfiles.d: /$1 is '$got', want '$2 $uid'"
    done
    rm -rf "$d/run" "$d/var" "$d"/etc/passwd* "$d"/etc/group* "$d"/etc/shadow* "$d"/etc/gshadow* "$d/etc/.pwd.lock"
else
    echo "note: systemd-sysusers/systemd-tmpfiles absent: sysusers.d and tmpfiles.d not applied"
fi

# 2. an administrator's config survives a re-install
echo "threads = 2" >>"$d/etc/claimd/claimd.conf"
install_to "$d" /usr
grep -qx 'threads = 2' "$d/etc/claimd/claimd.conf" || bad "re-install overwrote a changed etc/claimd/claimd.conf"
cmp -s "$src/claimd.conf" "$d/etc/claimd/claimd.conf.dist" || bad "re-install did not add claimd.conf.dist"

# 3. another prefix
o="$tmp/opt"
install_to "$o" /opt/claimd
grep -qx 'ExecStart=/opt/claimd/bin/claimd --config /etc/opt/claimd/claimd/claimd.conf' \
    "$o/opt/claimd/lib/systemd/system/claimd.service" ||
    bad "prefix /opt/claimd: ExecStart= is $(grep ExecStart= "$o/opt/claimd/lib/systemd/system/claimd.service")"
[ -f "$o/etc/opt/claimd/claimd/claimd.conf" ] || bad "prefix /opt/claimd: no /etc/opt/claimd/claimd/claimd.conf"
[ -f "$o/opt/claimd/share/claimd/tables/default/data.mdb" ] || bad "prefix /opt/claimd: no tables"

[ "$fail" -eq 0 ] && echo "ok: cmake --install (prefixes /usr and /opt/claimd) installs the expected files"
exit "$fail"
